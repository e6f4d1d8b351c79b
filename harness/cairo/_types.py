"""The compile stage's result types: plain frozen dataclasses that serialise to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["contract", "program"]
# "ok": the backend reached a verdict (compiles or not: see `ok`). "timeout" and "crash" are
# harness faults (our worker ran out of time or memory, crashed, a toolchain broke): they say
# nothing about the code, are never cached, and score as errors, not verdicts. A bound (time,
# memory) hit twice, the second time alone on a fresh worker, is the code's verdict: status "ok",
# `ok=False`, code `compile-budget` (`Compiler.compile`). "unsupported":
# this backend cannot judge the request (a `cairo:` requirement, tests it cannot run): skipped.
Status = Literal["ok", "timeout", "crash", "unsupported"]


@dataclass(frozen=True)
class Diagnostic:
    """One compiler message.

    Attributes:
        severity: "error" or "warning".
        message: the compiler's text (for recovered diagnostics, with the offending
            identifier appended when the compiler only pointed at it).
        code: the compiler's error code (Scarb's `E0006`), or a harness code such as
            `timeout`, `no-detail`, `tests-do-not-compile`.
        file: "lib.cairo" for the answer, "tests.cairo" for the case's tests.
        line, col: 1-based position in that file.
        recovered: True when the message did not come from the backend's own verdict but
            from a second analysis (the wasm backend's plain-Cairo pass over contract code),
            after its known false errors were filtered out.
    """

    severity: str
    message: str
    code: str | None = None
    file: str | None = None
    line: int | None = None
    col: int | None = None
    recovered: bool = False

    def render(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}: " if self.line is not None else ""
        code = f"[{self.code}] " if self.code else ""
        tag = " (recovered)" if self.recovered else ""
        return f"{where}{self.severity}{tag}: {code}{self.message}"


@dataclass(frozen=True)
class TestFailure:
    __test__ = False  # not a pytest test class

    name: str
    message: str


@dataclass(frozen=True)
class TestRun:
    """What running the case's Cairo tests against the answer gave.

    `passed + failed` is the number of tests in the case's tests file: a test that did not run
    is a failed test. `bound` is False when the tests did not compile against the answer (it
    lacks an item the query named, or has it with another signature): then every test failed.
    `gas` holds each passing test's gas, where the runner reports it.
    """

    __test__ = False  # not a pytest test class

    passed: int
    failed: int
    failures: tuple[TestFailure, ...] = ()
    bound: bool = True
    gas: tuple[tuple[str, int], ...] = ()

    @property
    def total(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True)
class CompileResult:
    """The verdict on one piece of Cairo code (and, when given, its tests).

    `ok` is about the answer's own code: an answer that compiles but that the case's tests
    cannot bind to is `ok=True` with every test failed.
    """

    ok: bool
    backend: str
    backend_version: str
    duration_s: float
    diagnostics: tuple[Diagnostic, ...] = ()
    tests: TestRun | None = None
    status: Status = "ok"
    notes: tuple[str, ...] = ()
    cached: bool = False
    cairo: str | None = None  # the Cairo version that judged it, e.g. "2.16.0"
    budget_s: float | None = None  # a `compile-budget` verdict: the time budget it exceeded twice

    @property
    def fault(self) -> bool:
        """No verdict on the code: a harness fault (timeout, crash) or an unsupported request."""
        return self.status != "ok"

    @property
    def bound(self) -> str | None:
        """For a harness fault that the code itself may cause: the bound our worker hit
        ("timeout" or "memory"), or "panic" when the Cairo compiler itself panicked on the code
        (a compiler bug that some code trips every time); else None (a crash of our machinery,
        an unsupported request, or a verdict)."""
        if self.status == "timeout":
            return "timeout"
        if self.status == "crash" and any(d.code == "memory" for d in self.diagnostics):
            return "memory"
        if self.status == "crash" and any(
            d.code == "backend-crash"
            and ("compiler panic:" in d.message or ("worker exited" in d.message and "panicked" in d.message))
            for d in self.diagnostics
        ):
            return "panic"  # caught by the worker, or one that took the worker down with it
        return None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def passed(self) -> bool:
        """Compiles and every test (if any) passed."""
        return self.ok and (self.tests is None or self.tests.failed == 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompileResult:
        tests = data.get("tests")
        return cls(
            ok=data["ok"],
            backend=data["backend"],
            backend_version=data["backend_version"],
            duration_s=data["duration_s"],
            diagnostics=tuple(Diagnostic(**d) for d in data.get("diagnostics", ())),
            tests=None
            if tests is None
            else TestRun(
                passed=tests["passed"],
                failed=tests["failed"],
                failures=tuple(TestFailure(**f) for f in tests.get("failures", ())),
                bound=tests.get("bound", True),
                gas=tuple((n, g) for n, g in tests.get("gas", ())),
            ),
            status=data["status"] if data.get("status") in ("timeout", "crash", "unsupported") else "ok",
            notes=tuple(data.get("notes", ())),
            cached=data.get("cached", False),
            cairo=data.get("cairo"),
            budget_s=data.get("budget_s"),
        )


@dataclass(frozen=True)
class CompileRequest:
    """Everything a backend needs; the cache key is derived from all of it."""

    code: str
    kind: Kind
    tests: str | None = None
    dependencies: tuple[tuple[str, str], ...] = field(default=())
    # the suite's `test_runner:` ("snforge" or "cairo-test"); None lets the backend choose
    test_runner: str | None = None


class CompilerNotFound(RuntimeError):
    """No usable backend: the message lists what was looked for and how to install one."""
