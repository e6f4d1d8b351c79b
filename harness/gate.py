"""The gate stage: does a suite's run meet its thresholds? The CLI and pytest both call `evaluate`.

Figures are over cases (a case's samples are averaged first when `--repeats` > 1):

- `mean_score`: the case-weighted mean score (`weight:` per case, default 1);
- `compile_rate`: the share of cases whose code compiled (in every sample);
- `tests_pass_rate`: the share of cases that compiled and passed all their tests (every sample);

for the whole suite (`thresholds:`), for the cases of each tag (`thresholds.tags`), and each
case's own `min_score`. A case whose program failed (after its retries) is a verdict: it counts
as 0. Results without a verdict are kept out of every figure and counted on their own: status
`error` (a harness fault: our compiler crashed or timed out, infrastructure kept failing) and
`skipped` (the backend cannot judge the case). Any harness error fails the suite's gates
("N harness errors") unless `allow_errors`: a run that could not judge its cases has not shown
that it meets its thresholds.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .metric import CaseResult, pass_at_k
from .suite import Case, Gate, Suite


@dataclass(frozen=True)
class CaseSummary:
    case: Case
    score: float  # mean over samples
    spread: float  # population std over samples
    compiled: bool
    passed: bool
    samples: int
    passes: int  # samples that compiled and passed every test (for pass@k)


@dataclass(frozen=True)
class GateCheck:
    name: str  # e.g. "mean_score", "tag events: mean_score", "case owned-counter: min_score"
    threshold: float
    actual: float
    ok: bool

    def describe(self) -> str:
        if "harness errors" in self.name:
            return self.name
        verb = "meets" if self.ok else f"misses by {self.threshold - self.actual:.3f}"
        return f"{self.name} {self.actual:.3f} (threshold {self.threshold:.2f}) {verb}"


def unscored(suite: Suite, results: Iterable[CaseResult]) -> dict[str, list[CaseResult]]:
    """The suite's results without a verdict, by status ("error", "skipped")."""
    out: dict[str, list[CaseResult]] = {"error": [], "skipped": []}
    for r in results:
        if r.suite == suite.name and r.status in out:
            out[r.status].append(r)
    return out


def summarise(suite: Suite, results: Iterable[CaseResult]) -> list[CaseSummary]:
    """Per case, over its scored samples (results with a verdict)."""
    by_case: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        if r.suite == suite.name and r.status == "ok":
            by_case[r.case].append(r)
    out = []
    for case in suite.cases:
        rs = by_case.get(case.id)
        if not rs:
            continue
        scores = [r.score for r in rs]
        out.append(
            CaseSummary(
                case=case,
                score=statistics.fmean(scores),
                spread=statistics.pstdev(scores) if len(scores) > 1 else 0.0,
                compiled=all(r.compiled for r in rs),
                passed=all(r.passed for r in rs),
                samples=len(rs),
                passes=sum(r.passed for r in rs),
            )
        )
    return out


def figures(summaries: Sequence[CaseSummary]) -> dict[str, float]:
    if not summaries:
        return {"mean_score": 0.0, "compile_rate": 0.0, "tests_pass_rate": 0.0, "cases": 0}
    weight = sum(s.case.weight for s in summaries)
    return {
        "mean_score": sum(s.score * s.case.weight for s in summaries) / weight,
        "compile_rate": sum(s.compiled for s in summaries) / len(summaries),
        "tests_pass_rate": sum(s.passed for s in summaries) / len(summaries),
        "cases": len(summaries),
    }


def _check(prefix: str, gate: Gate, figs: dict[str, float]) -> list[GateCheck]:
    checks = []
    for name in ("mean_score", "compile_rate", "tests_pass_rate"):
        threshold = getattr(gate, name)
        if threshold is not None:
            actual = figs[name]
            checks.append(GateCheck(f"{prefix}{name}", threshold, actual, actual + 1e-9 >= threshold))
    return checks


def evaluate(suite: Suite, results: Iterable[CaseResult], allow_errors: bool = False) -> list[GateCheck]:
    """The suite's gates. Suite and tag thresholds apply only when all their cases ran (a case
    ran when it has any result, a verdict or not), so a shard or a `-k` selection is not failed
    for the cases it left out (gate the merged run), and only when some of those cases got a
    verdict; each case's own `min_score` always applies. Harness errors fail the suite unless
    `allow_errors`."""
    results = list(results)
    summaries = summarise(suite, results)
    ran = {r.case for r in results if r.suite == suite.name}
    complete = all(c.id in ran for c in suite.cases)
    # a suite no case of which got a verdict (every case skipped: e.g. snforge tests where no snforge
    # is installed) has shown nothing either way: its gates are not applied, as a tag's are not
    checks = _check("", suite.thresholds, figures(summaries)) if complete and summaries else []
    for tag, gate in suite.thresholds.tags:
        tagged = [s for s in summaries if tag in s.case.tags]
        if tagged and all(c.id in ran for c in suite.cases if tag in c.tags):
            checks += _check(f"tag {tag}: ", gate, figures(tagged))
    errors = unscored(suite, results)["error"]
    if errors and not allow_errors:
        checks.append(
            GateCheck(
                f"{len(errors)} harness errors (no verdict; --allow-errors to gate without them)",
                0,
                len(errors),
                False,
            )
        )
    for s in summaries:
        if s.case.min_score is not None:
            checks.append(
                GateCheck(
                    f"case {s.case.id}: min_score",
                    s.case.min_score,
                    s.score,
                    s.score + 1e-9 >= s.case.min_score,
                )
            )
    return checks


@dataclass(frozen=True)
class SuiteVerdict:
    suite: Suite
    figures: dict[str, float]
    tags: dict[str, dict[str, float]]
    checks: list[GateCheck]
    pass_at_k: dict[int, float]
    errors: int = 0  # results with a harness fault (no verdict)
    skipped: int = 0  # results the backend could not judge
    ran: int = 0  # cases with any result

    @property
    def partial(self) -> str | None:
        """'k of n cases ran' when the suite's own thresholds were not applied."""
        total = len(self.suite.cases)
        return f"{self.ran} of {total} cases ran: suite gates not applied" if self.ran < total else None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {
            "suite": self.suite.name,
            "ok": self.ok,
            "figures": self.figures,
            "tags": self.tags,
            "pass_at_k": self.pass_at_k,
            "partial": self.partial,
            "errors": self.errors,
            "skipped": self.skipped,
            "gates": [c.__dict__ for c in self.checks],
        }


def verdicts(
    suites: Sequence[Suite], results: Sequence[CaseResult], allow_errors: bool = False
) -> list[SuiteVerdict]:
    """Figures, per-tag figures, pass@k and gates for every suite that has results."""
    out = []
    for suite in suites:
        mine = [r for r in results if r.suite == suite.name]
        if not mine:
            continue
        summaries = summarise(suite, mine)
        faults = unscored(suite, mine)
        tags = sorted({t for s in summaries for t in s.case.tags})
        n = min((s.samples for s in summaries), default=0)
        pak = {
            k: statistics.fmean(pass_at_k(s.samples, s.passes, k) for s in summaries) for k in range(1, n + 1)
        }
        out.append(
            SuiteVerdict(
                suite,
                figures(summaries),
                {t: figures([s for s in summaries if t in s.case.tags]) for t in tags},
                evaluate(suite, mine, allow_errors),
                pak,
                errors=len(faults["error"]),
                skipped=len(faults["skipped"]),
                ran=len({r.case for r in mine}),
            )
        )
    return out
