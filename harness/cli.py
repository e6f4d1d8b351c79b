"""`cairo-evals`: the command line. Exit codes: 0 all good, 1 a check failed, 2 bad usage or
configuration (an invalid suite, no compiler)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .cairo import Compiler, CompileResult, CompilerNotFound
from .goldens import GoldenCheck, verify
from .suite import SuiteError, json_schema, load_suite, load_suites

out = Console()
err = Console(stderr=True)


def _compiler(args: argparse.Namespace) -> Compiler:
    return Compiler(args.compiler, cache=not args.no_cache, workers=args.workers, timeout=args.timeout)


def cmd_validate(args: argparse.Namespace) -> int:
    from .suite import discover

    failed = 0
    for path in discover(args.suites):
        try:
            suite = load_suite(path)
        except SuiteError as e:
            failed += 1
            for problem in e.problems:
                print(str(problem), file=sys.stderr)
            continue
        print(f"{suite.path}: ok ({len(suite.cases)} cases)")
    return 1 if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0


def cmd_check_golden(args: argparse.Namespace) -> int:
    suites = load_suites(args.suites)
    jobs = [(s, c) for s in suites for c in s.cases]
    checks: list[GoldenCheck] = []
    with (
        _compiler(args) as compiler,
        Progress(
            TextColumn("[bold]check-golden"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            disable=args.json,
        ) as progress,
    ):
        task = progress.add_task("", total=len(jobs))
        err.print(
            f"compiler: {compiler.backend.name} ({compiler.version}); {len(jobs)} goldens", highlight=False
        ) if not args.json else None
        with ThreadPoolExecutor(
            max_workers=(getattr(compiler.backend, "pool", None) and compiler.backend.pool.size) or 2
        ) as ex:
            futures = {ex.submit(verify, c, compiler, s.dependencies): c for s, c in jobs}
            for fut in as_completed(futures):
                check = fut.result()
                checks.append(check)
                progress.update(
                    task, advance=1, description=f"{'ok ' if check.ok else 'FAIL'} {check.case.nodeid}"
                )
    order = {c.nodeid: i for i, (_, c) in enumerate(jobs)}
    checks.sort(key=lambda ch: order[ch.case.nodeid])
    if args.json:
        print(
            json.dumps(
                [{"case": ch.case.nodeid, "ok": ch.ok, **ch.result.to_dict()} for ch in checks], indent=2
            )
        )
    else:
        table = Table(title="golden references")
        for col in ("case", "kind", "compiles", "tests", "time", "cached"):
            table.add_column(col)
        for ch in checks:
            r = ch.result
            tests = f"{r.tests.passed}/{r.tests.total}" if r.tests else "-"
            style = None if ch.ok else "red"
            table.add_row(
                ch.case.nodeid,
                ch.case.kind,
                "yes" if r.ok else "NO",
                tests,
                f"{r.duration_s:.1f}s",
                "yes" if r.cached else "",
                style=style,
            )
        out.print(table)
        for ch in checks:
            if not ch.ok:
                print(ch.explain(), file=sys.stderr)
        bad = sum(not ch.ok for ch in checks)
        out.print(f"{len(checks) - bad}/{len(checks)} goldens compile and pass their tests")
    return 0 if all(ch.ok for ch in checks) else 1


def _print_result(result: CompileResult) -> None:
    verdict = "compiles" if result.ok else "does NOT compile"
    out.print(
        f"{verdict} ({result.backend} {result.backend_version}, {result.duration_s:.1f}s"
        f"{', cached' if result.cached else ''})",
        highlight=False,
    )
    for d in result.diagnostics:
        print(f"  {d.render()}")
    if result.tests is not None:
        t = result.tests
        out.print(f"tests: passed={t.passed} failed={t.failed}")
        for f in t.failures:
            print(f"  FAILED {f.name}: {f.message}")
    for note in result.notes:
        print(f"note: {note}", style="dim")


def cmd_compile(args: argparse.Namespace) -> int:
    code = Path(args.file).read_text()
    tests = Path(args.tests).read_text() if args.tests else None
    kind = args.kind or ("contract" if "#[starknet::contract]" in code else "program")
    with _compiler(args) as compiler:
        result = compiler.compile(code, kind, tests)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_result(result)
    return 0 if result.passed else 1


def _compiler_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--compiler",
        choices=["auto", "scarb", "wasm"],
        default="auto",
        help="auto: Scarb when on PATH, else the embedded wasm compiler",
    )
    p.add_argument("--no-cache", action="store_true", help="recompile even when a verdict is cached")
    p.add_argument("--workers", type=int, default=None, help="wasm worker processes (default: cores)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds per compile (default 180)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cairo-evals", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cairo-evals {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check suite files; print every error with file:line")
    p.add_argument("suites", nargs="*", help="suite files or folders (default: suites/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the suite JSON Schema (for editors)")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("check-golden", help="compile every golden reference and run its tests")
    p.add_argument("suites", nargs="*", help="suite files or folders (default: suites/)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    _compiler_options(p)
    p.set_defaults(func=cmd_check_golden)

    p = sub.add_parser("compile", help="compile one Cairo file (and run tests against it)")
    p.add_argument("file")
    p.add_argument(
        "--kind",
        choices=["contract", "program"],
        default=None,
        help="default: contract when the file has #[starknet::contract]",
    )
    p.add_argument("--tests", help="a Cairo test module to append and run")
    p.add_argument("--json", action="store_true", help="print the CompileResult as JSON")
    _compiler_options(p)
    p.set_defaults(func=cmd_compile)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SuiteError as e:
        for problem in e.problems:
            print(str(problem), file=sys.stderr)
        return 2
    except CompilerNotFound as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
