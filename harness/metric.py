"""The metric stage: one score and one feedback text per case, and pass@k over repeats.

**Execution first.** An answer's tier comes from what its code does, best first:

| tier | what the answer did | score band |
|---|---|---|
| `passes` | compiles and passes every test of the case | 0.90 – 1.00 |
| `passes-some` | compiles, passes some of the case's tests | 0.50 – 0.85 |
| `fails-tests` | compiles and the tests bind to it, passes none | 0.30 – 0.40 |
| `unbound` | compiles, but the case's tests cannot bind to it (it lacks what the query named) | 0.15 – 0.25 |
| `does-not-compile` | does not compile | 0.05 – 0.10 |
| `no-code` | no Cairo, or Cairo that declares nothing the query asked for | 0 |

Within its band an answer moves by the judge's score (and, in `passes-some`, by the share of
tests passed, mixed with the judge by the suite's `scoring: {tests, judge}` weights), so no judge
score can lift an answer across a tier. A case without tests has no `passes-some`/`fails-tests`:
an answer that compiles and declares every item the query names `passes`, one that compiles
without them is `unbound`. Only the case's own tests count (harness/cairo/seal.py).

**Harness faults are not verdicts.** A compile that timed out or crashed on our side is status
`error` (no score, kept out of means and rates, never cached, redone on `--resume`); a case the
backend cannot judge (a `cairo:` requirement, tests it cannot run) is status `skipped`.

The same scorer is the DSPy metric (`dspy.Evaluate`, `dspy.GEPA`):
`metric(gold, pred, trace=None, pred_name=None, pred_trace=None) -> dspy.Prediction(score, feedback)`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import dspy

from .cairo import Compiler, CompileResult
from .cairotext import expected_tests
from .discriminate import Discrimination, discriminate, passed_tests
from .extract import Extraction, chosen, extract_cairo
from .judge import Judge, Judgement, describe_compile
from .structure import items, required_names
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
    # tests a do-nothing answer passes too (harness/discriminate.py): they earn nothing in passes-some
    nondiscriminating: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    code: str | None = None  # the Cairo that was scored (extracted from `answer`)
    # the program's raw answer text, so `cairo-evals rescore` can extract again (None in older runs)
    answer: str | None = None
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
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if isinstance(fields.get("nondiscriminating"), list):  # JSON has no tuples
            fields["nondiscriminating"] = tuple(fields["nondiscriminating"])
        return cls(**fields)

    @classmethod
    def unanswered(cls, suite: str, case: str, why: str, fault: bool, **fields: Any) -> CaseResult:
        """A case without a scored answer: a harness fault (`fault`: status "error", no verdict on
        the program) or the program's own failure (a verdict: score 0)."""
        if fault:
            said = {"feedback": f"not scored: harness fault: {why}", "status": "error", "fault": why}
        else:
            said = {"feedback": f"the program failed: {why}", "error": why}
        return cls(suite=suite, case=case, score=0.0, passed=False, compiled=False, **said, **fields)


TIERS: dict[str, tuple[float, float, str]] = {
    "passes": (0.90, 1.00, "compiles and passes every test"),
    "passes-some": (0.50, 0.85, "compiles and passes some of the tests"),
    "fails-tests": (0.30, 0.40, "compiles, and the tests bind to it, but it passes none"),
    "unbound": (
        0.15,
        0.25,
        "compiles, but the case's tests cannot bind to it (it lacks what the query named)",
    ),
    "does-not-compile": (0.05, 0.10, "does not compile"),
    "no-code": (0.0, 0.0, "has no code that declares what the query asked for"),
}


def weights_for(case: Case, scoring: Scoring) -> dict[str, float]:
    """How the tests' pass share and the judge mix inside a tier, renormalised to sum to 1
    (`tests` is dropped when the case has none)."""
    raw = {"judge": scoring.judge}
    if case.tests:
        raw["tests"] = scoring.tests
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()} if total else {k: 0.0 for k in raw}


def declares_anything(case: Case, code: str) -> tuple[bool, frozenset[str]]:
    """Whether `code` declares something the query asked for, and the asked-for items it lacks.

    The items asked for are the golden's items that the query names; when the query names
    none, any declared item counts."""
    answer = items(code)
    required = required_names(case.query, items(case.golden))
    have = answer.declared() | answer.events
    if not required:
        return bool(answer.declared()), frozenset()
    return bool(required & have), required - have


