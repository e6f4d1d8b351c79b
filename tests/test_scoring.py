"""Scoring: the composite metric, the heuristic judge, calibration and pass@k."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from harness.cairo import Compiler, CompileResult, Diagnostic, TestFailure, TestRun
from harness.calibrate import calibrate, mutants
from harness.judge import HeuristicJudge, Judgement
from harness.metric import TIERS, Scorer, combine, pass_at_k, weights_for
from harness.program import load_program
from harness.suite import Scoring, load_suites

SUITES = load_suites()
CASES = [c for s in SUITES for c in s.cases]
CONTRACT = next(c for c in CASES if c.id == "message-board")
SCORING = Scoring(compile=0.3, tests=0.4, judge=0.3)


@pytest.mark.parametrize(("k", "expected"), [(1, 0.4), (2, 0.7), (3, 0.9), (4, 1.0), (5, 1.0)])
def test_pass_at_k_matches_the_closed_form_for_n5_c2(k: int, expected: float) -> None:
    # 1 - C(3,k)/C(5,k): k=1: 1-3/5; k=2: 1-3/10; k=3: 1-1/10; k>=4: C(3,k)=0
    assert pass_at_k(5, 2, k) == pytest.approx(expected)


def test_pass_at_k_edges() -> None:
    assert pass_at_k(5, 0, 3) == 0.0 and pass_at_k(5, 5, 1) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_weights_mix_tests_and_judge_inside_a_tier_and_drop_tests_without_tests() -> None:
    case = CASES[0]
    assert weights_for(case, SCORING) == pytest.approx({"tests": 0.4 / 0.7, "judge": 0.3 / 0.7})
    untested = replace(case, tests=None)
    assert weights_for(untested, SCORING) == pytest.approx({"judge": 1.0})


def test_no_code_scores_zero_and_says_why() -> None:
    result = combine(CASES[0], SCORING, None, "no Cairo code found in the answer", None, None)
    assert result.score == 0.0 and not result.passed and "```cairo" in result.feedback
    assert result.tier == "no-code"


def compiled_with(passed: int, failed: int, *, ok: bool = True, bound: bool = True) -> CompileResult:
    failures = tuple(TestFailure(f"t{i}", "failed") for i in range(failed))
    return CompileResult(
        ok=ok,
        backend="native",
        backend_version="x",
        duration_s=1.0,
        tests=TestRun(passed, failed, failures, bound=bound) if ok else None,
    )


def test_a_partly_passing_answer_scores_inside_its_band_with_feedback_from_each_stage() -> None:
    compiled = CompileResult(
        ok=True,
        backend="native",
        backend_version="x",
        duration_s=1.0,
        tests=TestRun(3, 1, (TestFailure("edit_by_stranger", "failed"),)),
    )
    judgement = HeuristicJudge().evaluate(CONTRACT, CONTRACT.golden)
    result = combine(CONTRACT, SCORING, CONTRACT.golden, "", compiled, judgement)
    # passes-some band 0.50–0.85, moved by (0.4·3/4 + 0.3·1.0) / 0.7
    assert result.tier == "passes-some"
    assert result.score == pytest.approx(0.5 + 0.35 * (0.4 * 0.75 + 0.3 * 1.0) / 0.7, abs=1e-4)
    assert not result.passed and result.compiled and (result.tests_passed, result.tests_total) == (3, 4)
    assert "edit_by_stranger" in result.feedback and "review (heuristic)" in result.feedback
    assert result.feedback.startswith("tier passes-some")


@pytest.mark.parametrize(
    ("compiled", "tier"),
    [
        (compiled_with(4, 0), "passes"),
        (compiled_with(1, 3), "passes-some"),
        (compiled_with(0, 4), "fails-tests"),
        (compiled_with(0, 4, bound=False), "unbound"),
        (compiled_with(0, 0, ok=False), "does-not-compile"),
    ],
)
def test_no_judge_score_moves_an_answer_across_a_tier(compiled: CompileResult, tier: str) -> None:
    best = Judgement(1.0, "perfect", "scripted")
    worst = Judgement(0.0, "useless", "scripted")
    high = combine(CONTRACT, SCORING, CONTRACT.golden, "", compiled, best)
    low = combine(CONTRACT, SCORING, CONTRACT.golden, "", compiled, worst)
    assert high.tier == low.tier == tier
    lo, hi, _ = TIERS[tier]
    assert lo <= low.score <= high.score <= hi
    order = list(TIERS)
    for better in order[: order.index(tier)]:
        assert high.score < TIERS[better][0]  # the best judge stays below every better tier
    assert high.passed == (tier == "passes")
    assert high.compiled == (tier in ("passes", "passes-some", "fails-tests"))


def test_harness_faults_and_unsupported_cases_are_not_verdicts() -> None:
    for status, expected in (("timeout", "error"), ("crash", "error"), ("unsupported", "skipped")):
        compiled = CompileResult(
            ok=False,
            backend="native",
            backend_version="x",
            duration_s=1.0,
            diagnostics=(Diagnostic("error", "why", code=status),),
            status=status,  # type: ignore[arg-type]
        )
        result = combine(CONTRACT, SCORING, CONTRACT.golden, "", compiled, None)
        assert result.status == expected and result.fault == "why" and result.tier is None


def test_an_answer_that_declares_nothing_asked_for_is_no_code() -> None:
    compiled = compiled_with(0, 4, bound=False)
    result = combine(CONTRACT, SCORING, "fn helper() {}\n", "", compiled, Judgement(1.0, "", "scripted"))
    assert result.tier == "no-code" and result.score == 0.0 and not result.compiled


def test_heuristic_judge_gives_concrete_feedback_on_rust_isms_and_missing_events() -> None:
    broken = (
        CONTRACT.golden.replace("self.emit(", "// self.emit(") + "\nfn f(v: &mut Vec<u32>) -> usize { 0 }\n"
    )
    j = HeuristicJudge().evaluate(CONTRACT, broken)
    assert j.score < 1.0
    for expected in ("`Vec<T>`", "`&mut`", "emits 0 event(s)"):
        assert expected in j.feedback
    assert "usize" not in j.feedback  # a Cairo type


def test_calibration_without_execution_ranks_by_the_judge_alone() -> None:
    for suite in SUITES:
        report = asyncio.run(calibrate(suite, HeuristicJudge()))
        assert not report.executed and report.rows
        kinds = report.per_kind
        # the heuristic judge sees names and events, so these it always catches ...
        assert kinds["renamed"][0] == kinds["renamed"][1]
        if "no-emit" in kinds:
            assert kinds["no-emit"][0] == kinds["no-emit"][1]


def test_a_constant_judge_fails_calibration() -> None:
    class Constant:
        name = "constant"

        async def judge(self, case: object, code: str, compiled: object) -> Judgement:
            return Judgement(0.7, "fine", self.name)

    report = asyncio.run(calibrate(SUITES[0], Constant()))
    assert not report.ok and all(right == 0 for right, _ in report.per_kind.values())


def test_mutants_break_what_they_say() -> None:
    variants = dict(mutants(CONTRACT))
    assert "self.emit(" not in variants["no-emit"]
    assert "_impl" in variants["renamed"]
    for kind in ("flipped-comparison", "off-by-one", "deleted-check", "wrong-constant", "default-body"):
        assert kind in variants and variants[kind] != CONTRACT.golden, kind


@pytest.mark.native
def test_golden_program_scores_at_least_0_9_and_empty_scores_0_on_every_case() -> None:
    golden, empty = load_program("golden"), load_program("empty")

    async def run() -> list[tuple[str, float | None, float, str | None]]:
        with Compiler("native", cache=False) as compiler:
            scorer = Scorer(compiler, HeuristicJudge())
            out = []
            for suite in SUITES:
                scorer = Scorer(compiler, HeuristicJudge(), suite.dependencies)
                for case in suite.cases:
                    g = await scorer.ascore(case, (await golden.answer(case)).text, suite.scoring)
                    e = await scorer.ascore(case, (await empty.answer(case)).text, suite.scoring)
                    out.append((case.nodeid, g.score if g.status == "ok" else None, e.score, g.tier))
            return out

    scores = asyncio.run(run())
    assert len(scores) == len(CASES)
    # starknet-snforge's tests need snforge: the embedded compiler skips those cases (no score)
    snforge = {c.nodeid for s in SUITES if s.test_runner == "snforge" for c in s.cases}
    assert {n for n, g, _, _ in scores if g is None} == snforge
    assert all(g >= 0.9 and tier == "passes" for n, g, _, tier in scores if n not in snforge), scores
    assert all(e == 0.0 for _, _, e, _ in scores), scores
