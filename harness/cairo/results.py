"""Verdict pieces every backend builds the same way: verdicts, harness faults, and tests that
cannot bind."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ._types import CompileResult, Diagnostic, Status, TestFailure, TestRun
from .pool import Reply
from .seal import Sealed

# A panic as cairo-lang-runner's `format_for_panic` prints it (native worker, cairo-test).
PANIC_PREFIX = re.compile(r"^\s*panicked with\s+(?P<body>.*?)\s*$", re.I | re.S)
PANIC_VALUE = re.compile(  # one printed value: a felt (hex or decimal) with its short string, or a ByteArray
    r"(?:0x[0-9a-fA-F]+|\d+)(?: \('(?P<short>(?:[^'\\]|\\.)*)'\))?|\"(?P<bytes>(?:[^\"\\]|\\.)*)\"", re.S
)


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
    status: Status = "ok",
) -> CompileResult:
    """A backend's verdict on one request (status "ok": compiles or not, see `ok`; or
    "unsupported": this backend cannot judge it)."""
    return CompileResult(
        ok=ok,
        backend=backend.name,
        backend_version=backend.version(),
        duration_s=round(time.monotonic() - start, 3),
        diagnostics=tuple(diagnostics),
        tests=tests,
        status=status,
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


BUDGET_CODE = "compile-budget"
_BOUNDS = {"timeout": "time bound", "memory": "memory bound", "panic": "a compiler panic"}


def over_budget(second: CompileResult, first: CompileResult, timeout: float) -> CompileResult:
    """The verdict on code that hit one of our bounds twice, the second time alone on a fresh idle
    worker with the full budget: it does not compile within the budget (status "ok", `ok=False`,
    cached like any verdict). Load cannot be the cause, so it is the answer's, not a fault."""
    if second.bound == "panic":
        panic = " ".join("; ".join(d.message for d in second.errors).split())[:600]
        panic = panic.removeprefix("the compiler failed: ")
        message = (
            "the Cairo compiler itself panics on this code (twice, the second time alone on a fresh "
            f"worker), so it does not compile: {panic}"
        )
    else:
        if second.bound == "timeout":
            what = f"exceeds the compile budget of {timeout:g} s of worker time"
        else:
            what = "exceeds the compiler's memory bound"
        message = (
            f"{what} (hit twice, the second time alone on an idle worker; the first time: "
            f"{_BOUNDS[first.bound or 'timeout']}): the code, with the case's tests, must compile "
            "and run within the budget"
        )
    return replace(
        second,
        ok=False,
        status="ok",
        diagnostics=(Diagnostic("error", message, code=BUDGET_CODE),),
        tests=None,
        duration_s=round(first.duration_s + second.duration_s, 3),
        budget_s=timeout if second.bound == "timeout" else None,
    )


def ran_again(second: CompileResult, first: CompileResult) -> CompileResult:
    """A compile that hit a bound once, then ended otherwise when run again alone: the second
    result (a verdict, or a fault of another kind), with a note saying so."""
    note = (
        f"the first compile hit {_BOUNDS[first.bound or 'timeout']}; run again alone on a fresh idle "
        "worker with the full budget, it did not: this is that run's result"
    )
    return replace(second, notes=(*second.notes, note))


def unbound(expected: Sequence[str], diagnostics: Sequence[Diagnostic]) -> TestRun:
    """The answer compiles, but the case's tests do not compile against it: every test failed,
    with the compiler's words on what is missing."""
    shown = "; ".join(d.render() for d in diagnostics if d.severity == "error")[:800]
    why = (
        "the case's tests do not compile against this answer (usually an item the query named is "
        f"missing or has another signature){': ' + shown if shown else ''}"
    )
    return TestRun(0, max(1, len(expected)), (TestFailure("<tests>", why),), bound=False)


@dataclass(frozen=True)
class Outcome:
    """One test as a runner reported it: status "passed" | "failed" | "ignored"."""

    status: str
    message: str = ""
    gas: int | None = None


def case_tests(reported: Mapping[str, Outcome], sealed: Sealed, not_run: str) -> TestRun:
    """The case's tests from what a runner reported by full test path: every expected test
    counts, one that did not run failed (`not_run` says why), tests that are not the case's (the
    answer's own) are ignored, and an `#[ignore]`d test, which is not expected, counts for nothing."""
    outcome: dict[str, Outcome] = {}
    for full, result in reported.items():
        name = sealed.own(full)
        if name is not None:
            outcome[name] = result
    extra = [n for n, r in outcome.items() if n not in sealed.expected and r.status != "ignored"]
    names = list(sealed.expected) + extra
    failures, gas, passed = [], [], 0
    for name in names:
        r = outcome.get(name)
        if r is None:
            failures.append(TestFailure(name, not_run))
        elif r.status == "passed":
            passed += 1
            if r.gas is not None:
                gas.append((name, r.gas))
        elif r.status == "ignored":
            failures.append(TestFailure(name, "ignored by the runner"))
        else:
            failures.append(TestFailure(name, r.message or "failed"))
    return TestRun(passed, len(names) - passed, tuple(failures), True, tuple(gas))


def panic_texts(values: str) -> list[str] | None:
    """The texts of a printed panic value or tuple of values when every value is a short string
    (`0x… ('text')`) or a ByteArray (`"text"`), else None (plain felts are kept as printed)."""
    body = values.strip()
    if body[:1] in "([" and body[-1:] in ")]":
        body = body[1:-1]
    texts, pos = [], 0
    for m in PANIC_VALUE.finditer(body):
        if body[pos : m.start()].strip(" ,\n"):
            return None
        text = m["short"] if m["short"] is not None else m["bytes"]
        if text is None:
            return None
        texts.append(text)
        pos = m.end()
    if body[pos:].strip(" ,\n") or not "".join(texts):
        return None
    return texts


def decode_panic(message: str) -> str:
    """The readable part of a cairo-test panic report (`format_for_panic` in cairo-lang-runner).

    `Panicked with 0x68656c6c6f ('hello').` -> `hello`; `Panicked with "short, but string".` ->
    `short, but string`; `Panicked with (0x61 ('a'), 0x62 ('b')).` -> `a, b`; the old
    `panicked with [1725…588 ('Make this test fail'), ].` -> `Make this test fail`. Anything with a
    plain felt in it (`Panicked with 0x1.`, `Panicked with (0x9999, "hello", …).`) and anything
    else (`expected panic but finished successfully.`) is returned as it is.
    """
    raw = message.strip()
    m = PANIC_PREFIX.match(raw)
    if m is None:
        return raw
    body = m["body"][:-1] if m["body"].endswith(".") else m["body"]
    texts = panic_texts(body)
    return ", ".join(texts) if texts else raw
