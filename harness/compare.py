"""Compare two runs case by case: what changed, and is B a regression of A?

Both runs are reduced to one figure per case (`suite::case`): the mean score over its samples,
and "passed" when every sample passed (as in the gate). Over the cases present in both runs:

- `delta` per case is B − A; `mean_delta` is their mean;
- a paired bootstrap (cases resampled with replacement, seeded, so deterministic) gives a 95%
  percentile interval of the mean difference;
- `new_failures` passed in A and not in B; `fixed` failed in A and passed in B.

B is a regression when the interval lies wholly below −margin (a drop the noise cannot
explain, larger than the margin) or when any case crossed from pass to fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .metric import CaseResult
from .runner import read_results

RESULTS_FILE = "results.jsonl"
COLUMNS = ("case", "A", "B", "delta", "status")


def load_results(ref: str, out: str = "reports") -> list[CaseResult]:
    """The results of a run named by `ref`: a run id (a folder under `out`), a run folder, or a
    results file. Raises ValueError, naming the places looked at, when there is none."""
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


@dataclass(frozen=True)
class CaseDelta:
    nodeid: str  # suite::case
    a: float  # mean score over A's samples
    b: float
    delta: float  # b - a
    passed_a: bool  # every sample of A passed
    passed_b: bool
    samples_a: int
    samples_b: int

    @property
    def status(self) -> str:
        if self.passed_a and not self.passed_b:
            return "new failure"
        if self.passed_b and not self.passed_a:
            return "fixed"
        return "pass" if self.passed_b else "fail"


@dataclass(frozen=True)
class Comparison:
    cases: list[CaseDelta]  # the cases in both runs, worst delta first
    new_failures: list[str]  # nodeids: passed in A, not in B
    fixed: list[str]  # failed in A, passed in B
    only_a: list[str]
    only_b: list[str]
    mean_a: float  # over the shared cases
    mean_b: float
    mean_delta: float  # mean of B − A over the shared cases
    ci_low: float  # paired bootstrap 95% interval of mean_delta
    ci_high: float
    margin: float
    resamples: int
    seed: int
    regression: bool
    reasons: list[str]

    def table(self) -> list[tuple[str, str, str, str, str]]:
        """Rows (see COLUMNS) for printing: changed cases first, then by delta, then unmatched cases."""
        order = {"new failure": 0, "fixed": 1}
        rows = [
            (c.nodeid, f"{c.a:.3f}", f"{c.b:.3f}", f"{c.delta:+.3f}", c.status)
            for c in sorted(self.cases, key=lambda c: (order.get(c.status, 2), c.delta, c.nodeid))
        ]
        rows += [(n, "", "-", "", "only in A") for n in self.only_a]
        rows += [(n, "-", "", "", "only in B") for n in self.only_b]
        return rows

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, case in zip(data["cases"], self.cases, strict=True):
            row["status"] = case.status
        data["ci"] = [self.ci_low, self.ci_high]
        return data


def _per_case(results: Iterable[CaseResult]) -> dict[str, tuple[float, bool, int]]:
    grouped: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        grouped[r.nodeid].append(r)
    return {
        nodeid: (sum(r.score for r in rs) / len(rs), all(r.passed for r in rs), len(rs))
        for nodeid, rs in grouped.items()
    }


def bootstrap_ci(
    deltas: np.ndarray, resamples: int = 10000, seed: int = 0, level: float = 0.95, chunk: int = 1000
) -> tuple[float, float]:
    """Percentile interval of the mean of `deltas`, resampling them with replacement (seeded)."""
    n = len(deltas)
    if n == 0:
        raise ValueError("bootstrap needs at least one value")
    if np.all(deltas == deltas[0]):  # no spread: every resample has the same mean
        return float(deltas[0]), float(deltas[0])
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, chunk):  # bounded memory for large suites
        size = min(chunk, resamples - start)
        means[start : start + size] = deltas[rng.integers(0, n, size=(size, n))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def compare(
    a: list[CaseResult],
    b: list[CaseResult],
    *,
    margin: float = 0.02,
    resamples: int = 10000,
    seed: int = 0,
) -> Comparison:
    """Compare run B against baseline run A (see the module doc). Raises ValueError when the runs
    share no case."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    per_a, per_b = _per_case(a), _per_case(b)
    shared = sorted(per_a.keys() & per_b.keys())
    if not shared:
        raise ValueError(
            f"the runs share no case (A has {len(per_a)} cases, B has {len(per_b)}): "
            "compare runs of the same suite"
        )
    cases = []
    for nodeid in shared:
        (sa, pa, na), (sb, pb, nb) = per_a[nodeid], per_b[nodeid]
        cases.append(CaseDelta(nodeid, sa, sb, sb - sa if sa != sb else 0.0, pa, pb, na, nb))
    cases.sort(key=lambda c: (c.delta, c.nodeid))
    deltas = np.array([c.delta for c in cases], dtype=float)
    ci_low, ci_high = bootstrap_ci(deltas, resamples, seed)
    mean_delta = float(deltas.mean())
    new_failures = sorted(c.nodeid for c in cases if c.status == "new failure")
    fixed = sorted(c.nodeid for c in cases if c.status == "fixed")

    reasons = []
    if ci_high < -margin:
        reasons.append(
            f"mean score dropped by {-mean_delta:.3f} over {len(cases)} cases: the 95% interval "
            f"[{ci_low:+.3f}, {ci_high:+.3f}] lies below -{margin:g}"
        )
    if new_failures:
        reasons.append(f"{len(new_failures)} case(s) passed in A and fail in B: {', '.join(new_failures)}")
    regression = bool(reasons)
    if not regression:
        reasons.append(
            f"no regression: mean difference {mean_delta:+.3f}, 95% interval [{ci_low:+.3f}, {ci_high:+.3f}] "
            f"not wholly below -{margin:g}, and no case crossed from pass to fail"
        )
    if fixed:
        reasons.append(f"{len(fixed)} case(s) fixed: {', '.join(fixed)}")
    only_a = sorted(per_a.keys() - per_b.keys())
    only_b = sorted(per_b.keys() - per_a.keys())
    if only_a:
        reasons.append(f"{len(only_a)} case(s) only in A, not compared: {', '.join(only_a)}")
    if only_b:
        reasons.append(f"{len(only_b)} case(s) only in B, not compared: {', '.join(only_b)}")

    return Comparison(
        cases=cases,
        new_failures=new_failures,
        fixed=fixed,
        only_a=only_a,
        only_b=only_b,
        mean_a=float(np.mean([c.a for c in cases])),
        mean_b=float(np.mean([c.b for c in cases])),
        mean_delta=mean_delta,
        ci_low=ci_low,
        ci_high=ci_high,
        margin=margin,
        resamples=resamples,
        seed=seed,
        regression=regression,
        reasons=reasons,
    )
