"""Checking a case's own material: its golden reference compiles and passes its tests.

The CLI (`cairo-evals check-golden`) and the pytest face (`pytest evals`) both call
`verify`, so they judge a golden identically.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cairo import Compiler, CompileResult
from .suite import Case


@dataclass(frozen=True)
class GoldenCheck:
    case: Case
    result: CompileResult

    @property
    def ok(self) -> bool:
        return self.result.passed and (self.case.tests is None or self.result.tests is not None)

    def explain(self) -> str:
        """Why the golden failed, for a person fixing it."""
        r = self.result
        lines = [f"{self.case.nodeid}: golden reference ({self.case.golden_path or 'inline'})"]
        if not r.ok:
            lines.append(f"does not compile on {r.backend} ({r.backend_version}):")
            lines += [f"  {d.render()}" for d in r.diagnostics]
        elif r.tests is not None and r.tests.failed:
            lines.append(f"fails {r.tests.failed} of {r.tests.total} tests ({self.case.tests_path}):")
            lines += [f"  {f.name}: {f.message}" for f in r.tests.failures]
        return "\n".join(lines)


def verify(case: Case, compiler: Compiler, dependencies: tuple[tuple[str, str], ...] = ()) -> GoldenCheck:
    return GoldenCheck(case, compiler.compile(case.golden, case.kind, case.tests, dependencies))
