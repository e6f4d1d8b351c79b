"""What MLflow logging with a trace per case costs the main command, and what of that is the
tracing itself, in one run.

    .venv/bin/python benchmarks/bench_tracing.py [--cases a,b,…] [--rounds 2] [--before DIR]
        [--lm-latency SECONDS]

Each round runs the README's main command (`cairo-evals run`, all starter cases unless
`--cases`) with the compile cache off, so every variant does the same work: once logging to
MLflow (a sqlite store created beforehand, as a user's second run finds it) with the spans
recorded and a trace per case, once with `--no-mlflow` (no spans recorded, nothing logged),
once with MLflow on and tracing off (`no-traces`: the run logged as always, no spans recorded,
no trace written), and with `--before DIR` (a checkout of an earlier commit, e.g. `git worktree
add --detach DIR main`) once more with MLflow on as that code does it (run from DIR with this
venv's Python). The order rotates between rounds. Per run: the wall time, the time of the cases
themselves (the CLI's "N results in X s"), the rest (start-up, reports, and what MLflow adds
after the last case), and the CPU time of the command and its children. Then the first run's
folder is logged again to a fresh store (`cairo-evals log`'s path), timing the trace writing
alone (`harness.traces.write_traces`).

Also run: `at-end` (spans recorded, every trace written after the last case rather than as the
cases finish). Each pair of variants is then compared round by round (a round's variants run
back to back, sharing its load), with a bootstrap interval for the median difference. With
`--lm-latency S` every variant's program runs on the demo's scripted model taking S seconds a
call (`slow_demo_lm`), as a run waiting on a live model does, instead of replaying recordings.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def _main(patch: str = "") -> str:
    """The CLI's entry point as `python -c` code, after `patch` (lines changing the code under
    test in the child process only)."""
    return f"import sys, harness\n{patch}sys.argv[0] = 'cairo-evals'; sys.exit(harness.main())"


MAIN = _main()
# The same command with MLflow on and tracing off: no spans recorded (so no case hands a trace to
# the MLflow thread) and no traces written at the end; the run, its params, metrics, artifacts and
# prompt links are logged as always. What tracing itself adds is "on" against this.
NO_TRACES = _main(
    "from harness import runner, tracking\n"
    "init = runner.Runner.__init__\n"
    "def untraced(self, *args, **kwargs):\n"
    "    init(self, *args, **kwargs)\n"
    "    self.record_spans = False\n"
    "runner.Runner.__init__ = untraced\n"
    "tracking.RunLog._finish_traces = lambda self, *args: None\n"
)
# MLflow on, spans recorded, but no trace written while the cases run: all at the end
AT_END = _main("from harness import tracking\ntracking.RunLog.add = lambda self, result, records: None\n")


def slow_demo_lm() -> object:
    """`--lm py:benchmarks.bench_tracing:slow_demo_lm`: the demo's scripted model (the same
    answers as the recordings the main command replays), taking $BENCH_LM_LATENCY seconds a call,
    awaited as a live model's reply is: a run that waits on its model, as a user's does."""
    from harness.demo import scripted_model
    from harness.paths import project_root
    from harness.suite import load_suites

    engine = scripted_model([c for s in load_suites() for c in s.cases], project_root())
    engine.latency = float(os.environ["BENCH_LM_LATENCY"])
    return engine.lm("scripted/demo")


def _run(
    code: Path,
    out: Path,
    run_id: str,
    extra: list[str],
    cases: str | None,
    main: str = MAIN,
    latency: float | None = None,
) -> dict[str, float]:
    cmd = [PYTHON, "-c", main, "run", "--no-cache", "--out", str(out), "--run-id", run_id, *extra]
    if cases:
        cmd += ["--cases", cases]
    env = os.environ | {"PYTHONPATH": str(code)}  # the code under test, whichever checkout
    if latency is not None:
        cmd += ["--lm", "py:benchmarks.bench_tracing:slow_demo_lm"]
        env |= {"BENCH_LM_LATENCY": str(latency), "PYTHONPATH": f"{code}{os.pathsep}{ROOT}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=code, env=env)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    found = re.search(r"results in ([0-9.]+)s", done.stdout + done.stderr)
    cases_s = float(found.group(1)) if found else float("nan")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": took, "cases": cases_s, "rest": took - cases_s, "cpu": cpu}


def _traces_alone(out: Path, run_id: str, uri: str) -> tuple[float, float, int]:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from harness import traces, tracking

    spent: list[float] = []
    count: list[int] = []
    original = traces.write_traces

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        ids = original(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        count.append(len(ids))
        return ids

    traces.write_traces = timed
    tracking.client_for(uri)  # the store is created and migrated outside the timing
    start = time.perf_counter()
    assert tracking.log_saved_run(run_id, str(out), uri, force=True)
    return time.perf_counter() - start, sum(spent), sum(count)


def _interval(diffs: list[float], draws: int = 10_000) -> tuple[float, float]:
    """A 95% percentile-bootstrap interval for the median of the per-round differences: on a
    shared VM a round's speed drifts by ±20%, so one median alone says little."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(diffs, k=len(diffs))) for _ in range(draws))
    return medians[int(0.025 * draws)], medians[int(0.975 * draws) - 1]


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cases", default=None)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--before", type=Path, default=None, help="a checkout of the code to compare with")
    p.add_argument(
        "--lm-latency",
        type=float,
        default=None,
        help="run the program on the demo's scripted model taking this many seconds a call",
    )
    args = p.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    sys.path.insert(0, str(ROOT))
    from harness.tracking import client_for

    with tempfile.TemporaryDirectory(prefix="bench-tracing-") as tmp:
        out = Path(tmp) / "reports"
        variants = {
            "on": (ROOT, [f"sqlite:///{tmp}/on.db"], MAIN),
            "off": (ROOT, [], MAIN),
            "no-traces": (ROOT, [f"sqlite:///{tmp}/no-traces.db"], NO_TRACES),
            "at-end": (ROOT, [f"sqlite:///{tmp}/at-end.db"], AT_END),
        }
        if args.before:
            variants["before"] = (args.before.resolve(), [f"sqlite:///{tmp}/before.db"], MAIN)
        for _, uris, _ in variants.values():
            for uri in uris:
                client_for(uri)
        print(f"load average at the start: {_load()}", flush=True)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        names = list(variants)
        for i in range(args.rounds):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                code, uris, main_code = variants[name]
                extra = ["--mlflow-uri", uris[0]] if uris else ["--no-mlflow"]
                got = _run(code, out, f"{name}-{i}", extra, args.cases, main_code, args.lm_latency)
                runs[name].append(got)
                print(
                    f"round {i + 1}: {name}: wall {got['wall']:.1f} s (cases {got['cases']:.1f} s, "
                    f"rest {got['rest']:.1f} s), CPU {got['cpu']:.1f} s; load {_load()}",
                    flush=True,
                )
        print(f"load average at the end: {_load()}")
        med = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in runs.items()}
        off = med["off"]["wall"]
        for name in names:
            m = med[name]
            vs = (m["wall"] - off) / off
            print(
                f"{name}: median wall {m['wall']:.1f} s ({vs:+.1%} against --no-mlflow), "
                f"cases {m['cases']:.1f} s, rest {m['rest']:.1f} s, CPU {m['cpu']:.1f} s"
            )
        # each round runs every variant back to back, so a round's differences share its load
        for a, b in (("on", "off"), ("no-traces", "off"), ("on", "no-traces"), ("at-end", "off")):
            diffs = [x["wall"] - y["wall"] for x, y in zip(runs[a], runs[b], strict=True)]
            cpu = [x["cpu"] - y["cpu"] for x, y in zip(runs[a], runs[b], strict=True)]
            d = statistics.median(diffs)
            low, high = _interval(diffs)
            print(
                f"{a} - {b}, per round: {', '.join(f'{x:+.1f}' for x in diffs)} s; median {d:+.1f} s "
                f"({d / off:+.1%} of --no-mlflow's wall; 95% interval {low / off:+.1%} to "
                f"{high / off:+.1%}), CPU {statistics.median(cpu):+.1f} s"
            )
        total, trace_s, n = _traces_alone(out, "on-0", f"sqlite:///{tmp}/again.db")
        print(f"logging on-0 again: {total:.1f} s, of which {n} traces {trace_s:.2f} s")


if __name__ == "__main__":
    main()
