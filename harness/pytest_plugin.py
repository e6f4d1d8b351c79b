"""The pytest face: `pytest evals` turns every case of every suite into one item.

Registered as the `cairo_evals` pytest11 entry point. The folder named by the ini option
`cairo_evals_dir` (default `evals`) is collected as suites instead of Python files: one
collector per suite, one `CaseItem` per case, shown as `evals::<suite>::<case>`.

Each item goes through the same `Runner` as `cairo-evals run` (one event loop per process),
and fails with the case's feedback when it misses its bar: its `min_score` when the case has
one, else "compiles and passes its tests". After the items, the suites' gates are evaluated
once over all results, exactly as the CLI does; a missed gate fails the session.

State lives on `config.stash`, never in module globals. Under pytest-xdist every worker writes
`reports/<run_id>/results.<worker>.jsonl` and the controller merges them into one
`results.jsonl` (one run) before gating.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cairo import CompilerNotFound
from .gate import SuiteVerdict, verdicts
from .metric import CaseResult
from .program import DaemonExecutor, ProgramError
from .report import write_reports
from .runner import (
    ResultsLog,
    Runner,
    RunOptions,
    RunResult,
    UsageError,
    default_out,
    new_run_id,
    ordered,
    read_results,
    record_run,
)
from .suite import Case, Suite, SuiteError, load_suites

SUITES_KEY = pytest.StashKey[list[Suite]]()
RUNNER_KEY = pytest.StashKey[Runner]()
LOOP_KEY = pytest.StashKey[asyncio.AbstractEventLoop]()
RUN_ID_KEY = pytest.StashKey[str]()
VERDICTS_KEY = pytest.StashKey[list[SuiteVerdict]]()
WORKER_INPUT = "cairo_evals_run_id"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cairo-evals", "cairo-evals: Cairo code-generation evals")
    group.addoption(
        "--suite",
        action="append",
        default=[],
        metavar="PATH",
        help="suite file or folder to collect (repeatable; default: suites/)",
    )
    group.addoption("--program", default=None, help="program under test (default: the suite's)")
    group.addoption("--lm", default=None, help="LM for the program under test (default: the suite's)")
    group.addoption("--judge-lm", default=None, help="judge LM, or 'heuristic' (default: the suite's)")
    group.addoption(
        "--lm-engine",
        choices=["auto", "lm15", "litellm"],
        default=None,
        help="DSPy's client for live LMs whose spec names none (as cairo-evals run --lm-engine)",
    )
    group.addoption("--lm-rps", type=float, default=None, help="requests per second to each live endpoint")
    group.addoption(
        "--lm-concurrency", type=int, default=None, help="requests in flight to each live endpoint"
    )
    group.addoption(
        "--compiler",
        choices=["auto", "scarb", "native", "wasm"],
        default=None,
        help="Cairo compiler backend (default: the suite's, else auto)",
    )
    group.addoption("--repeats", type=int, default=1, help="samples per case")
    group.addoption("--no-compile-cache", action="store_true", help="recompile cached verdicts")
    group.addoption("--evals-out", default=None, help="where the run folder goes (default reports/)")
    group.addoption("--evals-run-id", default=None, help="the run folder's name (default: a new run id)")
    group.addoption(
        "--gates-only",
        action="store_true",
        help="exit status from the suites' gates alone: failing cases are still reported (CI nightlies)",
    )
    group.addoption(
        "--allow-errors",
        action="store_true",
        help="gate the cases that have a verdict even when harness faults left others without one",
    )
    parser.addini("cairo_evals_dir", "folder collected as cairo-evals suites", default="evals")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cairo_eval(suite, case): a cairo-evals case item")
    worker_input = getattr(config, "workerinput", None)
    given = config.getoption("evals_run_id", None)
    config.stash[RUN_ID_KEY] = worker_input[WORKER_INPUT] if worker_input else given or new_run_id()


def pytest_configure_node(node: Any) -> None:
    """xdist controller → each worker: all workers write into the same run."""
    node.workerinput[WORKER_INPUT] = node.config.stash[RUN_ID_KEY]


def _options(config: pytest.Config) -> RunOptions:
    return RunOptions(
        suites=tuple(config.getoption("suite")),
        program=config.getoption("program"),
        lm=config.getoption("lm"),
        judge_lm=config.getoption("judge_lm"),
        lm_engine=config.getoption("lm_engine"),
        lm_rps=config.getoption("lm_rps"),
        lm_concurrency=config.getoption("lm_concurrency"),
        compiler=config.getoption("compiler"),
        repeats=config.getoption("repeats"),
        out=config.getoption("evals_out") or default_out(),
        compile_cache=not config.getoption("no_compile_cache"),
    )


def _suites(config: pytest.Config) -> list[Suite]:
    if SUITES_KEY not in config.stash:
        paths = config.getoption("suite") or [config.rootpath / "suites"]
        try:
            config.stash[SUITES_KEY] = load_suites(paths)
        except SuiteError as e:
            raise pytest.UsageError(f"invalid suite:\n{e}") from None
    return config.stash[SUITES_KEY]


def _runner(config: pytest.Config) -> Runner:
    if RUNNER_KEY not in config.stash:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        runner = Runner(
            _options(config),
            run_id=config.stash[RUN_ID_KEY],
            suites=_suites(config),
            results_name=f"results.{worker}.jsonl" if worker else "results.jsonl",
        )
        try:  # every program, LM and judge loads before the first case runs
            runner.check(runner.suites)
        except (UsageError, ProgramError, CompilerNotFound) as e:
            raise pytest.UsageError(str(e)) from None
        config.stash[RUNNER_KEY] = runner
        loop = asyncio.new_event_loop()
        loop.set_default_executor(DaemonExecutor())  # a hung sync program must not block the exit
        config.stash[LOOP_KEY] = loop
    return config.stash[RUNNER_KEY]


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    evals_dir = parent.config.rootpath / parent.config.getini("cairo_evals_dir")
    if path == evals_dir:
        return EvalsDir.from_parent(parent, path=path)
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(isinstance(item, CaseItem) for item in session.items) and not hasattr(
        session.config, "workerinput"
    ):
        _runner(session.config)  # fail on a bad program/LM spec now, not once per item


class EvalsDir(pytest.Directory):
    """The evals folder: its children are the suites, not its Python files."""

    def collect(self) -> Iterator[pytest.Collector]:
        for suite in _suites(self.config):
            yield SuiteCollector.from_parent(self, name=suite.name, suite=suite)


class SuiteCollector(pytest.Collector):
    def __init__(self, *, suite: Suite, **kw: Any) -> None:
        super().__init__(**kw)
        self.suite = suite

    def collect(self) -> Iterator[pytest.Item]:
        for case in self.suite.cases:
            yield CaseItem.from_parent(self, name=case.id, suite=self.suite, case=case)


class CaseFailed(Exception):
    """A case did not meet its bar; the message is the case's feedback."""


