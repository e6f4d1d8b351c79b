"""Compare two runs case by case: what changed, and can we tell whether B is a regression of A?

Both runs are reduced to one figure per case (`suite::case`) over its samples: the mean score,
and the pass rate (the share of samples that passed; with `--repeats` one flaky sample moves it a
little instead of flipping the case).

- **Harness faults count against the run that has them.** A sample with status `error` (our
  compiler crashed, infrastructure kept failing) has no verdict; when the case has a verdict in
  the other run, the faulted sample counts as a fail with score 0 in its own run, and the case is
  named ("fault in B counted as 0") with the hint to redo it (`run --resume`). So a case never
  leaves the comparison silently, and an answer that makes our stages fault gains nothing. A case
  with no verdict in either run, or `skipped` (the backend cannot judge it) in one, is listed as
  without a verdict.

Over the cases present in both runs, weighted by the cases' `weight:` as the gates are:

- `delta` per case is B − A; `mean_delta` is their weighted mean;
- **the interval**: a 95% Student-t interval of the weighted mean difference, on the paired
  deltas (effective n = (Σw)² / Σw²). With fewer than `MIN_CASES` shared cases no interval is
  given: "not enough cases to tell";
- **the verdict on the mean**: `regression` when the interval lies wholly below −margin,
  `no regression` when it lies wholly at or above −margin, `inconclusive` otherwise (a drop
  larger than the margin is as compatible with the data as none);
- **pass/fail flips**: a case passes when its pass rate is at least 1/2. Flips from pass to fail
  (b) and from fail to pass (c) get McNemar's exact test (a one-sided binomial test of b against
  b + c). The flips are always listed.

**B is a regression (the exit code 1 of `compare`, `run --baseline`, `optimize`) when any case
went from pass to fail, or the interval lies below −margin.** The statistics are printed beside
the flips as information: a nightly gate exists to show a team the case that broke, and on the
suites teams have (8 to 60 cases) McNemar's test cannot reach p < 0.05 before 5 flips with none
fixed, so a gate waiting for significance would pass almost every real regression. Flaky cases are
met with `--repeats` (a case fails when fewer than half its samples pass), not by ignoring flips.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .suite import SuiteError, load_suites

if TYPE_CHECKING:
    from .metric import CaseResult

# scipy (its stats, ~1 s to import) and the runner (DSPy) are imported where they are used, so
# importing this module (the CLI does, for every command) stays cheap.

RESULTS_FILE = "results.jsonl"
COLUMNS = ("case", "A", "B", "delta", "status")
MIN_CASES = 5  # below this, no interval: two or three deltas say nothing about the spread
ALPHA = 0.05


def load_results(ref: str, out: str = "reports") -> list[CaseResult]:
    """The results of a run named by `ref`: a run id (a folder under `out`), a run folder, or a
    results file. Raises ValueError, naming the places looked at, when there is none."""
    from .runner import read_results

    if ref.startswith(("mlflow:", "runs:/")):
        raise ValueError(f"run {ref!r}: MLflow run references are not supported yet; pass a run id or path")
    path = Path(ref)
    candidates = [path] if path.is_file() else []
    if path.is_dir():
        candidates.append(path / RESULTS_FILE)
    candidates.append(Path(out) / ref / RESULTS_FILE)
    for candidate in candidates:
        if candidate.is_file():
            results = read_results(candidate)
            if not results:
                raise ValueError(f"run {ref!r}: {candidate} holds no results")
            return results
    looked = [f"a results file {path}", f"a run folder {path}/{RESULTS_FILE}"]
    looked.append(f"a run id {Path(out) / ref / RESULTS_FILE}")
    raise ValueError(f"run {ref!r} not found: looked for {', '.join(looked)}")


def _run_json(ref: str, out: str) -> dict[str, Any] | None:
    path = Path(ref)
    for folder in (path.parent if path.is_file() else path, Path(out) / ref):
        meta = folder / "run.json"
        if meta.is_file():
            try:
                data = json.loads(meta.read_text())
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def run_toolchain(ref: str, out: str = "reports") -> dict[str, Any] | None:
    """The toolchain a run recorded in its run.json (backend, Cairo, Scarb … versions), if any."""
    data = _run_json(ref, out)
    toolchain = data.get("toolchain") if data else None
    return toolchain if isinstance(toolchain, dict) else None


def run_case_weights(ref: str, out: str = "reports") -> dict[str, float] | None:
    """The `weight:` of each case of a run's suites (as the gates weigh them), when they still load."""
    data = _run_json(ref, out)
    suites = (data or {}).get("options", {}).get("suites")
    if suites is None:
        return None
    try:
        return {c.nodeid: c.weight for s in load_suites(list(suites)) for c in s.cases}
    except (SuiteError, OSError):
        return None


