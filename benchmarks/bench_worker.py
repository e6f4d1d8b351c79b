"""The native worker's own phase times, and its verdicts, on a warm worker.

Run: .venv/bin/python benchmarks/bench_worker.py [--verdicts out.json] > phases.json

1. Phases: the goldens of every starter suite that has tests (62), each sealed with its tests as
   the native backend does, sent one at a time to one long-lived worker (warmed up by one
   compile first). The worker reports when its diagnostics check ended (`check_ms`), when Sierra
   and CASM were ready (`compile_ms`), when the runner was set up (`runner_ms`) and its total
   (`ms`); the wall time is taken here, around the call. Median and sum of each phase.
2. With --verdicts FILE: the native verdict on every input of the agreement benchmark
   (bench_agreement.py: the 16 starter goldens and their 87 mutants, with the cases' tests),
   written to FILE, so that a change to the worker can be shown to give identical verdicts
   (compare two files with `diff`; each row has the verdict and its first message).
3. With --binary PATH: that worker binary instead of the one built from today's sources (the
   binary of the previous sources stays in `<cache>/native/bin/`), for a before/after run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench_agreement import first_message, verdict
from bench_native import starter_cases

from harness.cairo import Compiler, native
from harness.cairo.native import MAX_TEST_GAS, native_pool
from harness.cairo.pool import Budget
from harness.cairo.seal import seal
from harness.calibrate import mutants
from harness.suite import load_suites


def phases() -> dict[str, object]:
    cases = [c for s in load_suites() for c in s.cases if c.tests and c.golden]
    rows = []
    pool = native_pool(size=1)
    try:

        def call(case):  # type: ignore[no-untyped-def]
            sealed = seal(case.golden, case.tests)
            request = {
                "op": "compile",
                "source": sealed.source,
                "edition": "2024_07",
                "run_tests": True,
                "test_filter": sealed.marker,
                "max_gas": MAX_TEST_GAS,
            }
            start = time.monotonic()
            reply = pool.call(request, Budget(600))
            return reply, (time.monotonic() - start) * 1000

        call(cases[0])  # warm-up
        for case in cases:
            reply, wall = call(case)
            d = reply.data
            ok = bool(d.get("compiled")) and all(t["status"] == "passed" for t in d.get("tests", ()))
            row = {
                "case": case.nodeid,
                "ok": ok,
                "check": d.get("check_ms", 0.0),
                "sierra_casm": d.get("compile_ms", 0.0) - d.get("check_ms", 0.0),
                "runner_setup": d.get("runner_ms", 0.0) - d.get("compile_ms", 0.0),
                "tests": d.get("ms", 0.0) - d.get("runner_ms", 0.0),
                "wall": wall,
                "rss_mb": reply.data.get("rss", 0) / 2**20,
            }
            rows.append(row)
            print(f"  {case.nodeid}: {wall:.0f} ms ok={ok}", file=sys.stderr)
    finally:
        pool.close()
    out: dict[str, object] = {"cases": len(rows), "passed": sum(r["ok"] for r in rows)}
    out["rss_mb_first_last"] = [round(float(rows[0]["rss_mb"])), round(float(rows[-1]["rss_mb"]))]  # type: ignore[arg-type]
    for key in ("check", "sierra_casm", "runner_setup", "tests", "wall"):
        values = [float(r[key]) for r in rows]  # type: ignore[arg-type]
        out[key] = {"median_ms": round(statistics.median(values), 1), "sum_s": round(sum(values) / 1000, 2)}
    return out


def verdicts(path: str) -> None:
    inputs = []
    for case in starter_cases():
        inputs.append((case, "golden", case.golden))
        inputs += [(case, kind, code) for kind, code in mutants(case)]
    with Compiler("native", workers=1, cache=False, timeout=600) as compiler:
        rows = []
        for case, kind, code in inputs:
            result = compiler.compile(code, case.kind, case.tests)
            rows.append(
                {
                    "case": case.nodeid,
                    "input": kind,
                    "native": verdict(result),
                    "message": first_message(result),
                }
            )
    with open(path, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"{len(rows)} native verdicts written to {path}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verdicts", metavar="FILE", help="write the agreement inputs' native verdicts")
    parser.add_argument("--skip-phases", action="store_true")
    parser.add_argument(
        "--binary", type=Path, help="this worker binary instead of the sources' own (before/after)"
    )
    args = parser.parse_args()
    if args.binary:
        native.ensure_native = lambda *_, **__: args.binary  # type: ignore[assignment]
    if args.verdicts:
        verdicts(args.verdicts)
    if not args.skip_phases:
        print(json.dumps(phases(), indent=2))


if __name__ == "__main__":
    main()
