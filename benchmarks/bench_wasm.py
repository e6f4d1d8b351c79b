"""Compile-layer benchmarks (issue 3). Run: .venv/bin/python benchmarks/bench_wasm.py

1. Eight golden contracts compiled with our pool of 2 long-lived workers, versus the baseline:
   one bare `compileStarknetContract` call per file in a fresh Node process, 2 at a time.
   Same run, same machine; wall time and peak RSS per worker/process.
2. Verdict agreement, runTests-as-verdict (ours) versus compileStarknetContract (baseline),
   on the eight goldens plus four broken variants, with per-call times.
3. Cache: the same input compiled twice; the second call's time (median of 20).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.cairo import Compiler
from harness.cairo.node import ensure_wasm_cairo
from harness.cairo.wasm import WasmBackend, wasm_pool
from harness.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
MB = 1024**2


def contracts() -> list[tuple[str, str]]:
    suite = load_suite(ROOT / "suites" / "starknet-contracts.yaml")
    goldens = [(c.id, c.golden) for c in suite.cases][:8]
    first = goldens[0][1]
    broken = [
        (
            "broken-vec",
            first.replace(
                "#[storage]", "fn history() -> Vec<u64> {\n        Vec::new()\n    }\n    #[storage]", 1
            ),
        ),
        ("broken-println-import", "use std::io::println;\n" + first),
        (
            "broken-missing-storage-import",
            first.replace("use starknet::storage::", "use starknet::storagex::", 1),
        ),
        (
            "broken-type",
            first.replace(
                "-> u64 {", "-> u64 {\n            let wide: u128 = 1;\n            return wide;", 1
            ),
        ),
    ]
    return goldens + [b for b in broken if b[1] != first]


def bare(pkg: Path, name: str, code: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".cairo", delete=False) as f:
        f.write(code)
    start = time.monotonic()
    proc = subprocess.run(
        ["node", str(ROOT / "benchmarks/bare_wasm_cairo.mjs"), str(pkg), f.name, "contract"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data.update(name=name, wall=time.monotonic() - start)
    return data


def main() -> None:
    pkg = ensure_wasm_cairo()
    items = contracts()
    goldens = items[:8]
    print(f"{len(goldens)} golden contracts, {len(items) - 8} broken variants", flush=True)

    start = time.monotonic()
    with ThreadPoolExecutor(2) as ex:
        base_goldens = list(ex.map(lambda it: bare(pkg, *it), goldens))
    base_wall = time.monotonic() - start
    with ThreadPoolExecutor(2) as ex:
        base = base_goldens + list(ex.map(lambda it: bare(pkg, *it), items[8:]))

    backend = WasmBackend(wasm_pool(size=2))
    compiler = Compiler(backend, cache=False, timeout=600)
    ours: dict[str, tuple[bool, float]] = {}

    def run(item: tuple[str, str]) -> None:
        t = time.monotonic()
        r = compiler.compile(item[1], "contract")
        ours[item[0]] = (r.ok, time.monotonic() - t)

    start = time.monotonic()
    with ThreadPoolExecutor(2) as ex:
        list(ex.map(run, goldens))
    ours_wall = time.monotonic() - start
    with ThreadPoolExecutor(2) as ex:
        list(ex.map(run, items[8:]))
    compiler.close()
    peaks = backend.pool.peak_rss_by_worker

    rss = [b["max_rss"] for b in base_goldens]
    print("\n## 8 contracts, 2 at a time")
    print(
        f"baseline (fresh node per file): wall {base_wall:.1f} s, peak RSS per process "
        f"{min(rss) / MB:.0f}-{max(rss) / MB:.0f} MB"
    )
    print(
        f"ours (2 workers, runTests verdict): wall {ours_wall:.1f} s, peak RSS per worker "
        f"{', '.join(f'{p / MB:.0f}' for p in peaks)} MB, workers started {backend.pool.started}"
    )
    print(f"ratio baseline/ours: {base_wall / ours_wall:.2f}x")

    print("\n## verdicts: runTests (ours) vs compileStarknetContract (baseline)")
    agree = 0
    for b in base:
        ok, t = ours[b["name"]]
        agree += ok == b["ok"]
        print(
            f"{b['name']:32} baseline={'ok' if b['ok'] else 'FAIL'} ({b['ms'] / 1000:.1f}s in-call)  "
            f"ours={'ok' if ok else 'FAIL'} ({t:.1f}s)  {'agree' if ok == b['ok'] else 'DISAGREE'}"
        )
    print(f"agreement {agree}/{len(base)}")

    with Compiler("wasm", timeout=600, cache_root=Path(tempfile.mkdtemp())) as c:
        code = goldens[0][1]
        c.compile(code, "contract")
        times = []
        for _ in range(20):
            t = time.perf_counter()
            c.compile(code, "contract")
            times.append((time.perf_counter() - t) * 1000)
    print(f"\n## cache: second call median {statistics.median(times):.2f} ms, max {max(times):.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
