"""The pytest face: `pytest evals` turns every case of every suite into one item.

Registered as the `cairo_evals` pytest11 entry point. The folder named by the ini option
`cairo_evals_dir` (default `evals`) is collected as suites instead of Python files: one
collector per suite, one `CaseItem` per case, shown as `evals::<suite>::<case>`. State lives
on `config.stash`, never in module globals, so pytest-xdist workers stay independent (each
runs its own compiler worker pool, sized to its share of the cores; the compile cache on disk
is shared).

Until the scoring pipeline lands, an item checks its case's own material for real: the
golden reference compiles and passes the case's Cairo tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cairo import Compiler, CompilerNotFound
from .goldens import verify
from .suite import Case, Suite, SuiteError, load_suites

COMPILER_KEY = pytest.StashKey[Compiler]()
SUITES_KEY = pytest.StashKey[list[Suite]]()


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
        "--compiler",
        choices=["auto", "scarb", "wasm"],
        default=None,
        help="Cairo compiler backend (default: the suite's, else auto)",
    )
    group.addoption("--repeats", type=int, default=1, help="samples per case")
    group.addoption("--no-compile-cache", action="store_true", help="recompile cached verdicts")
    parser.addini("cairo_evals_dir", "folder collected as cairo-evals suites", default="evals")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cairo_eval(suite, case): a cairo-evals case item")
    # The program/LM/judge stages are not built yet: refuse their options rather than ignore them.
    for opt in ("program", "lm", "judge_lm"):
        value = config.getoption(opt)
        if value not in (None, "golden"):
            raise pytest.UsageError(
                f"--{opt.replace('_', '-')} {value}: this version of cairo-evals checks the golden "
                "references only (the program, LM and judge stages are not built yet)"
            )
    if config.getoption("repeats") != 1:
        raise pytest.UsageError("--repeats: not available until the scoring stage exists")


def pytest_unconfigure(config: pytest.Config) -> None:
    compiler = config.stash.get(COMPILER_KEY, None)
    if compiler is not None:
        compiler.close()


def _suites(config: pytest.Config) -> list[Suite]:
    if SUITES_KEY not in config.stash:
        paths = config.getoption("suite") or [config.rootpath / "suites"]
        try:
            config.stash[SUITES_KEY] = load_suites(paths)
        except SuiteError as e:
            raise pytest.UsageError(f"invalid suite:\n{e}") from None
    return config.stash[SUITES_KEY]


def _compiler(config: pytest.Config, suite: Suite) -> Compiler:
    if COMPILER_KEY not in config.stash:
        backend = config.getoption("compiler") or suite.compiler
        config.stash[COMPILER_KEY] = Compiler(backend, cache=not config.getoption("no_compile_cache"))
    return config.stash[COMPILER_KEY]


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    evals_dir = parent.config.rootpath / parent.config.getini("cairo_evals_dir")
    if path == evals_dir:
        return EvalsDir.from_parent(parent, path=path)
    return None


class EvalsDir(pytest.Directory):
    """The evals folder: its children are the suites, not its Python files."""

    def collect(self) -> Iterator[pytest.Collector]:
        self.ihook  # noqa: B018 - loads evals/conftest.py so its hooks and settings apply
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
        try:
            compiler = _compiler(self.config, self.suite)
        except CompilerNotFound as e:
            raise CaseFailed(str(e)) from None
        check = verify(self.case, compiler, self.suite.dependencies)
        self.user_properties.append(("backend", f"{check.result.backend} {check.result.backend_version}"))
        self.user_properties.append(("duration_s", check.result.duration_s))
        if not check.ok:
            raise CaseFailed(check.explain())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return Path(self.suite.path), self.case.line - 1, f"{self.suite.name}::{self.case.id}"