def tier_of(
    case: Case, compiled: CompileResult, code: str, discrimination: Discrimination | None = None
) -> str:
    """The execution tier of an answer that the backend judged (status ok). With `discrimination`,
    passing only tests that a do-nothing answer passes too is `fails-tests`."""
    declares, missing = declares_anything(case, code)
    if not declares:
        return "no-code"
    if not compiled.ok:
        return "does-not-compile"
    tests = compiled.tests
    if case.tests is None or tests is None:
        return "unbound" if missing else "passes"
    if not tests.bound:
        return "unbound"
    if tests.total and tests.passed == tests.total:
        return "passes"
    if tests.passed and discrimination is not None:
        useful = set(passed_tests(discrimination.expected, compiled)) - discrimination.nondiscriminating
        return "passes-some" if useful else "fails-tests"
    return "passes-some" if tests.passed else "fails-tests"


def tier_score(tier: str, weights: dict[str, float], tests_share: float, judge: float | None) -> float:
    """The score inside the tier's band: the judge (1 when there is none) moves it; in
    `passes-some` the tests' pass share too, by the suite's weights."""
    lo, hi, _ = TIERS[tier]
    j = 1.0 if judge is None or weights.get("judge", 0) == 0 else judge
    if tier == "passes-some" and "tests" in weights:
        mix = weights["tests"] * tests_share + weights.get("judge", 0) * j
    else:
        mix = j
    return round(lo + (hi - lo) * min(1.0, max(0.0, mix)), 4)


def combine(
    case: Case,
    scoring: Scoring,
    code: str | None,
    note: str,
    compiled: CompileResult | None,
    judgement: Judgement | None,
    sample: int = 0,
    discrimination: Discrimination | None = None,
) -> CaseResult:
    """The tiered score and feedback from the stages' results (pure; no I/O). `discrimination`
    (for an answer that passes some of the tests) says which tests a do-nothing answer passes."""
    total = _tests_total(case, compiled.tests if compiled else None)
    if compiled is not None and compiled.fault:
        status = "skipped" if compiled.status == "unsupported" else "error"
        why = "; ".join(d.message for d in compiled.errors) or compiled.status
        return CaseResult(
            case.suite,
            case.id,
            0.0,
            f"no verdict ({status}): {why}",
            False,
            False,
            0,
            total,
            code=code,
            compile=compiled.to_dict(),
            sample=sample,
            status=status,
            fault=why,
        )
    if code is None or compiled is None:
        return CaseResult(
            case.suite,
            case.id,
            0.0,
            f"tier no-code: {note or 'no Cairo code found'}: "
            "the answer must contain the code in a ```cairo block",
            False,
            False,
            0,
            total,
            code=code,
            sample=sample,
            tier="no-code",
        )
    weights = weights_for(case, scoring)
    tier = tier_of(case, compiled, code, discrimination)
    tests = compiled.tests
    n_passed = tests.passed if tests is not None and tier != "no-code" else 0
    share = n_passed / total if total else 0.0
    trivial: list[str] = []
    if discrimination is not None and tier in ("passes-some", "fails-tests"):
        passed = passed_tests(discrimination.expected, compiled)
        trivial = [t for t in passed if t in discrimination.nondiscriminating]
        useful = len(passed) - len(trivial)
        # a non-discriminating test earns nothing when passed, but failing it is a real failure
        failed_trivial = len(discrimination.nondiscriminating) - len(trivial)
        out_of = len(discrimination.discriminating) + failed_trivial
        share = useful / out_of if out_of else 0.0
    score = tier_score(tier, weights, share, judgement.score if judgement else None)

    notes = [f"tier {tier}: the code {TIERS[tier][2]}"]
    if note:
        notes.append(note)
    if tier == "no-code":
        _, missing = declares_anything(case, code)
        if missing:
            notes.append("it declares none of: " + ", ".join(f"`{n}`" for n in sorted(missing)))
    notes += [f"note: {n}" for n in compiled.notes if not n.startswith("embedded compiler")]
    verdict, test_text = describe_compile(compiled)
    if not compiled.ok:
        notes.append(f"the code {verdict}")
    elif tests is not None and tests.failed:
        notes.append(f"tests: {test_text}")
    if trivial and discrimination is not None:
        notes.append(
            f"no credit for {len(trivial)} passed test(s) that an answer doing nothing passes too: "
            + ", ".join(f"{t} ({discrimination.passed_by[t]})" for t in trivial)
        )
    if judgement is not None:
        notes.append(f"review ({judgement.judge}): {judgement.feedback}")
    return CaseResult(
        suite=case.suite,
        case=case.id,
        score=score,
        feedback="\n".join(notes),
        passed=tier == "passes",
        compiled=tier in ("passes", "passes-some", "fails-tests"),  # real compiles that bind
        tests_passed=n_passed,
        tests_total=total,
        judge_score=judgement.score if judgement else None,
        nondiscriminating=tuple(trivial),
        weights=weights,
        code=code,
        compile=compiled.to_dict(),
        judgement=asdict(judgement) if judgement else None,
        sample=sample,
        tier=tier,
    )


