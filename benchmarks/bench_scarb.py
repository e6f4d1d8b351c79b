"""Scarb backend: per-case cost in the warm workspace versus a fresh package per case (issue 14).

Run on a machine with Scarb (and, for `--runner snforge`, Starknet Foundry) on PATH:

    .venv/bin/python benchmarks/bench_scarb.py [--cases 8] [--dep openzeppelin=2.0.0] [--runner cairo-test]
    .venv/bin/python benchmarks/bench_scarb.py --path-dep openzeppelin=/path/to/cairo-contracts

Each mode gets a new work folder, prepared once (fetch + dependency build, timed apart: a
one-off per toolchain and dependency set). Then each of the N golden cases is compiled warm and
fresh in turn, straight through `ScarbBackend.compile` (no verdict cache), so a change in the
machine's load hits both modes alike. It prints each case's wall time, the median and mean per
case, and the ratio fresh / warm; the verdicts of both modes must agree case by case.

- warm: `ScarbBackend(warm=True)`: one slot of the prepared workspace, `src/lib.cairo` swapped.
- fresh: `ScarbBackend(warm=False)`: a new package and target folder per case, as the Scarb
  backend did before issue 14 and as Cairo Coder's runner does (a fresh temp copy per call);
  the downloads are shared through Scarb's cache in both modes, so the difference is the
  compilation of dependencies (and `starknet`/`cairo_test`/`snforge_std`) per case.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness.cairo._types import CompileRequest
from harness.cairo.scarb import ScarbBackend
from harness.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]


class PathDeps(ScarbBackend):
    """A Scarb backend whose packages also depend on local checkouts (`name = { path = … }`): a
    registry package (e.g. OpenZeppelin) stands in from a checkout where the registry is out of
    reach. The suite format itself takes version requirements only."""

    path_deps: tuple[tuple[str, str], ...] = ()

    def manifest(self, kind, dependencies, runner):  # type: ignore[no-untyped-def]
        text = super().manifest(kind, dependencies, runner)
        extra = "".join(f'{name} = {{ path = "{path}" }}\n' for name, path in self.path_deps)
        return text.replace("[dependencies]\n", "[dependencies]\n" + extra, 1)


def cases(n: int) -> list[tuple[str, CompileRequest]]:
    out = []
    for name in ("starknet-contracts", "cairo-basics"):
        for case in load_suite(ROOT / "suites" / f"{name}.yaml").cases:
            out.append((case.nodeid, CompileRequest(case.golden, case.kind, case.tests)))
    return out[:n]


def main_loop(
    reqs: list[tuple[str, CompileRequest]],
    deps: tuple[tuple[str, str], ...],
    runner: str,
    path_deps: tuple[tuple[str, str], ...] = (),
) -> dict[str, dict]:
    """Both modes prepared once, then each case compiled warm and fresh in turn (so a change in
    the machine's load hits both alike)."""
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scarb-") as tmp:
        backends = {
            mode: PathDeps(work_root=Path(tmp) / mode, warm=mode == "warm", test_runner=runner)
            for mode in ("warm", "fresh")
        }
        for backend in backends.values():
            backend.path_deps = path_deps
        for mode, backend in backends.items():
            print(f"{mode}: {backend.version()}", file=sys.stderr)
            start = time.monotonic()
            for kind in sorted({r.kind for _, r in reqs}):
                backend.prepare(kind, deps, "cairo-test" if runner == "auto" else runner)
            out[mode] = {"prepare": time.monotonic() - start, "times": [], "verdicts": []}
        for nodeid, req in reqs:
            req = CompileRequest(req.code, req.kind, req.tests, deps)
            for mode, backend in backends.items():
                t0 = time.monotonic()
                result = backend.compile(req, timeout=1800)
                out[mode]["times"].append(time.monotonic() - t0)
                tests = f"{result.tests.passed}/{result.tests.total}" if result.tests else "-"
                out[mode]["verdicts"].append(f"{result.status} ok={result.ok} tests={tests}")
                print(
                    f"  {mode} {nodeid}: {out[mode]['times'][-1]:.1f} s  {out[mode]['verdicts'][-1]}",
                    file=sys.stderr,
                )
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=8)
    p.add_argument("--dep", action="append", default=[], help="name=version, e.g. openzeppelin=2.0.0")
    p.add_argument("--runner", choices=["auto", "cairo-test", "snforge"], default="cairo-test")
    p.add_argument("--path-dep", action="append", default=[], help="name=/local/checkout (see PathDeps)")
    args = p.parse_args()
    deps = tuple(tuple(d.split("=", 1)) for d in args.dep)
    reqs = cases(args.cases)
    path_deps = tuple(tuple(d.split("=", 1)) for d in args.path_dep)
    both = main_loop(reqs, deps, args.runner, path_deps)  # type: ignore[arg-type]
    warm, fresh = both["warm"], both["fresh"]
    print(f"{'case':<44} {'warm s':>8} {'fresh s':>8}  verdicts agree")
    for (nodeid, _), w, f, vw, vf in zip(
        reqs, warm["times"], fresh["times"], warm["verdicts"], fresh["verdicts"], strict=True
    ):
        print(f"{nodeid:<44} {w:8.1f} {f:8.1f}  {'yes' if vw == vf else f'NO: {vw} / {vf}'}")
    for mode, r in (("warm", warm), ("fresh", fresh)):
        print(
            f"{mode}: prepare {r['prepare']:.1f} s once; per case median "
            f"{statistics.median(r['times']):.1f} s, mean {statistics.mean(r['times']):.1f} s"
        )
    ratio = statistics.median(fresh["times"]) / statistics.median(warm["times"])
    print(f"ratio fresh / warm (median per case): {ratio:.2f}x")
    return 0 if warm["verdicts"] == fresh["verdicts"] else 1


if __name__ == "__main__":
    sys.exit(main())
