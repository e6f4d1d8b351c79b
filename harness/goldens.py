"""Checking a case's own material: its golden reference compiles and passes its tests.

The CLI (`cairo-evals check-golden`) and the pytest face (`pytest evals`) both call
`verify`, so they judge a golden identically.

A case may expect something else of its golden (`expect_verdict`), which turns the check into a
check of the compiler: `does_not_compile` (the compiler must reject it, e.g. the Cairo Book's
`// TAG: does_not_compile` listings), `tests_fail` (it compiles and at least one of its tests
fails) or `compiles` (its tests, if any, are not judged). A backend that cannot judge the case
(a `cairo:` requirement it does not meet, tests it cannot run) skips it; a harness fault
(timeout, crash) is neither a pass nor a failure of the golden, and says so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from .cairo import Compiler, CompileResult, Diagnostic
from .discriminate import Discrimination, discriminate
from .suite import Case

Outcome = Literal["ok", "failed", "skipped", "fault"]


@dataclass(frozen=True)
class GoldenCheck:
    case: Case
    result: CompileResult
    discrimination: Discrimination | None = None  # which tests a do-nothing answer passes too

    @property
    def expected(self) -> str:
        return self.case.expect_verdict or "passes"

    @property
    def verdict(self) -> str:
        """What the backend found: passes | tests_fail | compiles (no tests) | does_not_compile,
        or skipped / fault when it reached no verdict."""
        r = self.result
        if r.status == "unsupported":
            return "skipped"
        if r.fault:
            return "fault"
        if not r.ok:
            return "does_not_compile"
        if r.tests is not None and r.tests.failed:
            return "tests_fail"
        if self.case.tests is not None and r.tests is None:
            return "compiles"  # tests were asked for and did not run: not a pass
        return "passes"

    @property
    def outcome(self) -> Outcome:
        verdict = self.verdict
        if verdict in ("skipped", "fault"):
            return verdict  # type: ignore[return-value]
        if self.case.expect_verdict == "compiles":
            return "ok" if verdict != "does_not_compile" else "failed"
        return "ok" if verdict == self.expected else "failed"

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def explain(self) -> str:
        """Why the check did not hold, for a person fixing the golden, its tests or the compiler."""
        r = self.result
        c = self.case
        head = f"{c.nodeid}: golden reference ({c.golden_path or 'inline'})"
        if self.outcome == "skipped":
            return f"{head}: skipped on {r.backend}: " + "; ".join(d.message for d in r.errors)
        if self.outcome == "fault":
            return f"{head}: no verdict (a harness fault, not the golden's): " + "; ".join(
                d.render() for d in r.errors
            )
        lines = [f"{head}: expected {self.expected}, got {self.verdict} on {r.backend} ({r.backend_version})"]
        if not r.ok:
            lines += [f"  {d.render()}" for d in r.diagnostics]
        elif r.tests is not None and not r.tests.bound:
            lines.append(
                f"  the tests file ({c.tests_path or 'inline'}) does not compile against the golden:"
            )
            lines += [f"  {_in_tests_file(d.render(), c)}" for d in r.errors]
        elif r.tests is not None and r.tests.failed:
            lines.append(f"  fails {r.tests.failed} of {r.tests.total} tests ({c.tests_path or 'inline'}):")
            lines += [f"  {f.name}: {f.message}" for f in r.tests.failures]
        elif self.verdict == "passes" and c.expect_verdict in ("does_not_compile", "tests_fail"):
            lines.append(f"  the compiler accepted what the case says it rejects ({self.expected})")
        return "\n".join(lines)


def _in_tests_file(rendered: str, case: Case) -> str:
    """`tests.cairo:12:5: …` → `golden/x.tests.cairo:12:5: …`: a problem of the tests file is
    reported at the tests file's own line."""
    if case.tests_path and rendered.startswith("tests.cairo:"):
        return case.tests_path + rendered.removeprefix("tests")[len(".cairo") :]
    return rendered


def verify(
    case: Case,
    compiler: Compiler,
    dependencies: tuple[tuple[str, str], ...] = (),
    discriminating: bool = False,
) -> GoldenCheck:
    """The golden's verdict; with `discriminating`, also which of the case's tests a do-nothing
    answer passes (harness/discriminate.py), for a golden that passes them."""
    try:
        result = compiler.compile(
            case.golden, case.kind, case.tests, dependencies, case.cairo, case.test_runner
        )
    except Exception as e:  # a bug of ours on one golden must not stop the check of the others
        result = CompileResult(
            ok=False,
            backend=compiler.backend.name,
            backend_version=compiler.version,
            duration_s=0.0,
            diagnostics=(
                Diagnostic("error", f"the harness failed: {type(e).__name__}: {e}", "harness-error"),
            ),
            status="crash",
        )
    check = GoldenCheck(case, result)
    if discriminating and case.tests and check.verdict == "passes":
        return GoldenCheck(case, result, asyncio.run(discriminate(case, compiler, dependencies)))
    return check


def discrimination_lines(checks: list[GoldenCheck]) -> tuple[list[str], list[str]]:
    """Per case, the tests that a do-nothing answer passes too (they earn nothing in passes-some);
    and warnings for the cases where every test is like that."""
    lines, warnings = [], []
    for ch in checks:
        d = ch.discrimination
        if d is None or not d.passed_by:
            continue
        shown = ", ".join(f"{t} ({how})" for t, how in d.passed_by.items())
        n = f"{len(d.passed_by)} of {len(d.expected)}"
        lines.append(f"{ch.case.nodeid}: {n} tests pass with a do-nothing answer too: {shown}")
        if not d.discriminating:
            warnings.append(
                f"warning: {ch.case.nodeid}: no test tells a working answer from a do-nothing one "
                f"({ch.case.tests_path or 'inline tests'}): add a test that checks a result"
            )
    return lines, warnings


def summarize(checks: list[GoldenCheck]) -> list[str]:
    """The closing lines of `check-golden`: how many goldens held, by expected verdict, and what
    was skipped or faulted."""
    n = len(checks)
    held = sum(ch.ok for ch in checks)
    skipped = [ch for ch in checks if ch.outcome == "skipped"]
    faults = sum(ch.outcome == "fault" for ch in checks)
    if not skipped and not faults and all(ch.case.expect_verdict is None for ch in checks):
        return [f"{held}/{n} goldens compile and pass their tests"]
    lines = [f"{held}/{n} goldens as their cases expect"]
    by_expected: dict[str, list[GoldenCheck]] = {}
    for ch in checks:
        by_expected.setdefault(ch.expected, []).append(ch)
    for expected, group in sorted(by_expected.items()):
        judged = [ch for ch in group if ch.outcome in ("ok", "failed")]
        lines.append(
            f"  expected {expected}: {sum(ch.ok for ch in judged)}/{len(judged)} as expected"
            + (f" ({len(group) - len(judged)} not judged)" if len(judged) < len(group) else "")
        )
    if skipped:
        reasons: dict[str, int] = {}
        for ch in skipped:
            why = "; ".join(d.message for d in ch.result.errors) or "unsupported"
            reasons[why] = reasons.get(why, 0) + 1
        lines.append(f"  skipped {len(skipped)} (this backend cannot judge them):")
        lines += [f"    {k} × {why}" for why, k in sorted(reasons.items(), key=lambda kv: -kv[1])]
    if faults:
        lines.append(f"  {faults} without a verdict (harness faults: timeouts or crashes; rerun them)")
    return lines
