"""Native (Cairo 2.16, our Rust worker) against wasm (wasm-cairo, Cairo ~2.8), in one run.

Run: .venv/bin/python benchmarks/bench_native.py [--skip-wasm] [--main-command]

1. The 16 starter goldens (the cases the starter suites had before the 60-case benchmark), each
   compiled with its Cairo tests, cache off:
   - cold worker: a fresh pool (one new worker) per compile: worker start, corelib, compile, tests;
   - warm worker: one long-lived worker, warmed up by one compile first, then each golden.
   Median and max seconds per compile+tests, per backend. The wasm runner cannot deploy
   contracts, so for the four contract cases whose tests now deploy (deploy_syscall) it runs
   their earlier tests (contract_state_for_testing, from git history: commit 4b8316d); both
   backends compile the same goldens.
2. With --main-command: the README's main command (`cairo-evals run`), compile cache off
   (`--no-cache`), native already built, on the 16 starter cases and on every case of the
   starter suites; wall time of the whole command.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness.cairo import Compiler
from harness.cairo.native import NativeBackend, native_pool
from harness.cairo.wasm import WasmBackend, wasm_pool
from harness.suite import Case, load_suites

ROOT = Path(__file__).resolve().parents[1]
STARTER = {
    "starknet-contracts": [
        "scoreboard", "message-board", "step-counter", "owned-counter",
        "price-oracle", "treasury", "simple-token", "ballot",
    ],
    "cairo-basics": [
        "checked-factorial", "span-utils", "shapes", "robot-commands",
        "parse-number", "loops", "strings", "generics",
    ],
}  # fmt: skip
OLD_TESTS_COMMIT = "4b8316d"  # the starter tests before they deployed contracts


def starter_cases() -> list[Case]:
    by_id = {(s.name, c.id): c for s in load_suites() for c in s.cases}
    return [by_id[(suite, cid)] for suite, ids in STARTER.items() for cid in ids]


def wasm_tests(case: Case) -> str | None:
    """The tests the wasm runner can run: the earlier ones where today's deploy a contract."""
    if case.tests and "deploy_syscall" in case.tests and case.tests_path:
        old = subprocess.run(
            ["git", "show", f"{OLD_TESTS_COMMIT}:{case.tests_path}"], cwd=ROOT, capture_output=True, text=True
        )
        if old.returncode == 0:
            return old.stdout
    return case.tests


def timed(compiler: Compiler, case: Case, tests: str | None) -> tuple[float, bool]:
    start = time.monotonic()
    result = compiler.compile(case.golden, case.kind, tests)
    return time.monotonic() - start, result.passed


def measure(name: str, cases: list[Case]) -> dict[str, object]:
    make_backend = (
        (lambda pool: NativeBackend(pool)) if name == "native" else (lambda pool: WasmBackend(pool))
    )
    make_pool = native_pool if name == "native" else wasm_pool
    tests_for = (lambda c: c.tests) if name == "native" else wasm_tests
    cold, warm, verdicts = [], [], {}
    for case in cases:  # cold: a new worker for each compile
        with Compiler(make_backend(make_pool(size=1)), cache=False, timeout=600) as compiler:
            seconds, ok = timed(compiler, case, tests_for(case))
        cold.append(seconds)
        verdicts[case.nodeid] = ok
        print(f"  {name} cold {case.nodeid}: {seconds:.2f} s passed={ok}", file=sys.stderr)
    with Compiler(make_backend(make_pool(size=1)), cache=False, timeout=600) as compiler:
        timed(compiler, cases[0], tests_for(cases[0]))  # warm-up
        for case in cases:
            seconds, _ = timed(compiler, case, tests_for(case))
            warm.append(seconds)
            print(f"  {name} warm {case.nodeid}: {seconds:.2f} s", file=sys.stderr)
    return {
        "backend": name,
        "cold_median_s": round(statistics.median(cold), 3),
        "cold_max_s": round(max(cold), 3),
        "warm_median_s": round(statistics.median(warm), 3),
        "warm_max_s": round(max(warm), 3),
        "goldens_passed": sum(verdicts.values()),
        "goldens": len(cases),
    }


def main_command(selection: list[str]) -> float:
    start = time.monotonic()
    # the README's main command as a user runs it (embedded Postgres, MLflow logging, reports),
    # with the compile cache off and the native compiler named so a Scarb on PATH is not picked
    cmd = [str(ROOT / ".venv/bin/cairo-evals"), "run", "--no-cache", "--compiler", "native"]
    subprocess.run([*cmd, *selection], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    return round(time.monotonic() - start, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-wasm", action="store_true")
    parser.add_argument("--main-command", action="store_true")
    args = parser.parse_args()
    cases = starter_cases()
    rows = [measure("native", cases)]
    if not args.skip_wasm:
        rows.append(measure("wasm", cases))
    if len(rows) == 2:
        for key in ("cold_median_s", "warm_median_s"):
            print(f"wasm/native {key}: {rows[1][key] / rows[0][key]:.1f}x", file=sys.stderr)  # type: ignore[operator]
    out: dict[str, object] = {"compile_and_tests": rows}
    if args.main_command:
        ids = ",".join(c.nodeid for c in cases)
        out["main_command_16_cases_s"] = main_command(["--cases", ids])
        out["main_command_all_cases_s"] = main_command([])
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
