"""The metric stage: one score and one feedback text per case, and pass@k over repeats.

Per case: 0 when the answer has no Cairo code. Otherwise

    score = (w_compile * compiles + w_tests * tests_passed / tests_total + w_judge * judge) / Σw

with the suite's weights (`scoring:`); a case without tests drops `w_tests`, so the other
weights are renormalised. The feedback joins, most actionable first: the extraction note,
the compiler's errors (with their locations), the failed tests, the judge's feedback.

The same scorer is the DSPy metric (`dspy.Evaluate`, `dspy.GEPA`):
`metric(gold, pred, trace=None, pred_name=None, pred_trace=None) -> dspy.Prediction(score, feedback)`.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import dspy

from .cairo import Compiler, CompileResult
from .cairo.diagnostics import test_names
from .extract import extract_cairo
from .judge import Judge, Judgement, describe_compile
from .suite import Case, Scoring


@dataclass(frozen=True)
class CaseResult:
    """The scored outcome of one answer to one case (one sample of it, with repeats)."""

    suite: str
    case: str
    score: float
    feedback: str
    passed: bool  # compiles and every test passes
    compiled: bool
    tests_passed: int = 0
    tests_total: int = 0
    judge_score: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    code: str | None = None
    compile: dict[str, Any] | None = None
    judgement: dict[str, Any] | None = None
    sample: int = 0
    error: str | None = None  # the program under test failed (after retries): a verdict, score 0
    # "ok": a verdict on the answer; "error": a harness fault (our compiler crashed or timed out,
    # a toolchain is missing, infrastructure kept failing after retries): no verdict, kept out of
    # means, rates and the compile cache, redone by --resume; "skipped": the backend cannot serve
    # the case (e.g. it needs a newer Cairo), kept out of the figures and reported.
    status: str = "ok"
    fault: str | None = None  # what went wrong on our side, when status is "error" or "skipped"
    tier: str | None = None  # the execution tier (see `harness.metric.TIERS`)
    retries: int = 0
    tokens: int = 0
    cost: float = 0.0
    duration_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # other program outputs, e.g. `sources`

    @property
    def nodeid(self) -> str:
        return f"{self.suite}::{self.case}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def weights_for(case: Case, scoring: Scoring) -> dict[str, float]:
    """The suite's weights, renormalised to sum to 1; `tests` dropped when the case has none."""
    raw = {"compile": scoring.compile, "judge": scoring.judge}
    if case.tests:
        raw["tests"] = scoring.tests
    total = sum(raw.values()) or 1.0
    return {k: v / total for k, v in raw.items()}


def combine(
    case: Case,
    scoring: Scoring,
    code: str | None,
    note: str,
    compiled: CompileResult | None,
    judgement: Judgement | None,
    sample: int = 0,
) -> CaseResult:
    """The composite score and feedback from the stages' results (pure; no I/O)."""
    if code is None:
        return CaseResult(
            case.suite,
            case.id,
            0.0,
            f"{note}: the answer must contain the code in a ```cairo block",
            False,
            False,
            0,
            _tests_total(case, None),
            sample=sample,
        )
    weights = weights_for(case, scoring)
    ok = bool(compiled and compiled.ok)
    tests = compiled.tests if compiled else None
    total = _tests_total(case, tests)
    passed_tests = tests.passed if tests else 0
    parts = {"compile": 1.0 if ok else 0.0, "judge": judgement.score if judgement else 0.0}
    if "tests" in weights:
        parts["tests"] = passed_tests / total if total else 0.0
    score = round(sum(weights[k] * parts[k] for k in weights), 4)

    notes = [note] if note else []
    verdict, test_text = describe_compile(compiled)
    if not ok:
        notes.append(f"the code {verdict}")
    elif tests is not None and tests.failed:
        notes.append(f"tests: {test_text}")
    if judgement is not None:
        notes.append(f"review ({judgement.judge}): {judgement.feedback}")
    return CaseResult(
        suite=case.suite,
        case=case.id,
        score=score,
        feedback="\n".join(notes),
        passed=ok and (tests is None or tests.failed == 0) and (total == 0 or passed_tests == total),
        compiled=ok,
        tests_passed=passed_tests,
        tests_total=total,
        judge_score=judgement.score if judgement else None,
        weights=weights,
        code=code,
        compile=compiled.to_dict() if compiled else None,
        judgement=asdict(judgement) if judgement else None,
        sample=sample,
    )


def _tests_total(case: Case, tests: Any) -> int:
    if tests is not None:
        return int(tests.total)
    if not case.tests:
        return 0
    return len(test_names(case.tests)) or 1


class Scorer:
    """Extract → compile (+ tests) → judge → combine, for one answer text.

    Args:
        compiler: the compile stage (its worker pool does the work, off the event loop).
        judge: the judge stage.
        scoring: default weights, for cases scored outside a suite context.
    """

    def __init__(
        self, compiler: Compiler, judge: Judge, dependencies: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.compiler = compiler
        self.judge = judge
        self.dependencies = dependencies

    async def ascore(self, case: Case, answer: str | None, scoring: Scoring, sample: int = 0) -> CaseResult:
        extraction = extract_cairo(answer or "")
        if extraction.code is None:
            return combine(case, scoring, None, extraction.note, None, None, sample)
        compiled = await self.compiler.acompile(extraction.code, case.kind, case.tests, self.dependencies)
        judgement = await self.judge.judge(case, extraction.code, compiled)
        return combine(case, scoring, extraction.code, extraction.note, compiled, judgement, sample)

    def score(self, case: Case, answer: str | None, scoring: Scoring, sample: int = 0) -> CaseResult:
        """Synchronous face for callers outside an event loop (dspy.Evaluate, GEPA threads)."""
        return asyncio.run(self.ascore(case, answer, scoring, sample))


def case_example(case: Case, scoring: Scoring) -> dspy.Example:
    """A DSPy example for a case: `query` is the input; the case rides along for the metric."""
    return dspy.Example(query=case.query, case=case, scoring=scoring).with_inputs("query")


def make_metric(scorer: Scorer, answer_field: str = "answer") -> Any:
    """The harness's score as a DSPy metric, usable by dspy.Evaluate and dspy.GEPA unchanged."""

    def metric(
        gold: dspy.Example,
        pred: dspy.Prediction,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> dspy.Prediction:
        result = scorer.score(gold.case, getattr(pred, answer_field, None), gold.scoring)
        return dspy.Prediction(score=result.score, feedback=result.feedback)

    return metric


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k) / C(n, k), for n samples, c passing."""
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 < k <= n and 0 <= c <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)