def _tests_total(case: Case, tests: Any) -> int:
    if tests is not None:
        return int(tests.total)
    if not case.tests:
        return 0
    return max(1, len(expected_tests(case.tests)))


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
        self._discriminations: dict[tuple[str, str, int], Discrimination] = {}

    async def _compile(self, case: Case, code: str, with_tests: bool = True) -> CompileResult:
        tests = case.tests if with_tests else None
        return await self.compiler.acompile(
            code, case.kind, tests, self.dependencies, case.cairo, case.test_runner
        )

    async def _read(self, case: Case, answer: str) -> tuple[Extraction, CompileResult | None]:
        """The reading of the answer to score (harness/extract.py) and its verdict: the preferred
        one, unless it does not compile or lacks an item the query named while an alternative
        declares them all and compiles (compiled alone: test results never choose)."""
        extraction = extract_cairo(answer, required_names(case.query, items(case.golden)))
        if extraction.code is None:
            return extraction, None
        compiled = await self._compile(case, extraction.code)
        lacking = declares_anything(case, extraction.code)[1]
        if compiled.fault or (compiled.ok and not lacking):
            return extraction, compiled
        for candidate in extraction.candidates[1:]:
            if declares_anything(case, candidate.code)[1]:
                continue
            alone = await self._compile(case, candidate.code, with_tests=False)
            if alone.status == "ok" and alone.ok:
                first = "does not compile" if not compiled.ok else "lacks " + ", ".join(sorted(lacking))
                why = f"the preferred reading ({extraction.candidates[0].why}) {first}; this one compiles"
                return chosen(extraction, candidate, why), await self._compile(case, candidate.code)
        return extraction, compiled

    async def discrimination(self, case: Case) -> Discrimination:
        """The case's non-discriminating tests, found once per scorer (the compiler caches the
        do-nothing answers' verdicts on disk too)."""
        key = (case.suite, case.id, hash((case.golden, case.tests)))
        if key not in self._discriminations:
            self._discriminations[key] = await discriminate(case, self.compiler, self.dependencies)
        return self._discriminations[key]

    async def ascore(self, case: Case, answer: str | None, scoring: Scoring, sample: int = 0) -> CaseResult:
        extraction, compiled = await self._read(case, answer or "")
        if extraction.code is None or compiled is None:
            return combine(case, scoring, None, extraction.note, None, None, sample)
        discrimination = None
        tests = compiled.tests
        some = tests is not None and tests.bound and 0 < tests.passed < tests.total
        if compiled.ok and not compiled.fault and some:
            discrimination = await self.discrimination(case)
        if compiled.fault or not declares_anything(case, extraction.code)[0]:
            judgement = None  # no verdict to review, or nothing to review
        else:
            judgement = await self.judge.judge(case, extraction.code, compiled)
        return combine(
            case, scoring, extraction.code, extraction.note, compiled, judgement, sample, discrimination
        )

    def score(self, case: Case, answer: str | None, scoring: Scoring, sample: int = 0) -> CaseResult:
        """Synchronous face for callers outside an event loop (dspy.Evaluate, GEPA threads)."""
        return asyncio.run(self.ascore(case, answer, scoring, sample))


def case_example(case: Case, scoring: Scoring) -> dspy.Example:
    """A DSPy example for a case: `query` is the input; the case rides along for the metric."""
    return dspy.Example(query=case.query, case=case, scoring=scoring).with_inputs("query")


def make_metric(
    scorer: Scorer, answer_field: str = "answer", observe: Callable[..., None] | None = None
) -> Any:
    """The harness's score as a DSPy metric, usable by dspy.Evaluate and dspy.GEPA unchanged.

    Args:
        observe: called after each scoring as `observe(gold, pred, trace, result, started_ns)`
            with the full `CaseResult` (the optimizer's candidate trail, `harness.optimize`).
    """

    def metric(
        gold: dspy.Example,
        pred: dspy.Prediction,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> dspy.Prediction:
        started = time.time_ns()
        result = scorer.score(gold.case, getattr(pred, answer_field, None), gold.scoring)
        if observe is not None:
            observe(gold, pred, trace, result, started)
        return dspy.Prediction(score=result.score, feedback=result.feedback)

    return metric


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k) / C(n, k), for n samples, c passing."""
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 < k <= n and 0 <= c <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)
