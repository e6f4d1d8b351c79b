"""Cross-backend agreement: native (Cairo 2.16) against wasm (Cairo ~2.8) on the same inputs.

Run: .venv/bin/python benchmarks/bench_agreement.py [--scarb] > agreement.json

With --scarb (a real Scarb on PATH) it also gives each pair of backends' agreement on the inputs
both could judge (native-scarb includes the deploy tests wasm cannot run).

Inputs: the 16 starter goldens (see bench_native.py) with their tests, and every calibration
mutant of them (harness.calibrate.mutants). Each backend gives a verdict: `skipped` (it cannot
judge it: e.g. deploy_syscall tests on wasm), `fault`, `does-not-compile`, `unbound`, or the
tests passed/total. Prints the agreement counts and every disagreement with both verdicts and
the first diagnostic of each side, for a person to explain in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

from bench_native import starter_cases

from harness.cairo import Compiler, CompileResult
from harness.calibrate import mutants


def verdict(r: CompileResult) -> str:
    if r.status == "unsupported":
        return "skipped"
    if r.fault:
        return f"fault ({r.status})"
    if not r.ok:
        return "does-not-compile"
    if r.tests is None:
        return "compiles"
    if not r.tests.bound:
        return "unbound"
    return f"tests {r.tests.passed}/{r.tests.total}"


def first_message(r: CompileResult) -> str:
    if r.errors:
        return r.errors[0].render()[:200]
    if r.tests is not None and r.tests.failures:
        f = r.tests.failures[0]
        return f"{f.name}: {f.message}"[:200]
    return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scarb", action="store_true", help="also compare with a real scarb on PATH")
    args = parser.parse_args()
    inputs = []
    for case in starter_cases():
        inputs.append((case, "golden", case.golden))
        inputs += [(case, kind, code) for kind, code in mutants(case)]
    backends = ["native", "wasm", *(["scarb"] if args.scarb else [])]
    verdicts: dict[str, list[CompileResult]] = {}
    for name in backends:
        with Compiler(name, workers=2, timeout=600) as compiler, ThreadPoolExecutor(2) as ex:  # type: ignore[arg-type]
            verdicts[name] = list(
                ex.map(lambda item, c=compiler: c.compile(item[2], item[0].kind, item[0].tests), inputs)
            )
        print(f"{name}: {len(inputs)} verdicts", file=sys.stderr)
    rows = []
    for i, (case, kind, _) in enumerate(inputs):
        seen = {name: verdict(verdicts[name][i]) for name in backends}
        rows.append(
            {
                "case": case.nodeid,
                "input": kind,
                **seen,
                "agree": len(set(seen.values())) == 1,
                "messages": {name: first_message(verdicts[name][i]) for name in backends},
            }
        )
    judged = [r for r in rows if "skipped" not in (r["native"], r["wasm"])]
    pairs = {}
    for i, a in enumerate(backends):
        for b in backends[i + 1 :]:
            both = [r for r in rows if "skipped" not in (r[a], r[b])]
            pairs[f"{a}-{b}"] = {
                "both_judged": len(both),
                "agree": sum(r[a] == r[b] for r in both),
                "disagreements": [r for r in both if r[a] != r[b]],
            }
    out = {
        "inputs": len(rows),
        "both_judged": len(judged),
        "agree": sum(r["agree"] for r in judged),
        "skipped": {name: sum(r[name] == "skipped" for r in rows) for name in backends},
        "skipped_by_wasm": sum(r["wasm"] == "skipped" for r in rows),
        "pairs": pairs if len(backends) > 2 else None,
        "disagreements": [r for r in judged if not r["agree"]],
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
