"""`cairo-evals`: the command line. Exit codes mean one thing each: 0 all good; 1 a gate missed,
a regression, or a check failed; 2 a usage, configuration or environment error (an invalid
suite, no compiler, a missing API key, an unwritable output folder, a run another process is
writing, cases left unscored by harness faults); 130 interrupted (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from . import __version__
from .cairo import Compiler, CompileResult, CompilerNotFound
from .cairo.pool import default_pool_size
from .cairo.scarb import add_scarb_options
from .goldens import GoldenCheck, discrimination_lines, summarize, verify
from .suite import SuiteError, json_schema, load_suite, load_suites
from .transient import describe as describe_error

# What imports DSPy, LiteLLM, MLflow or scipy (the runner, metric, gates, reports, compare,
# optimize, prompts) is imported by the commands that use it, so `validate`, `schema`, `compile`
# and `doctor` start without them (about 2 s of CPU less; tests/test_cli_startup.py keeps it so).
if TYPE_CHECKING:
    from .compare import Comparison
    from .gate import SuiteVerdict
    from .metric import CaseResult
    from .optimize import Optimization, OptimizeOptions, Outcome
    from .runner import Progress as RunProgress
    from .runner import Runner, RunOptions, RunResult

    Evaluated = tuple[RunResult, list[SuiteVerdict], Runner]

LIGHT_COMMANDS = ("validate", "schema", "doctor", "compile")  # parsed without the commands that need DSPy

# CI logs are not terminals: give tables room instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _compiler(args: argparse.Namespace) -> Compiler:
    return Compiler(args.compiler, cache=not args.no_cache, workers=args.workers, timeout=args.timeout)


def cmd_validate(args: argparse.Namespace) -> int:
    from .authoring import describe as describe_suite
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
        lines, warnings = describe_suite(suite)  # tests per case; items the query does not name
        print("\n".join(lines))
        for warning in warnings:
            print(warning, file=sys.stderr)
    return 2 if failed else 0  # an invalid suite is a configuration error, as for every command


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
        if not args.json:
            err.print(
                f"compiler: {compiler.backend.name} ({compiler.version}); {len(jobs)} goldens",
                highlight=False,
            )
        with ThreadPoolExecutor(max_workers=args.workers or default_pool_size()) as ex:
            futures = {
                ex.submit(verify, c, compiler, s.dependencies, not args.no_discrimination): c for s, c in jobs
            }
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
                [
                    {
                        "case": ch.case.nodeid,
                        "ok": ch.ok,
                        "outcome": ch.outcome,
                        "expected": ch.expected,
                        "verdict": ch.verdict,
                        "nondiscriminating": ch.discrimination.passed_by if ch.discrimination else None,
                        **ch.result.to_dict(),
                    }
                    for ch in checks
                ],
                indent=2,
            )
        )
    else:
        table = Table(title="golden references")
        for col in ("case", "kind", "compiles", "tests", "expected", "outcome", "time", "cached"):
            table.add_column(col)
        for ch in checks:
            r = ch.result
            tests = f"{r.tests.passed}/{r.tests.total}" if r.tests else "-"
            style = {"ok": None, "skipped": "yellow"}.get(ch.outcome, "red")
            table.add_row(
                ch.case.nodeid,
                ch.case.kind,
                "-" if r.fault else "yes" if r.ok else "NO",
                tests,
                ch.expected,
                ch.outcome,
                f"{r.duration_s:.1f}s",
                "yes" if r.cached else "",
                style=style,
            )
        out.print(table)
        for ch in checks:
            if not ch.ok:
                print(ch.explain(), file=sys.stderr)
        lines, warnings = discrimination_lines(checks)
        for line in lines:
            out.print(line, highlight=False)
        for warning in warnings:
            print(warning, file=sys.stderr)
        for line in summarize(checks):
            out.print(line, highlight=False)
    # skipped goldens (a backend that cannot judge them) do not fail the check; faults do
    return 0 if all(ch.outcome in ("ok", "skipped") for ch in checks) else 1


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
        out.print(f"note: {note}", style="dim", markup=False, highlight=False)


def cmd_compile(args: argparse.Namespace) -> int:
    code = Path(args.file).read_text()
    tests = Path(args.tests).read_text() if args.tests else None
    kind = args.kind or ("contract" if "#[starknet::contract]" in code else "program")
    if tests is None and not args.no_tests:  # the developer's tool: the file's own tests run
        from .authoring import split_own_tests

        own = split_own_tests(code)
        code, tests = own.code, own.tests
        said = (
            f"running the file's own tests: {own.count} (its top-level #[cfg(test)] items and #[test] "
            "functions; a tests.cairo line is the file's line)"
            if tests is not None
            else "the file has no top-level tests: compile only"
        )
        if own.nested:
            said += f"; not run, inside other modules: {', '.join(own.nested)}"
        print(said, file=sys.stderr if args.json else sys.stdout)
    with _compiler(args) as compiler:
        result = compiler.compile(code, kind, tests)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_result(result)
    return 0 if result.passed else 1


def cmd_import(args: argparse.Namespace) -> int:
    from . import importers
    from .authoring import describe as describe_suite
    from .runner import UsageError

    source = Path(args.source)
    if not source.exists():
        raise UsageError(f"{args.source}: no such file or folder")
    if args.kind == "jsonl":
        if not (args.query_field and args.golden_field):
            raise UsageError("import jsonl needs --query-field and --golden-field")
        found = importers.jsonl(source, args.query_field, args.golden_field, args.tests_field, args.id_field)
    elif args.kind == "starklings":
        found = importers.starklings(source)
    else:
        found = importers.scarb_packages(source)
    for line in importers.summary(found):
        print(line)
    if not found.cases:
        print("nothing to write", file=sys.stderr)
        return 1
    added = None
    if args.added:
        try:
            added = datetime.date.fromisoformat(args.added)
        except ValueError:
            raise UsageError(f"--added {args.added!r}: expected YYYY-MM-DD") from None
    # packages that share a dependency set make one suite; other sets, a suite each
    parts = importers.by_dependencies(found, Path(args.out)) if args.kind == "scarb-packages" else []
    for out, part in parts or [(Path(args.out), found)]:
        for line in part.grouping:
            print(f"suite {line}")
        name = args.name and (f"{args.name}-{part.label}" if part.label else args.name)
        out_path = importers.write_suite(part, out, name=name, split=args.split, added=added)
        print(f"wrote {out_path} (goldens and tests under its root's golden/ folder); validating it:")
        suite = load_suite(out_path)  # an invalid result is a SuiteError: exit 2 with every problem
        lines, warnings = describe_suite(suite)
        print(lines[0])
        for warning in warnings:
            print(warning, file=sys.stderr)
        print(f"check its goldens: cairo-evals check-golden {out_path}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    import asyncio

    from .rag import Database, SchemaMismatch, ingest

    db = Database(args.dsn)
    where = f"embedded PostgreSQL at {db.pgdata}" if db.embedded else "the --dsn / CAIRO_EVALS_DSN database"
    try:
        report = asyncio.run(ingest(db, args.embedder, args.path, reset=args.reset))
    except (SchemaMismatch, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        db.cleanup()
    print(f"ingested {args.path or 'the shipped corpus'} into {where}: {report}")
    return 0


def add_lm_client_options(p: argparse.ArgumentParser) -> None:
    """How live LMs are reached, for those whose spec does not say (`harness.endpoint`)."""
    p.add_argument(
        "--lm-engine",
        choices=["auto", "lm15", "litellm"],
        help="DSPy's client for live LMs: auto (lm15 when it can, else LiteLLM), lm15 (never LiteLLM) "
        "or litellm; a spec's own engine= wins",
    )
    p.add_argument(
        "--lm-rps", type=float, help="requests per second to each live endpoint (default: no limit)"
    )
    p.add_argument(
        "--lm-concurrency", type=int, help="requests in flight to each live endpoint (default: no limit)"
    )


def _csv(values: Sequence[str]) -> tuple[str, ...]:
    """`--x a,b --x c` → ("a", "b", "c")."""
    return tuple(v for arg in values for v in arg.split(",") if v)


def _run_options(args: argparse.Namespace) -> RunOptions:
    from .runner import RunOptions, resume_run_options

    if args.resume:
        return resume_run_options(args.resume, args.out)
    return RunOptions(
        suites=tuple(args.suites),
        program=args.program,
        answer_field=args.answer_field,
        lm=args.lm,
        judge_lm=args.judge_lm,
        compiler=args.compiler,
        concurrency=args.concurrency,
        repeats=args.repeats,
        tags=_csv(args.tags),
        cases=_csv(args.cases),
        split=args.split,
        added_after=args.added_after,
        shard=args.shard,
        case_timeout=args.case_timeout,
        compile_timeout=args.timeout,
        workers=args.workers,
        retries=args.retries,
        max_cost=args.max_cost,
        out=args.out,
        compile_cache=not args.no_cache,
        lm_engine=args.lm_engine,
        lm_rps=args.lm_rps,
        lm_concurrency=args.lm_concurrency,
    )


def print_verdicts(found: list[SuiteVerdict]) -> None:
    """The per-suite and per-tag tables and the gates, as both faces print them."""
    table = Table(title="suites")
    for col in ("suite", "cases", "mean score", "compile rate", "tests pass rate", "pass@k", "gates"):
        table.add_column(col)
    for v in found:
        f = v.figures
        if not f["cases"] and v.skipped:  # nothing judged: no figures to show, no gates applied
            why = f"not judged ({v.skipped} skipped)"
            table.add_row(v.suite.name, "0", "-", "-", "-", "", why)
            continue
        pak = ", ".join(f"@{k} {p:.2f}" for k, p in v.pass_at_k.items())
        table.add_row(
            v.suite.name,
            str(int(f["cases"])),
            f"{f['mean_score']:.3f}",
            f"{f['compile_rate']:.2f}",
            f"{f['tests_pass_rate']:.2f}",
            pak,
            "ok" if v.ok else "[red]MISSED[/red]",
        )
    out.print(table)
    tags = Table(title="tags")
    for col in ("suite", "tag", "cases", "mean score", "compile rate", "tests pass rate"):
        tags.add_column(col)
    for v in found:
        for tag, f in v.tags.items():
            tags.add_row(
                v.suite.name,
                tag,
                str(int(f["cases"])),
                f"{f['mean_score']:.3f}",
                f"{f['compile_rate']:.2f}",
                f"{f['tests_pass_rate']:.2f}",
            )
    out.print(tags)
    for v in found:
        if v.partial:
            print(f"{v.suite.name}: {v.partial} (gate the merged run: cairo-evals merge)", file=sys.stderr)
        for check in v.checks:
            if not check.ok:
                print(f"gate missed: {v.suite.name}: {check.describe()}", file=sys.stderr)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM does what Ctrl-C does (CI cancels jobs with it): the run stops, its finished
    cases are kept and the resume hint is printed, instead of dying mid-write."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum: int, frame: object) -> None:
        handler = signal.getsignal(signal.SIGINT)  # asyncio's, during a run: cancels it cleanly
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _execute(runner: Runner, label: str = "run") -> RunResult:
    """Run with a progress bar on stderr; Ctrl-C keeps the finished cases and says how to resume."""
    progress = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeRemainingColumn(),
        console=err,
    )
    task = progress.add_task("", total=None, stats="")

    def on_result(result: CaseResult, p: RunProgress) -> None:
        stats = f"mean {p.mean:.3f} · compiled {p.compiled}/{p.done} · {p.tokens} tok · ${p.cost:.4f}" + (
            f" · {p.errors} errors" if p.errors else ""
        )
        progress.update(task, completed=p.done, total=p.total, stats=stats)

    runner.on_result = on_result
    runner.prepare()  # the run's lock and folder: a second writer or a read-only --out fails here
    print(f"{label} {runner.run_id}: results in {runner.folder}/results.jsonl", file=sys.stderr)
    print(f"compiler: {describe_compiler(runner.compiler)}", file=sys.stderr)
    try:
        with _terminate_as_interrupt(), progress:
            return asyncio.run(runner.run())
    finally:
        runner.lock.release()  # released by run() already, unless it never started


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import Runner, UsageError, check_run_id

    if args.timeout <= 0 or (args.workers is not None and args.workers < 1):
        raise UsageError("--timeout must be above 0 seconds and --workers at least 1")
    if args.resume:
        check_run_id(args.resume, "--resume")
    if args.run_id:
        check_run_id(args.run_id)
        if args.resume and args.resume != args.run_id:
            raise UsageError(f"--run-id {args.run_id} and --resume {args.resume} name two runs: give one")
    opts = _run_options(args)
    # a new run given its id must not land in an existing folder: only --resume continues one
    runner = Runner(
        opts, run_id=args.resume or args.run_id, fresh=not args.resume, record_spans=not args.no_mlflow
    )
    outcome = _run_and_record(runner, args, "run")
    if isinstance(outcome, int):
        return outcome
    code, result = outcome
    if args.baseline:
        try:
            regressed = print_comparison(args.baseline, result.run_id, args.out, args.margin).regression
        except ValueError as e:
            raise UsageError(f"--baseline: {e}") from None
        code = max(code, 1 if regressed else 0)
    return code


def _run_and_record(
    runner: Runner, args: argparse.Namespace, label: str, again: str = "", **tags: str
) -> int | tuple[int, RunResult]:
    """Validate, run with progress, write the reports, gate, log to MLflow (unless --no-mlflow):
    `run` and `rescore` alike. The exit code and the result, or just the exit code when
    interrupted. `again` is the command that continues the run (with --resume ID), when it is not
    `cairo-evals run`."""
    runner.validate()  # bad programs, LMs, keys or selections fail here, before anything is announced
    resume = f"{again + ' ' if again else ''}--resume {runner.run_id}"
    live = None
    try:
        if not args.no_mlflow:  # MLflow's side starts with the cases (traces as they finish)
            from .tracking import start_logging

            runner.prepare()  # the run's lock and folder first: a run refused here logs nothing
            live = start_logging(runner, args.mlflow_uri, args.experiment, tags or None)
        result = _execute(runner, label)
    except KeyboardInterrupt:
        if live is not None:
            live.abandon()
        print(f"\ninterrupted: finished cases are kept; continue with {resume}", file=sys.stderr)
        return 130
    except CompilerNotFound as e:  # the first compile the cache could not answer: exit 2, one line
        if live is not None:
            live.abandon("FAILED")
        if not runner.folder.is_dir():
            raise
        raise CompilerNotFound(
            f"{str(e).rstrip('.')}. Finished cases are kept: continue with {resume} "
            "once a compiler is installed."
        ) from None
    code, found = _finish(result, args.allow_errors, again or "cairo-evals run")
    if live is not None:
        mlflow_id = live.finish(result, found)
        if mlflow_id:
            print(f"logged to MLflow as run {mlflow_id} (cairo-evals ui to browse)", file=sys.stderr)
    return code, result


def cmd_rescore(args: argparse.Namespace) -> int:
    from .runner import UsageError, rescore_runner

    if (args.timeout is not None and args.timeout <= 0) or (args.workers is not None and args.workers < 1):
        raise UsageError("--timeout must be above 0 seconds and --workers at least 1")
    if args.resume and args.run_id and args.resume != args.run_id:
        raise UsageError(f"--run-id {args.run_id} and --resume {args.resume} name two runs: give one")
    runner = rescore_runner(
        args.run,
        out=args.out,
        run_id=args.resume or args.run_id,
        resume=bool(args.resume),
        compiler=args.compiler,
        judge_lm=args.judge_lm,
        workers=args.workers,
        compile_timeout=args.timeout,
        concurrency=args.concurrency,
        compile_cache=False if args.no_cache else None,
    )
    runner.record_spans = not args.no_mlflow  # the rescored cases' scoring spans, for their traces
    again = f"cairo-evals rescore {args.run}"
    outcome = _run_and_record(runner, args, "rescore", again, **{"cairo_evals.rescore_of": args.run})
    if isinstance(outcome, int):
        return outcome
    print(f"rescore of {args.run}: see what changed with cairo-evals compare {args.run} {runner.run_id}")
    return outcome[0]


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate
    from .judge import make_judge

    if args.align and not args.labels:
        print(
            "error: --align aligns the judge with human labels: give them with --labels RUN|QUEUE",
            file=sys.stderr,
        )
        return 2
    if args.labels:  # judge against people: the HUMAN labels on a logged run's traces
        from .labels import calibrate_labels

        code = calibrate_labels(args.labels, args.mlflow_uri)
        if not args.align or code == 2:
            return code
        from .align import calibrate_align

        return calibrate_align(
            args.labels, args.judge_lm, args.mlflow_uri, args.out, args.align_steps, args.holdout
        )
    judge = make_judge(args.judge_lm, samples=args.judge_samples)
    ok = True
    for suite in load_suites(args.suites):
        compiler = Compiler(args.compiler, workers=args.workers) if args.compile else None
        try:
            report = asyncio.run(calibrate(suite, judge, compiler, args.min_agreement))
        finally:
            if compiler is not None:
                compiler.close()
        kinds = list(report.per_kind)
        table = Table(title=f"calibration of the {judge.name} judge on {suite.name}")
        for col in ("case", "golden", *kinds):
            table.add_column(col)
        for r in report.rows:
            by_kind = {m.kind: m for m in r.mutants}
            cells = []
            for k in kinds:
                m = by_kind.get(k)
                if m is None:
                    cells.append("")
                    continue
                mark = {None: "", True: " ✗", False: " survived"}[m.fails_tests]
                style = "" if m.judge < r.golden else "[red]"
                cells.append(f"{style}{m.judge:.2f}{mark}")
            table.add_row(r.case, f"{r.golden:.2f}" + (f" {r.golden_tier}" if r.golden_tier else ""), *cells)
        out.print(table)
        for kind, (right, n) in report.per_kind.items():
            out.print(f"  golden ranked above {kind}: {right}/{n}")
        agree, n = report.agreement
        if report.executed:
            share = f"{agree / n:.0%}" if n else "n/a"
            out.print(
                f"  judge–execution agreement: {agree}/{n} mutants whose tests fail scored below "
                f"their golden ({share}; {report.survived} mutants survived the tests) — "
                f"{'ok' if report.ok else 'FAILS'} (needs {args.min_agreement:.0%})"
            )
        else:
            out.print("  judge–execution agreement: run with --compile to execute the mutants")
        ok &= report.ok
    if not ok:
        print("the judge does not score broken mutants below their golden often enough", file=sys.stderr)
    return 0 if ok else 1


ALLOW_ERRORS_HELP = (
    "gate the cases that have a verdict even when harness faults left others without one "
    "(default: any harness error fails the gates, exit 2)"
)


def describe_compiler(compiler: Compiler) -> str:
    """Which backend judges and why, and whether it must first be built or installed."""
    from .cairo import auto_choice, native

    backend = compiler.backend
    text = f"{backend.name} (Cairo {backend.cairo_version()})"
    if backend.name == "native" and not native.is_built():
        text += ": not built yet, the first compile builds it with cargo (once, about 8 minutes on 2 cores)"
    elif backend.name == "wasm":
        text += ": the embedded fallback, an approximation of today's Cairo"
    choice, why = auto_choice()
    if choice == backend.name:
        text += f" [auto: {why}]"
    return text


def _save(result: RunResult, allow_errors: bool = False) -> tuple[list[SuiteVerdict], dict[str, Path]]:
    """The verdicts, written with the reports (summary.json, report.html, summary.md, junit.xml)."""
    from .gate import verdicts
    from .report import write_reports
    from .runner import OutputError

    found = verdicts(result.suites, result.results, allow_errors)
    summary = {
        "run_id": result.run_id,
        "wall_s": round(result.wall_s, 1),
        "stopped": result.stopped,
        "suites": [v.to_dict() for v in found],
    }
    try:
        (result.folder / "summary.json").write_text(json.dumps(summary, indent=2))
        return found, write_reports(result, found)
    except OSError as e:
        raise OutputError(
            f"cannot write the reports into {result.folder}: {e.strerror or e}; the results are kept in "
            f"results.jsonl (write the reports later with --resume {result.run_id})"
        ) from None


def _finish(
    result: RunResult, allow_errors: bool = False, again: str = "cairo-evals run"
) -> tuple[int, list[SuiteVerdict]]:
    """Summary file, reports, tables, gates: the end of `run` and `merge` alike; the exit code
    (2 when harness faults left cases unscored: the verdict is incomplete, unless `allow_errors`,
    which gates the cases that have a verdict) and the verdicts."""
    found, written = _save(result, allow_errors)
    print_verdicts(found)
    for r in result.results:
        if r.status == "error":
            print(f"fault: {r.nodeid}: {r.fault or 'harness fault'}", file=sys.stderr)
        elif r.error:
            print(f"error: {r.nodeid}: {r.error}", file=sys.stderr)
    if result.stopped:
        print(f"stopped early: {result.stopped}", file=sys.stderr)
    tokens = sum(r.tokens for r in result.results)
    cost = sum(r.cost for r in result.results)
    retries = sum(r.retries for r in result.results)
    print(
        f"{len(result.results)} results in {result.wall_s:.1f}s · LM {tokens} tokens, ${cost:.6f}, "
        f"retries {retries}; report {written['html']}"
    )
    faults = sum(r.status == "error" for r in result.results)
    if faults and not allow_errors:
        print(
            f"{faults} case(s) not scored because of harness faults (see 'fault:' above); redo them with "
            f"{again} --resume {result.run_id}",
            file=sys.stderr,
        )
        return 2, found
    return (0 if all(v.ok for v in found) else 1), found


def print_comparison(a: str, b: str, out_dir: str, margin: float) -> Comparison:
    """Print the per-case deltas and the verdict of B against A (cases weighted as the gates weigh
    them; a warning when the runs' toolchains differ)."""
    from .compare import compare, load_results, run_case_weights, run_toolchain

    cmp = compare(
        load_results(a, out_dir),
        load_results(b, out_dir),
        margin=margin,
        weights=run_case_weights(b, out_dir),
        toolchains=(run_toolchain(a, out_dir), run_toolchain(b, out_dir)),
    )
    show_comparison(cmp, a, b)
    return cmp


def show_comparison(cmp: Comparison, a: str, b: str) -> None:
    from .compare import COLUMNS

    table = Table(title=f"{a} (A) → {b} (B)")
    for col in COLUMNS:
        table.add_column(col)
    for row in cmp.table():
        table.add_row(*row, style="red" if row[-1] == "new failure" else None)
    out.print(table)
    print(
        f"mean {cmp.mean_a:.3f} → {cmp.mean_b:.3f}: difference {cmp.mean_delta:+.4f}, {cmp.interval} "
        f"(paired, case-weighted, margin {cmp.margin}): {cmp.verdict}"
    )
    for warning in cmp.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for reason in cmp.reasons:
        print(f"- {reason}", file=sys.stderr if cmp.regression else sys.stdout)


def _optimize_options(args: argparse.Namespace) -> tuple[OptimizeOptions, str | None]:
    from .optimize import OptimizeOptions, resume_optimization
    from .runner import UsageError

    if args.resume:
        return resume_optimization(args.resume, args.out), args.resume
    if not args.suite:
        raise UsageError("optimize needs a suite file (or --resume ID)")
    return (
        OptimizeOptions(
            suite=args.suite,
            program=args.program,
            optimizer=args.optimizer,
            auto=args.auto,
            max_metric_calls=args.max_metric_calls,
            trials=args.trials,
            lm=args.lm,
            reflection_lm=args.reflection_lm,
            judge_lm=args.judge_lm,
            predictors=_csv(args.predictors),
            train_split=_csv([args.train_split]),
            val_split=_csv([args.val_split]),
            threads=args.threads,
            seed=args.seed,
            answer_field=args.answer_field,
            compiler=args.compiler,
            compile_cache=not args.no_cache,
            out=args.out,
        ),
        None,
    )


def _log_optimization(
    args: argparse.Namespace, opt: Optimization, outcome: Outcome, cmp: Comparison, runs: dict[str, Evaluated]
) -> dict[str, dict[str, int]]:
    """The three linked MLflow runs; the prompt versions each role used."""
    from .tracking import log_optimization

    params = {k: str(v) for k, v in asdict(opt.opts).items() if k != "out"}
    params |= {f"{s}_cases": ",".join(c.id for c in getattr(opt.splits, s)) for s in ("train", "val", "test")}
    metrics = {
        "val_seed_score": outcome.seed_val_score,
        "val_best_score": outcome.best_val_score,
        "metric_calls": outcome.metric_calls,
        "candidates": len(outcome.candidates),
        "optimizer_wall_s": outcome.wall_s,
        "test_baseline_mean": cmp.mean_a,
        "test_optimized_mean": cmp.mean_b,
        "test_delta": cmp.mean_delta,
        "test_regression": float(cmp.regression),
    }
    if cmp.ci_low is not None and cmp.ci_high is not None:  # no interval on too few test cases
        metrics |= {"test_ci_low": cmp.ci_low, "test_ci_high": cmp.ci_high}
    logged = log_optimization(
        opt.id,
        opt.folder,
        opt.suite.name,
        params,
        {k: float(v) for k, v in metrics.items() if v is not None},
        {role: (r, v, runner.opts, runner.programs) for role, (r, v, runner) in runs.items()},
        uri=args.mlflow_uri,
        experiment=args.experiment,
    )
    ids = {role: e["run"] for role, e in logged.items()}
    if ids.get("optimizer"):
        print(
            f"logged to MLflow (tag cairo_evals.optimize_id = {opt.id}): "
            + ", ".join(f"{role} {run}" for role, run in ids.items()),
            file=sys.stderr,
        )
    if ids.get("baseline") and ids.get("optimized"):
        _print_compare_links(ids["baseline"], ids["optimized"], args.mlflow_uri)
    return {role: e["prompts"] for role, e in logged.items()}


def _print_compare_links(baseline: str, optimized: str, uri: str | None) -> None:
    """The MLflow UI's case-by-case comparison of the optimised run against the baseline's (on
    the tracking server when the runs are on one, else where `cairo-evals ui` serves)."""
    from .tracking import compare_links

    try:
        links = compare_links(baseline, optimized, uri)
    except Exception as e:
        print(f"MLflow comparison unavailable: {type(e).__name__}: {e}", file=sys.stderr)
        return
    for link in links:
        print(f"MLflow comparison (baseline vs optimized, case by case; cairo-evals ui): {link}")


def cmd_optimize(args: argparse.Namespace) -> int:
    from .compare import compare
    from .optimize import ROLES, Optimization, describe
    from .report import BEFORE_AFTER, before_after_rows, render_optimization_markdown
    from .runner import Runner, UsageError

    opts, resume = _optimize_options(args)
    opt = Optimization(opts, resume)
    runners = {role: Runner(opt.eval_options(role), run_id=opt.run_id(role)) for role in ROLES}
    runners["baseline"].validate()  # the evaluation's wiring fails now, not after the optimizer's hours
    for line in describe(opt):
        print(line, file=sys.stderr)
    runs: dict[str, Evaluated] = {}
    try:
        try:
            with contextlib.redirect_stdout(sys.stderr):  # DSPy's progress bars: stdout keeps the results
                outcome = opt.optimize()
        except (KeyboardInterrupt, UsageError):
            raise
        except Exception as e:  # the LM provider, the optimizer: say where the state is, not a traceback
            print(
                f"error: {opts.optimizer} failed: {type(e).__name__}: {e}\n"
                f"its state is kept in {opt.folder}; continue with --resume {opt.id}",
                file=sys.stderr,
            )
            return 1
        print(
            f"{outcome.optimizer}: val {outcome.seed_val_score} → {outcome.best_val_score} in "
            f"{outcome.wall_s}s ({len(outcome.candidates)} candidates"
            + (f", {outcome.metric_calls} metric calls" if outcome.metric_calls else "")
            + "); "
            f"changed: {', '.join(outcome.changed) or 'nothing (no candidate beat the baseline)'}",
            file=sys.stderr,
        )
        print(f"optimised program: {outcome.program_path}")
        print(f"run it: cairo-evals run --program '{opts.program}@{outcome.program_path}'")
        for role, runner in runners.items():
            result = _execute(runner, role)
            runs[role] = (result, _save(result)[0], runner)
    except KeyboardInterrupt:
        print(f"\ninterrupted: what finished is kept; continue with --resume {opt.id}", file=sys.stderr)
        return 130
    baseline, optimized = (opt.run_id(role) for role in ROLES)
    cmp = compare(runs["baseline"][0].results, runs["optimized"][0].results, margin=args.margin)
    prompts = {} if args.no_mlflow else _log_optimization(args, opt, outcome, cmp, runs)
    val = {"baseline": outcome.seed_val_score, "optimized": outcome.best_val_score}
    rows = before_after_rows(val, {role: v[0].figures for role, (_, v, _) in runs.items()}, prompts)
    table = Table(title="before / after (val: the optimizer's own scores; test: held out)")
    for col in BEFORE_AFTER:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    out.print(table)
    show_comparison(cmp, baseline, optimized)
    title = f"cairo-evals optimize {opt.id}: {outcome.optimizer} on {opt.suite.name}"
    summary = render_optimization_markdown(title, rows, cmp.table(), cmp.reasons)
    (opt.folder / "summary.md").write_text(summary)
    print(f"summary: {opt.folder / 'summary.md'}", file=sys.stderr)
    return 1 if cmp.regression else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .runner import UsageError

    try:
        code = 1 if print_comparison(args.a, args.b, args.out, args.margin).regression else 0
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.open or args.mlflow_uri:
        _compare_in_mlflow(args)
    return code


def _compare_in_mlflow(args: argparse.Namespace) -> None:
    """Print (and with --open, open) the MLflow UI's case-by-case comparison of the two runs."""
    import webbrowser

    from .tracking import compare_links

    try:
        links = compare_links(args.a, args.b, args.mlflow_uri, args.ui)
    except Exception as e:
        print(f"MLflow comparison unavailable: {type(e).__name__}: {e}", file=sys.stderr)
        return
    if not links:
        print(f"{args.a} and {args.b} are not both in MLflow (cairo-evals log RUN_ID)", file=sys.stderr)
    for link in links:
        print(f"MLflow comparison: {link}")
    if args.open and links:
        webbrowser.open(links[0])


def cmd_merge(args: argparse.Namespace) -> int:
    from .runner import merge_runs

    result = merge_runs(args.runs, args.out, args.run_id)
    print(f"merged {', '.join(args.runs)} into {result.run_id}", file=sys.stderr)
    return _finish(result, args.allow_errors)[0]


def _compiler_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--compiler",
        choices=["auto", "scarb", "native", "wasm"],
        default="auto",
        help="auto: Scarb when on PATH, else the embedded wasm compiler",
    )
    p.add_argument("--no-cache", action="store_true", help="recompile even when a verdict is cached")
    p.add_argument("--workers", type=int, default=None, help="wasm worker processes (default: cores)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds per compile (default 180)")
    add_scarb_options(p)