@dataclass(frozen=True)
class CaseDelta:
    nodeid: str  # suite::case
    a: float  # mean score over A's scored samples
    b: float
    delta: float  # b - a
    pass_rate_a: float  # share of A's samples that passed
    pass_rate_b: float
    samples_a: int
    samples_b: int
    weight: float = 1.0
    faults_a: int = 0  # samples of A with a harness fault, counted as 0 (fail)
    faults_b: int = 0

    @property
    def passed_a(self) -> bool:
        return self.pass_rate_a >= 0.5

    @property
    def passed_b(self) -> bool:
        return self.pass_rate_b >= 0.5

    @property
    def status(self) -> str:
        if self.passed_a and not self.passed_b:
            return "new failure"
        if self.passed_b and not self.passed_a:
            return "fixed"
        return "pass" if self.passed_b else "fail"


@dataclass(frozen=True)
class Comparison:
    cases: list[CaseDelta]  # the cases scored in both runs, worst delta first
    new_failures: list[str]  # nodeids: passed in A, not in B
    fixed: list[str]  # failed in A, passed in B
    only_a: list[str]
    only_b: list[str]
    unscored: list[str]  # in both runs but without a verdict in either, or skipped in one
    faulted_a: list[str]  # cases whose A samples faulted (counted as 0) while B has a verdict
    faulted_b: list[str]
    mean_a: float  # weighted, over the shared cases
    mean_b: float
    mean_delta: float  # weighted mean of B − A over the shared cases
    ci_low: float | None  # 95% t interval of mean_delta; None with too few cases
    ci_high: float | None
    verdict: str  # on the mean: "regression" | "no regression" | "inconclusive" | "not enough cases"
    flips_p: float | None  # McNemar exact one-sided p of the pass→fail flips (None: no flips)
    margin: float
    regression: bool  # the gate: a case went from pass to fail, or the interval is below -margin
    reasons: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def interval(self) -> str:
        if self.ci_low is None or self.ci_high is None:
            return f"no interval: {len(self.cases)} shared case(s), at least {MIN_CASES} needed"
        return f"95% CI [{self.ci_low:+.4f}, {self.ci_high:+.4f}]"

    def table(self) -> list[tuple[str, str, str, str, str]]:
        """Rows (see COLUMNS) for printing: changed cases first, then by delta, then unmatched cases."""
        order = {"new failure": 0, "fixed": 1}
        rows = [
            (c.nodeid, f"{c.a:.3f}", f"{c.b:.3f}", f"{c.delta:+.3f}", c.status + _faults_text(c))
            for c in sorted(self.cases, key=lambda c: (order.get(c.status, 2), c.delta, c.nodeid))
        ]
        rows += [(n, "", "-", "", "only in A") for n in self.only_a]
        rows += [(n, "-", "", "", "only in B") for n in self.only_b]
        rows += [(n, "", "", "", "no verdict (error/skipped)") for n in self.unscored]
        return rows

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, case in zip(data["cases"], self.cases, strict=True):
            row["status"] = case.status
        data["ci"] = [self.ci_low, self.ci_high]
        return data


def _faults_text(c: CaseDelta) -> str:
    said = [f"{run}: {n} fault(s) counted as 0" for run, n in (("A", c.faults_a), ("B", c.faults_b)) if n]
    return f" ({'; '.join(said)})" if said else ""


