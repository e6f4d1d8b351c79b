"""Scoring: the composite metric, the heuristic judge, calibration and pass@k."""

from __future__ import annotations

import asyncio

import pytest

from harness.cairo import Compiler, CompileResult, TestFailure, TestRun
from harness.calibrate import calibrate, mutants
from harness.judge import HeuristicJudge
from harness.metric import Scorer, combine, pass_at_k, weights_for
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


def test_weights_renormalise_when_a_case_has_no_tests() -> None:
    case = CASES[0]
    assert weights_for(case, SCORING) == pytest.approx({"compile": 0.3, "tests": 0.4, "judge": 0.3})
    untested = type(case)(**{**case.__dict__, "tests": None})
    assert weights_for(untested, SCORING) == pytest.approx({"compile": 0.5, "judge": 0.5})


def test_no_code_scores_zero_and_says_why() -> None:
    result = combine(CASES[0], SCORING, None, "no Cairo code found in the answer", None, None)
    assert result.score == 0.0 and not result.passed and "```cairo" in result.feedback


def test_composite_uses_compile_tests_and_judge_with_feedback_from_each() -> None:
    compiled = CompileResult(
        ok=True,
        backend="wasm",
        backend_version="x",
        duration_s=1.0,
        tests=TestRun(3, 1, (TestFailure("edit_by_stranger", "failed"),)),
    )
    judgement = HeuristicJudge().evaluate(CONTRACT, CONTRACT.golden)
    result = combine(CONTRACT, SCORING, CONTRACT.golden, "", compiled, judgement)
    assert result.score == pytest.approx(0.3 * 1 + 0.4 * 0.75 + 0.3 * 1.0)
    assert not result.passed and result.compiled and (result.tests_passed, result.tests_total) == (3, 4)
    assert "edit_by_stranger" in result.feedback and "review (heuristic)" in result.feedback


def test_heuristic_judge_gives_concrete_feedback_on_rust_isms_and_missing_events() -> None:
    broken = (
        CONTRACT.golden.replace("self.emit(", "// self.emit(") + "\nfn f(v: &mut Vec<u32>) -> usize { 0 }\n"
    )
    j = HeuristicJudge().evaluate(CONTRACT, broken)
    assert j.score < 1.0
    for expected in ("`Vec<T>`", "`usize`", "`&mut`", "emits 0 event(s)"):
        assert expected in j.feedback


def test_heuristic_judge_ranks_every_golden_above_its_mutants() -> None:
    for suite in SUITES:
        rows = asyncio.run(calibrate(suite, HeuristicJudge()))
        for row in rows:
            assert row.ok, row
            assert row.golden == 1.0 and row.empty == 0.0


def test_mutants_break_what_they_say() -> None:
    variants = dict(mutants(CONTRACT))
    assert "self.emit(" not in variants["no-emit"]
    assert "Vec<u64>" in variants["rust-ism"]
    assert "_impl" in variants["renamed"]


@pytest.mark.wasm
def test_golden_program_scores_at_least_0_9_and_empty_scores_0_on_every_case() -> None:
    golden, empty = load_program("golden"), load_program("empty")

    async def run() -> list[tuple[str, float, float]]:
        with Compiler("wasm") as compiler:
            scorer = Scorer(compiler, HeuristicJudge())
            out = []
            for suite in SUITES:
                for case in suite.cases:
                    g = await scorer.ascore(case, (await golden.answer(case)).text, suite.scoring)
                    e = await scorer.ascore(case, (await empty.answer(case)).text, suite.scoring)
                    out.append((case.nodeid, g.score, e.score))
            return out

    scores = asyncio.run(run())
    assert len(scores) == len(CASES)
    assert all(g >= 0.9 for _, g, _ in scores), scores
    assert all(e == 0.0 for _, _, e in scores), scores