def build_parser(light: bool = False) -> argparse.ArgumentParser:
    """Every command; with `light`, only validate, schema, compile and doctor (nothing that imports
    DSPy)."""
    parser = argparse.ArgumentParser(prog="cairo-evals", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cairo-evals {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check suite files; print every error with file:line")
    p.add_argument("suites", nargs="*", help="suite files or folders (default: suites/)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the suite JSON Schema (for editors)")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("compile", help="compile one Cairo file (and run tests against it)")
    p.add_argument("file")
    p.add_argument(
        "--kind",
        choices=["contract", "program"],
        default=None,
        help="default: contract when the file has #[starknet::contract]",
    )
    p.add_argument(
        "--tests", help="a Cairo tests file to run against FILE (default: the file's own top-level tests)"
    )
    p.add_argument("--no-tests", action="store_true", help="compile only: run no tests")
    p.add_argument("--json", action="store_true", help="print the CompileResult as JSON")
    _compiler_options(p)
    p.set_defaults(func=cmd_compile)

    if light:
        from . import doctor

        doctor.add_commands(sub)
        return parser
    from .optimize import BUDGETS, OPTIMIZERS
    from .runner import DEFAULT_PROGRAM, default_out

    p = sub.add_parser("check-golden", help="compile every golden reference and run its tests")
    p.add_argument("suites", nargs="*", help="suite files or folders (default: suites/)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--no-discrimination",
        action="store_true",
        help="skip compiling each case's do-nothing answers (which list the tests that a do-nothing "
        "answer passes too)",
    )
    _compiler_options(p)
    p.set_defaults(func=cmd_check_golden)

    p = sub.add_parser("run", help="run suites through the program, compiler and judge; gate the results")
    p.add_argument("--allow-errors", action="store_true", help=ALLOW_ERRORS_HELP)
    p.add_argument("suites", nargs="*", help="suite files or folders (default: suites/)")
    p.add_argument(
        "--program", help="program under test (default: the suite's, else harness.rag:RagPipeline)"
    )
    p.add_argument("--answer-field", default="answer", help="the program's output field with the answer")
    p.add_argument("--lm", help="LM for the program: a LiteLLM model, record:<model> or replay:<file>")
    p.add_argument("--judge-lm", help="'heuristic' or an LM spec (default: the suite's judge)")
    p.add_argument("--concurrency", type=int, default=8, help="cases in flight at once (default 8)")
    p.add_argument("--repeats", type=int, default=1, help="samples per case (pass@k, mean ± spread)")
    p.add_argument("--tags", action="append", default=[], help="only cases with one of these tags (a,b)")
    p.add_argument("--cases", action="append", default=[], help="only these case ids (a,b)")
    p.add_argument("--split", choices=["train", "val", "test"], help="only cases of this split")
    p.add_argument(
        "--added-after",
        metavar="DATE",
        help="only cases whose added: date is after DATE (YYYY-MM-DD), e.g. a model's training cutoff",
    )
    p.add_argument("--shard", help="i/n: this machine's deterministic share of the cases")
    p.add_argument("--out", default=default_out(), help="where run folders go (default reports/)")
    p.add_argument("--resume", metavar="RUN_ID", help="continue a run: skip its finished cases")
    p.add_argument("--max-cost", type=float, help="stop starting cases once the LM cost passes this")
    p.add_argument(
        "--baseline",
        metavar="RUN",
        help="compare with this run; exit 1 when a case went from pass to fail or the mean dropped",
    )
    p.add_argument("--mlflow-uri", help="tracking server (default: MLFLOW_TRACKING_URI, else ./mlruns.db)")
    p.add_argument("--experiment", help="MLflow experiment (default: the suite's name)")
    p.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    p.add_argument("--margin", type=float, default=0.02, help="regression margin for --baseline")
    p.add_argument(
        "--case-timeout",
        type=float,
        default=900.0,
        help="seconds the program has for one attempt at a case (default 900)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds of compiler worker time per compile, with the case's tests (default 180); "
        "time spent waiting for a free worker does not count",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="compiler worker processes, native or wasm (default: one per core, or $CAIRO_EVALS_WORKERS)",
    )
    p.add_argument(
        "--run-id",
        metavar="ID",
        help="the run folder's name under --out (default: the UTC time and 4 random hex digits); "
        "an existing folder is refused: continue it with --resume ID",
    )
    p.add_argument("--retries", type=int, default=3, help="retries for transient LM errors (default 3)")
    add_lm_client_options(p)
    p.add_argument("--compiler", choices=["auto", "scarb", "native", "wasm"], default=None)
    add_scarb_options(p)
    p.add_argument("--no-cache", action="store_true", help="recompile even when a verdict is cached")
    p.set_defaults(func=cmd_run)

    from . import doctor, labels, prompts, tracking, ui

    tracking.add_commands(sub)
    prompts.add_commands(sub)
    ui.add_commands(sub)
    doctor.add_commands(sub)
    labels.add_commands(sub)

    rescore_help = (
        "score a finished run's saved answers again with today's harness (compiler, extraction, "
        "rules, judge; no LM calls for answers) into a new run; then: cairo-evals compare RUN NEWRUN"
    )
    p = sub.add_parser("rescore", help=rescore_help, description=rescore_help)
    p.add_argument("run", metavar="RUN", help="the finished run's id (a folder under --out)")
    p.add_argument("--out", default=default_out(), help="where run folders are (default reports/)")
    p.add_argument("--run-id", metavar="ID", help="the new run's id (default: a new one); must not exist")
    p.add_argument("--resume", metavar="ID", help="continue an interrupted rescore of RUN")
    p.add_argument(
        "--compiler", choices=["auto", "scarb", "native", "wasm"], default=None, help="default: RUN's"
    )
    p.add_argument("--judge-lm", help="'heuristic' or an LM spec (default: RUN's, else the suite's judge)")
    p.add_argument("--workers", type=int, default=None, help="compiler worker processes (default: RUN's)")
    p.add_argument("--timeout", type=float, default=None, help="seconds of compiler worker time per compile")
    p.add_argument("--concurrency", type=int, default=None, help="cases in flight at once (default: RUN's)")
    p.add_argument("--no-cache", action="store_true", help="recompile even when a verdict is cached")
    p.add_argument("--allow-errors", action="store_true", help=ALLOW_ERRORS_HELP)
    p.add_argument("--mlflow-uri", help="tracking server (default: MLFLOW_TRACKING_URI, else ./mlruns.db)")
    p.add_argument("--experiment", help="MLflow experiment (default: the suite's name)")
    p.add_argument("--no-mlflow", action="store_true", help="do not log the run to MLflow")
    p.set_defaults(func=cmd_rescore)

    compare_help = (
        "per-case deltas of B against baseline A; exit 1 when a case went from pass to fail "
        "(a harness fault against a verdict counts as a fail) or the mean's 95% CI is below -margin; "
        "McNemar's p of the flips is printed as information"
    )
    p = sub.add_parser("compare", help=compare_help.replace("%", "%%"), description=compare_help)
    p.add_argument("a", help="baseline: a run id, run folder or results.jsonl")
    p.add_argument("b", help="candidate: a run id, run folder or results.jsonl")
    p.add_argument("--out", default=default_out(), help="where run folders are (default reports/)")
    p.add_argument(
        "--margin",
        type=float,
        default=0.02,
        help="a regression is a 95%% CI below -margin, or a case that went from pass to fail",
    )
    p.add_argument(
        "--open", action="store_true", help="open the MLflow UI's case-by-case comparison (cairo-evals ui)"
    )
    p.add_argument("--mlflow-uri", default=None, help="print the MLflow comparison link from this store")
    p.add_argument(
        "--ui",
        default=None,
        help="the MLflow UI's address (default: the tracking server, else where cairo-evals ui serves)",
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "optimize",
        help="tune a program's prompts on the train/val cases (GEPA, MIPROv2); compare on the test cases",
    )
    p.add_argument("suite", nargs="?", help="the suite file whose cases train, validate and test")
    p.add_argument(
        "--program", default=DEFAULT_PROGRAM, help=f"package.module:attr (default {DEFAULT_PROGRAM})"
    )
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="gepa")
    p.add_argument("--auto", choices=list(BUDGETS), default="light", help="the optimizer's budget preset")
    p.add_argument("--max-metric-calls", type=int, help="GEPA: an exact budget instead of --auto")
    p.add_argument("--trials", type=int, help="MIPROv2: trials and candidates instead of --auto")
    p.add_argument("--lm", help="the program's LM: a LiteLLM model or py:factory (not replay:)")
    p.add_argument("--reflection-lm", help="GEPA's reflection LM / MIPROv2's prompt model (default: --lm)")
    p.add_argument("--judge-lm", help="'heuristic' or an LM spec (default: the suite's judge)")
    p.add_argument("--predictors", action="append", default=[], help="only tune these predictors (a,b)")
    p.add_argument("--train-split", default="train", help="splits to train on (default train; never test)")
    p.add_argument("--val-split", default="val", help="splits to select candidates on (default val)")
    p.add_argument("--threads", type=int, default=4, help="parallel program calls (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--answer-field", default="answer", help="the program's output field with the answer")
    p.add_argument("--margin", type=float, default=0.02, help="regression margin for the test comparison")
    p.add_argument("--out", default=default_out(), help="where runs go (default reports/)")
    p.add_argument("--resume", metavar="ID", help="continue an optimisation from its folder")
    p.add_argument("--mlflow-uri", help="tracking server (default: MLFLOW_TRACKING_URI, else ./mlruns.db)")
    p.add_argument("--experiment", help="MLflow experiment (default: the suite's name)")
    p.add_argument("--no-mlflow", action="store_true", help="do not log to MLflow")
    p.add_argument("--compiler", choices=["auto", "scarb", "native", "wasm"], default=None)
    add_scarb_options(p)
    p.add_argument("--no-cache", action="store_true", help="recompile even when a verdict is cached")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("merge", help="fold shard runs into one run and gate it")
    p.add_argument("runs", nargs="+", metavar="RUN_ID", help="run ids under --out (e.g. one per CI shard)")
    p.add_argument("--out", default=default_out(), help="where run folders are (default reports/)")
    p.add_argument("--run-id", help="the merged run's id (default: a new one)")
    p.add_argument("--allow-errors", action="store_true", help=ALLOW_ERRORS_HELP)
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("calibrate", help="check a judge scores mutants of each golden below it")
    p.add_argument("suites", nargs="*", help="suite files or folders (default: suites/)")
    p.add_argument("--judge-lm", default="heuristic", help="'heuristic' (default) or an LM spec")
    p.add_argument("--judge-samples", type=int, default=1, help="ask an LLM judge k times (mean)")
    p.add_argument(
        "--compile", action="store_true", help="execute the mutants and give the judge the real verdicts"
    )
    p.add_argument("--compiler", choices=["auto", "scarb", "native", "wasm"], default="auto")
    add_scarb_options(p)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument(
        "--min-agreement", type=float, default=0.75, help="judge–execution agreement needed (default 0.75)"
    )
    p.add_argument(
        "--labels",
        metavar="RUN|QUEUE",
        help="judge against the HUMAN labels on a logged run (or review queue): κ, TPR, TNR, n",
    )
    p.add_argument("--mlflow-uri", default=None, help="tracking URI for --labels (default: mlruns.db)")
    p.add_argument(
        "--align",
        action="store_true",
        help="with --labels: align the --judge-lm judge with the labels (MLflow's SIMBA, >= 10 labels); "
        "κ before and after, aligned instructions kept",
    )
    p.add_argument("--align-steps", type=int, default=8, help="SIMBA steps for --align (default 8)")
    p.add_argument(
        "--holdout", type=int, default=0, help="with --align: labelled cases kept out of it, measured apart"
    )
    p.add_argument(
        "--out", default=default_out(), help="where run folders are, for --align (default reports/)"
    )
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("import", help="write a suite from Scarb packages, Starklings or a JSONL dataset")
    p.add_argument("kind", choices=["scarb-packages", "starklings", "jsonl"])
    p.add_argument("source", help="the folder (scarb-packages, starklings) or file (jsonl) to read")
    p.add_argument("--out", required=True, help="the suite file to write, e.g. suites/book.yaml")
    p.add_argument("--name", help="the suite's name (default: the file's stem)")
    p.add_argument("--split", choices=["train", "val", "test"], default="test", help="every case's split")
    p.add_argument("--added", help="YYYY-MM-DD: every case's `added:` date (when the material was written)")
    p.add_argument("--query-field", help="jsonl: the field with the query (a.b reaches into objects)")
    p.add_argument("--golden-field", help="jsonl: the field with the golden code (fenced code is extracted)")
    p.add_argument("--tests-field", help="jsonl: the field with the tests (default: the golden's own tests)")
    p.add_argument("--id-field", help="jsonl: the field with the case id (default: <file>-<line>)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("ingest", help="chunk, embed and store a Cairo docs corpus for the RAG pipeline")
    p.add_argument(
        "path", nargs="?", default=None, help="a .md/.cairo file or folder (default: the shipped corpus)"
    )
    p.add_argument(
        "--dsn", default=None, help="PostgreSQL URI (default: CAIRO_EVALS_DSN, else embedded pgserver)"
    )
    p.add_argument(
        "--embedder", default="local", help="'local' (hashing, offline) or a LiteLLM embedding model string"
    )
    p.add_argument("--reset", action="store_true", help="drop the stored corpus first (to change embedder)")
    p.set_defaults(func=cmd_ingest)
    return parser


class _OneLine(logging.Formatter):
    """Library warnings as one line each, with the exception's type and message instead of its
    traceback (asyncpg logs one per failed reconnect while a database is down)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({describe_error(record.exc_info[1])})"
        return text


def _log_one_line_per_warning() -> None:
    root = logging.getLogger()
    if not root.handlers:  # leave an embedding application's logging alone
        handler = logging.StreamHandler()
        handler.setFormatter(_OneLine())
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


def _usage_errors() -> tuple[type[Exception], ...]:
    """The runner's `UsageError` and the program loader's `ProgramError` (exit 2), from the modules
    a command loaded: an exception's module is imported before it can be raised, and importing
    those two just to name them would cost every command DSPy's import."""
    found = []
    for module, name in (("runner", "UsageError"), ("program", "ProgramError")):
        cls = getattr(sys.modules.get(f"{__package__}.{module}"), name, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            found.append(cls)
    return tuple(found)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    light = command in LIGHT_COMMANDS or (command is None and "--version" in argv)
    args = build_parser(light=light).parse_args(argv)
    _log_one_line_per_warning()
    try:
        return int(args.func(args))
    except SuiteError as e:
        for problem in e.problems:
            print(str(problem), file=sys.stderr)
        return 2
    except CompilerNotFound as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        if not isinstance(e, _usage_errors()):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
