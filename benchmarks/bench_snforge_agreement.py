"""The harness's verdicts against snforge's own, on snforge suites (issue 24, item 4).

Run (a real Scarb and snforge on PATH; `--patch` where the scarbs.xyz registry is out of reach):

    .venv/bin/python benchmarks/bench_snforge_agreement.py SUITE.yaml [SUITE.yaml …] \\
        [--patch 'snforge_std = { path = "…/snforge_std" }'] [--json out.json]

Inputs: each case's golden and three wrong variants of it, where the golden has a place for them
(harness.calibrate.mutants): `deleted-check` (the first assert or access check removed),
`flipped-comparison` (the first comparison turned around) and `no-emit` (every `self.emit`
removed).

Each input is judged twice:
- **the harness**: the Scarb backend with the suite's dependencies and test runner, the case's
  tests sealed as in every run (`Compiler.compile`, no cache);
- **snforge itself**: a package of our own (the same manifest), the answer in `src/lib.cairo`
  with the case's tests appended in a `#[cfg(test)]` module, and `snforge test` run in it. Its
  stdout is read here with nothing of the harness's parser: `[PASS] path`/`[FAIL] path` lines
  and the `Tests: N passed, M failed` summary.

They agree when both say the answer does not compile, or both ran the tests and the same tests
passed (by name). Prints a table (case, variant, harness, snforge, agree) and the agreement n/N;
every disagreement is listed with both sides' first lines, for a person to explain.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_agreement import first_message, verdict  # noqa: E402

from harness.cairo import Compiler, CompileResult  # noqa: E402
from harness.cairo.scarb import ScarbBackend, add_scarb_options, scrubbed_env  # noqa: E402
from harness.cairotext import expected_tests  # noqa: E402
from harness.calibrate import mutants  # noqa: E402
from harness.suite import Case, load_suites  # noqa: E402

VARIANTS = ("deleted-check", "flipped-comparison", "no-emit")
RESULT_LINE = re.compile(r"^\[(PASS|FAIL)\]\s+(\S+)", re.M)
SUMMARY = re.compile(r"^Tests: (\d+) passed, (\d+) failed", re.M)


@dataclass
class Row:
    case: str
    variant: str
    harness: str
    snforge: str
    agree: bool
    harness_passed: list[str]
    snforge_passed: list[str]
    harness_says: str
    snforge_says: str


def harness_verdict(r: CompileResult, tests: str | None) -> tuple[str, set[str], str]:
    """bench_agreement's verdict and first message, and the tests that passed, by name."""
    said = verdict(r)
    if not said.startswith("tests "):
        return said, set(), first_message(r)
    failed = {f.name.rsplit("::", 1)[-1] for f in r.tests.failures} if r.tests else set()
    passed = {n.rsplit("::", 1)[-1] for n in expected_tests(tests or "")} - failed
    return said, passed, first_message(r)


def snforge_verdict(
    backend: ScarbBackend, case: Case, code: str, deps: tuple[tuple[str, str], ...], work: Path
) -> tuple[str, set[str], str]:
    """(verdict, passed test names, first line) from a plain `snforge test` in a package of ours."""
    pkg = Path(tempfile.mkdtemp(prefix="snforge-check-", dir=work))
    (pkg / "src").mkdir()
    (pkg / "Scarb.toml").write_text(backend.manifest(case.kind, deps, "snforge"), encoding="utf-8")
    lib = code
    if case.tests:
        lib += "\n\n#[cfg(test)]\nmod snforge_check {\n    use super::*;\n\n" + case.tests + "\n}\n"
    (pkg / "src" / "lib.cairo").write_text(lib, encoding="utf-8")
    sn = backend.snforge()
    assert sn is not None, "snforge is not on PATH"
    done = subprocess.run(
        [sn[0], "test"], cwd=pkg, capture_output=True, text=True, env=scrubbed_env(), timeout=1800
    )
    out = done.stdout + done.stderr
    summary = SUMMARY.search(done.stdout)
    if summary is None:
        errors = [line for line in out.splitlines() if line.startswith(("error", "[ERROR]"))]
        if case.tests is None and done.returncode == 0:
            return "compiles", set(), ""
        return "does-not-compile", set(), (errors[0] if errors else out.strip()[-300:])[:300]
    passed = {name.rsplit("::", 1)[-1] for kind, name in RESULT_LINE.findall(done.stdout) if kind == "PASS"}
    failed = [name for kind, name in RESULT_LINE.findall(done.stdout) if kind == "FAIL"]
    total = int(summary[1]) + int(summary[2])
    if case.tests is None:
        return "compiles", set(), ""
    return f"tests {summary[1]}/{total}", passed, (failed[0] if failed else "")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("suites", nargs="+")
    p.add_argument("--json", type=Path, help="also write the rows as JSON")
    p.add_argument("--only-golden", action="store_true", help="goldens only, no variants")
    p.add_argument("--workers", type=int, default=2, help="inputs judged at once (default 2)")
    add_scarb_options(p)
    args = p.parse_args()
    backend = ScarbBackend(test_runner="snforge")
    compiler = Compiler(backend, cache=False, timeout=1800)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="snforge-agreement-") as work:
        jobs = []
        for suite in load_suites(args.suites):
            for case in suite.cases:
                inputs = [("golden", case.golden)]
                if not args.only_golden:
                    inputs += [(k, code) for k, code in mutants(case) if k in VARIANTS]
                jobs += [(suite.dependencies, case, variant, code) for variant, code in inputs]

        def judge(job: tuple[tuple[tuple[str, str], ...], Case, str, str]) -> Row:
            deps, case, variant, code = job
            r = compiler.compile(code, case.kind, case.tests, deps, case.cairo, case.test_runner)
            h, h_passed, h_says = harness_verdict(r, case.tests)
            s, s_passed, s_says = snforge_verdict(backend, case, code, deps, Path(work))
            agree = h == s and h_passed == s_passed
            row = Row(case.nodeid, variant, h, s, agree, sorted(h_passed), sorted(s_passed), h_says, s_says)
            print(f"{case.nodeid:45} {variant:20} {h:18} {s:18} {'yes' if agree else 'NO'}", flush=True)
            return row

        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            rows = list(pool.map(judge, jobs))
    took = time.perf_counter() - start
    agreed = sum(r.agree for r in rows)
    print(f"\nagreement: {agreed}/{len(rows)} in {took:.0f} s ({backend.version()})")
    for r in rows:
        if not r.agree:
            print(f"- {r.case} {r.variant}: harness {r.harness} ({r.harness_says})")
            print(f"  snforge {r.snforge} ({r.snforge_says})")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0 if agreed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
