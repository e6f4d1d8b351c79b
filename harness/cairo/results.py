"""Verdict pieces every backend builds the same way: verdicts, harness faults, and tests that
cannot bind."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from ._types import CompileResult, Diagnostic, TestFailure, TestRun
from .pool import Reply


class Named(Protocol):
    name: str

    def version(self) -> str: ...

    def cairo_version(self) -> str: ...


def verdict(
    backend: Named,
    ok: bool,
    start: float,
    notes: Sequence[str],
    diagnostics: Sequence[Diagnostic] = (),
    tests: TestRun | None = None,
) -> CompileResult:
    """A backend's verdict on one request (status "ok": compiles or not, see `ok`)."""
    return CompileResult(
        ok=ok,
        backend=backend.name,
        backend_version=backend.version(),
        duration_s=round(time.monotonic() - start, 3),
        diagnostics=tuple(diagnostics),
        tests=tests,
        notes=tuple(notes),
        cairo=backend.cairo_version(),
    )


def fault_result(
    backend: str,
    version: str,
    reply: Reply,
    start: float,
    notes: Sequence[str],
    timeout: float,
    cairo: str | None,
) -> CompileResult:
    """A call that ended without a verdict: a harness fault (`status` timeout or crash), which
    says nothing about the code and is never cached."""
    fatal = reply.data.get("fatal")
    if reply.failure == "timeout":
        status, code = "timeout", "timeout"
        msg = f"the compiler did not finish within {timeout:g} s of worker time; worker killed"
    elif reply.failure == "memory":
        status, code, msg = "crash", "memory", "the compiler passed its memory bound; worker killed"
    else:
        status, code = "crash", "backend-crash"
        msg = f"the compiler failed: {fatal or reply.detail or 'no reason given'}"
    return CompileResult(
        ok=False,
        backend=backend,
        backend_version=version,
        duration_s=round(time.monotonic() - start, 3),
        diagnostics=(Diagnostic("error", msg, code=code),),
        status=status,  # type: ignore[arg-type]
        notes=tuple(notes),
        cairo=cairo,
    )


def unbound(expected: Sequence[str], diagnostics: Sequence[Diagnostic]) -> TestRun:
    """The answer compiles, but the case's tests do not compile against it: every test failed,
    with the compiler's words on what is missing."""
    shown = "; ".join(d.render() for d in diagnostics if d.severity == "error")[:800]
    why = (
        "the case's tests do not compile against this answer (usually an item the query named is "
        f"missing or has another signature){': ' + shown if shown else ''}"
    )
    return TestRun(0, max(1, len(expected)), (TestFailure("<tests>", why),), bound=False)
