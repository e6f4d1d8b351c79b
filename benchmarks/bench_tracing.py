"""What MLflow logging with a trace per case costs the main command, in one run.

    .venv/bin/python benchmarks/bench_tracing.py [--cases a,b,…] [--rounds 1]

Each round runs the README's main command (`cairo-evals run`, all starter cases unless
`--cases`) twice with the compile cache off, so both do the same work: once logging to MLflow (a
sqlite store created beforehand, as a user's second run finds it) with the spans recorded and a
trace per case, once with `--no-mlflow` (no spans recorded, nothing logged). The order alternates
between rounds. Then the first run's folder is logged again to a fresh store, timing the trace
writing alone (`harness.traces.log_traces`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(ROOT / ".venv" / "bin" / "cairo-evals")]


def _run(out: Path, run_id: str, extra: list[str], cases: str | None) -> float:
    cmd = [*CLI, "run", "--no-cache", "--out", str(out), "--run-id", run_id, *extra]
    if cases:
        cmd += ["--cases", cases]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return took


def _traces_alone(out: Path, run_id: str, uri: str) -> tuple[float, float, int]:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from harness import traces, tracking

    spent: list[float] = []
    count: list[int] = []
    original = traces.log_traces

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        ids = original(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        count.append(len(ids))
        return ids

    traces.log_traces = timed
    tracking.client_for(uri)  # the store is created and migrated outside the timing
    start = time.perf_counter()
    assert tracking.log_saved_run(run_id, str(out), uri, force=True)
    return time.perf_counter() - start, sum(spent), sum(count)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cases", default=None)
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with tempfile.TemporaryDirectory(prefix="bench-tracing-") as tmp:
        out = Path(tmp) / "reports"
        uri = f"sqlite:///{tmp}/mlruns.db"
        sys.path.insert(0, str(ROOT))
        from harness.tracking import client_for

        client_for(uri)
        with_mlflow, without = [], []
        first = None
        for i in range(args.rounds):
            order = [("on", ["--mlflow-uri", uri]), ("off", ["--no-mlflow"])]
            for name, extra in order if i % 2 == 0 else order[::-1]:
                took = _run(out, f"{name}-{i}", extra, args.cases)
                (with_mlflow if name == "on" else without).append(took)
                first = first or (f"{name}-{i}" if name == "on" else None)
                print(f"round {i + 1}: MLflow {name}: {took:.1f} s", flush=True)
        total, trace_s, n = _traces_alone(out, first or "on-0", f"sqlite:///{tmp}/again.db")
        on, off = min(with_mlflow), min(without)
        print(f"main command, MLflow on (spans + a trace per case): {on:.1f} s")
        print(f"main command, --no-mlflow: {off:.1f} s")
        print(f"MLflow on costs {on - off:+.1f} s ({(on - off) / off:+.1%})")
        print(
            f"logging that run again: {total:.1f} s, of which {n} traces {trace_s:.2f} s "
            f"({trace_s / on:.1%} of the run)"
        )


if __name__ == "__main__":
    main()