class CaseItem(pytest.Item):
    def __init__(self, *, suite: Suite, case: Case, **kw: Any) -> None:
        super().__init__(**kw)
        self.suite = suite
        self.case = case
        self.add_marker(pytest.mark.cairo_eval(suite.name, case.id))
        for tag in case.tags:
            self.keywords[tag] = True  # `-k events` selects by tag

    def runtest(self) -> None:
        runner = _runner(self.config)
        try:  # one writer per results file, as for `cairo-evals run`
            runner.folder.mkdir(parents=True, exist_ok=True)
            runner.lock.acquire()
        except (UsageError, OSError) as e:
            raise pytest.UsageError(str(e)) from None
        loop = self.config.stash[LOOP_KEY]
        results = [
            loop.run_until_complete(runner.run_one(self.suite, self.case, sample))
            for sample in range(runner.opts.repeats)
        ]
        scored = [r for r in results if r.status == "ok"]
        if not scored:  # no verdict: the backend cannot judge the case, or our machinery failed
            first = results[0]
            if first.status == "skipped":
                pytest.skip(f"not judged: {first.fault}")
            raise CaseFailed(f"HARNESS ERROR, not a verdict on the answer: {first.fault}")
        results = scored
        score = sum(r.score for r in results) / len(results)
        self.user_properties += [("score", round(score, 4)), ("compiled", all(r.compiled for r in results))]
        failed = [r for r in results if r.error or not r.passed]
        bar = self.case.min_score
        if (bar is not None and score < bar) or (bar is None and failed):
            worst = min(results, key=lambda r: r.score)
            raise CaseFailed(
                f"score {score:.3f}"
                + (f" < min_score {bar}" if bar is not None else "")
                + f"\n{worst.feedback}"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return Path(self.suite.path), self.case.line - 1, f"{self.suite.name}::{self.case.id}"


def _merge(folder: Path) -> list[CaseResult]:
    """The workers' results files folded into the run's one results.jsonl."""
    parts = sorted(folder.glob("results.gw*.jsonl"))
    main = folder / "results.jsonl"
    if parts:
        merged = read_results(main) + [r for p in parts for r in read_results(p)]
        tmp = folder / "results.jsonl.tmp"
        tmp.unlink(missing_ok=True)
        log = ResultsLog(tmp)
        for r in merged:
            log.append(r)
        tmp.replace(main)
        for p in parts:
            p.unlink()
            p.with_name(p.name + ".lock").unlink(missing_ok=True)  # the worker's run lock
    return read_results(main)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if RUNNER_KEY in config.stash:
        config.stash[LOOP_KEY].run_until_complete(config.stash[RUNNER_KEY].aclose())
        config.stash[LOOP_KEY].close()
        config.stash[RUNNER_KEY].lock.release()
    if hasattr(config, "workerinput"):
        return  # workers leave gating to the controller (which collects no items itself)
    folder = Path(_options(config).out) / config.stash[RUN_ID_KEY]
    if not folder.is_dir():
        return  # no eval item ran
    results = ordered(_merge(folder), _suites(config))
    with contextlib.suppress(OSError, CompilerNotFound):  # the toolchain, for `compare`'s warning
        record_run(Runner(_options(config), run_id=config.stash[RUN_ID_KEY], suites=_suites(config)))
    found = verdicts(_suites(config), results, config.getoption("allow_errors"))
    config.stash[VERDICTS_KEY] = found
    write_reports(RunResult(config.stash[RUN_ID_KEY], folder, _suites(config), results, 0.0), found)
    gates_ok = all(v.ok for v in found)
    if config.getoption("gates_only") and session.exitstatus in (
        pytest.ExitCode.OK,
        pytest.ExitCode.TESTS_FAILED,
    ):
        session.exitstatus = pytest.ExitCode.OK if gates_ok else pytest.ExitCode.TESTS_FAILED
    elif not gates_ok and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    found = config.stash.get(VERDICTS_KEY, None)
    if not found:
        return
    terminalreporter.section("cairo-evals gates")
    folder = Path(_options(config).out) / config.stash[RUN_ID_KEY]
    for v in found:
        f = v.figures
        terminalreporter.write_line(
            f"{v.suite.name}: {int(f['cases'])} cases, mean {f['mean_score']:.3f}, compile rate "
            f"{f['compile_rate']:.2f}, tests pass rate {f['tests_pass_rate']:.2f}: "
            + ("gates ok" if v.ok else "GATES MISSED")
            + (f" ({v.partial})" if v.partial else "")
        )
        for check in v.checks:
            if not check.ok:
                terminalreporter.write_line(f"  gate missed: {check.describe()}", red=True)
    terminalreporter.write_line(f"results: {folder / 'results.jsonl'}; report: {folder / 'report.html'}")