@dataclass(frozen=True)
class _Run:
    """One run's results by case: verdicts (status ok) and harness faults (status error)."""

    verdicts: dict[str, list[CaseResult]]
    faults: dict[str, int]
    seen: set[str]


def _by_case(results: Iterable[CaseResult]) -> _Run:
    verdicts: dict[str, list[CaseResult]] = defaultdict(list)
    faults: dict[str, int] = defaultdict(int)
    seen = set()
    for r in results:
        seen.add(r.nodeid)
        if r.status == "ok":
            verdicts[r.nodeid].append(r)
        elif r.status == "error":
            faults[r.nodeid] += 1
    return _Run(dict(verdicts), dict(faults), seen)


def _figures(run: _Run, nodeid: str) -> tuple[float, float, int, int]:
    """(mean score, pass rate, samples, faulted samples) of a case, a fault counting as 0 (fail)."""
    rs, faults = run.verdicts.get(nodeid, []), run.faults.get(nodeid, 0)
    n = len(rs) + faults
    return sum(r.score for r in rs) / n, sum(r.passed for r in rs) / n, n, faults


def t_interval(deltas: np.ndarray, weights: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """A Student-t interval of the weighted mean of paired `deltas`."""
    from scipy import stats

    w = weights / weights.sum()
    mean = float(np.dot(w, deltas))
    n_eff = 1.0 / float(np.dot(w, w))
    if len(deltas) < 2:
        return mean, mean
    var = float(np.dot(w, (deltas - mean) ** 2)) * n_eff / (n_eff - 1)  # unbiased, weighted
    half = float(stats.t.ppf(0.5 + level / 2, df=n_eff - 1)) * math.sqrt(var / n_eff)
    return mean - half, mean + half


def mcnemar_p(pass_to_fail: int, fail_to_pass: int) -> float | None:
    """McNemar's exact test, one-sided: the chance of at least this many pass→fail flips among
    all flips if flips in either direction were equally likely. None when nothing flipped."""
    from scipy import stats

    n = pass_to_fail + fail_to_pass
    if n == 0:
        return None
    return float(stats.binomtest(pass_to_fail, n, 0.5, alternative="greater").pvalue)


def compare(
    a: list[CaseResult],
    b: list[CaseResult],
    *,
    margin: float = 0.02,
    weights: Mapping[str, float] | None = None,
    toolchains: tuple[Mapping[str, Any] | None, Mapping[str, Any] | None] = (None, None),
) -> Comparison:
    """Compare run B against baseline run A (see the module doc). `weights` are the cases'
    weights by `suite::case` (1 when missing). Raises ValueError when the runs share no case."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    run_a, run_b = _by_case(a), _by_case(b)
    # a case with a verdict in one run and faults (only) in the other counts, its faults as 0
    judged_a, judged_b = run_a.verdicts.keys(), run_b.verdicts.keys()
    countable_a = judged_a | (run_a.faults.keys() & judged_b)
    countable_b = judged_b | (run_b.faults.keys() & judged_a)
    shared = sorted((countable_a & countable_b) & (judged_a | judged_b))
    if not shared:
        raise ValueError(
            f"the runs share no scored case (A has {len(judged_a)}, B has {len(judged_b)}): "
            "compare runs of the same suite"
        )
    weights = weights or {}
    cases = []
    for nodeid in shared:
        (sa, ra, na, fa), (sb, rb, nb, fb) = _figures(run_a, nodeid), _figures(run_b, nodeid)
        delta = sb - sa if sa != sb else 0.0
        weight = float(weights.get(nodeid, 1.0))
        cases.append(CaseDelta(nodeid, sa, sb, delta, ra, rb, na, nb, weight, fa, fb))
    cases.sort(key=lambda c: (c.delta, c.nodeid))
    deltas = np.array([c.delta for c in cases], dtype=float)
    w = np.array([c.weight for c in cases], dtype=float)
    mean_delta = float(np.dot(w, deltas) / w.sum())
    new_failures = sorted(c.nodeid for c in cases if c.status == "new failure")
    fixed = sorted(c.nodeid for c in cases if c.status == "fixed")
    flips_p = mcnemar_p(len(new_failures), len(fixed))

    reasons: list[str] = []
    ci_low = ci_high = None
    if len(cases) < MIN_CASES:
        verdict = "not enough cases"
        reasons.append(
            f"not enough cases to tell: {len(cases)} shared case(s) (mean difference {mean_delta:+.3f}); "
            f"an interval needs at least {MIN_CASES}, and a change of {margin:g} needs many more"
        )
    else:
        ci_low, ci_high = t_interval(deltas, w)
        span = f"95% interval [{ci_low:+.3f}, {ci_high:+.3f}] over {len(cases)} cases"
        if ci_high < -margin:
            verdict = "regression"
            reasons.append(f"mean score dropped by {-mean_delta:.3f}: the {span} lies below -{margin:g}")
        elif ci_low >= -margin:
            verdict = "no regression"
            reasons.append(f"no regression of the mean beyond -{margin:g}: the {span} lies above it")
        else:
            verdict = "inconclusive"
            reasons.append(
                f"inconclusive: mean difference {mean_delta:+.3f}, but the {span} admits a drop larger "
                f"than {margin:g} as well as none; more cases (or --repeats) would tell"
            )
    flips_significant = flips_p is not None and flips_p < ALPHA and bool(new_failures)
    if new_failures:
        p = f"McNemar exact p = {flips_p:.3f}" if flips_p is not None else ""
        judged = "significant" if flips_significant else "not significant on their own, shown as information"
        reasons.append(
            f"regression: {len(new_failures)} case(s) passed in A and fail in B against {len(fixed)} "
            f"fixed ({p}: {judged}): {', '.join(new_failures)}"
        )
    regression = verdict == "regression" or bool(new_failures)
    if fixed:
        reasons.append(f"{len(fixed)} case(s) fixed: {', '.join(fixed)}")
    only_a, only_b = sorted(run_a.seen - run_b.seen), sorted(run_b.seen - run_a.seen)
    unscored = sorted((run_a.seen & run_b.seen) - set(shared))
    faulted_a = sorted(c.nodeid for c in cases if c.faults_a)
    faulted_b = sorted(c.nodeid for c in cases if c.faults_b)
    for run, faulted in (("A", faulted_a), ("B", faulted_b)):
        if faulted:
            reasons.append(
                f"{len(faulted)} case(s) with a harness fault in {run}, counted there as a fail with "
                f"score 0 (the other run has a verdict; redo them with cairo-evals run --resume): "
                f"{', '.join(faulted)}"
            )
    if only_a:
        reasons.append(f"{len(only_a)} case(s) only in A, not compared: {', '.join(only_a)}")
    if only_b:
        reasons.append(f"{len(only_b)} case(s) only in B, not compared: {', '.join(only_b)}")
    if unscored:
        reasons.append(
            f"{len(unscored)} case(s) not compared, without a verdict in either run or skipped in one: "
            f"{', '.join(unscored)}"
        )

    return Comparison(
        cases=cases,
        new_failures=new_failures,
        fixed=fixed,
        only_a=only_a,
        only_b=only_b,
        unscored=unscored,
        faulted_a=faulted_a,
        faulted_b=faulted_b,
        mean_a=float(np.dot(w, [c.a for c in cases]) / w.sum()),
        mean_b=float(np.dot(w, [c.b for c in cases]) / w.sum()),
        mean_delta=mean_delta,
        ci_low=ci_low,
        ci_high=ci_high,
        verdict=verdict,
        flips_p=flips_p,
        margin=margin,
        regression=regression,
        reasons=reasons,
        warnings=toolchain_warnings(*toolchains),
    )


def toolchain_warnings(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> list[str]:
    """What differs between the toolchains behind two runs: a score change may be the compiler's."""
    if not a or not b:
        return []
    changed = [
        f"{k}: {a.get(k, '-')} → {b.get(k, '-')}" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)
    ]
    if not changed:
        return []
    return [
        "the runs used different toolchains, so a change may come from the compiler: " + "; ".join(changed)
    ]
