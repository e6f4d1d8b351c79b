"""The compile stage: Cairo code (+ the case's tests) in, a `CompileResult` out.

    with Compiler("auto") as compiler:
        result = compiler.compile(code, "contract", tests=tests_source)

Backends, peers under this package: `scarb` (subprocess; the user's own toolchain), `native`
(our Rust worker on the Cairo 2.16 crates, built on first use with cargo) and `wasm`
(wasm-cairo under Node, about Cairo 2.8: the fallback on a machine without cargo). `auto`
picks the first usable of scarb > native > wasm. Verdicts are cached on disk by content.
Nothing is started or installed until the first compile that the cache cannot answer.

**No faults on demand.** A compile that hits one of our bounds (time, memory) is a harness fault
only if that does not repeat: it is run again once, alone (no other compile of this compiler runs
meanwhile: `pool.Gate`), on a fresh worker, with the full budget. Hit again, it is the code's
verdict (does not compile, code `compile-budget`, cached; a cached one is reused only by a run
whose time budget is no larger); otherwise the second run's result stands, with a note. A panic
of the Cairo compiler itself is treated the same way (some code trips a compiler bug every time:
twice, and it does not compile). A crash of our worker that is neither stays a fault.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..cairotext import expected_tests
from ..paths import cache_dir
from ._types import (
    CompileRequest,
    CompileResult,
    CompilerNotFound,
    Diagnostic,
    Kind,
    TestFailure,
    TestRun,
)
from .cache import CompileCache, cache_key
from .pool import Gate
from .results import BUDGET_CODE, over_budget, ran_again
from .shadow import refusals

__all__ = [
    "CompileRequest",
    "CompileResult",
    "Compiler",
    "CompilerNotFound",
    "Diagnostic",
    "Kind",
    "TestFailure",
    "TestRun",
]

BackendName = Literal["auto", "scarb", "native", "wasm"]
BACKENDS = ("auto", "scarb", "native", "wasm")


class Backend(Protocol):
    name: str

    def version(self) -> str:
        """What the verdicts' cache key and reports name, e.g. `native (Cairo 2.16.0; …)`."""
        ...

    def cairo_version(self) -> str:
        """The Cairo version that judges, e.g. `2.16.0` (for a case's `cairo:` requirement)."""
        ...

    def supports(self, req: CompileRequest) -> str | None:
        """None, or why this backend cannot judge the request (the case is then skipped)."""
        ...

    def toolchain(self) -> dict[str, str]:
        """The versions behind a verdict (Cairo, Scarb, snforge, dependencies …), for the run's record."""
        ...

    def compile(self, req: CompileRequest, timeout: float = ...) -> CompileResult: ...


def auto_choice() -> tuple[str, str]:
    """What `--compiler auto` picks on this machine, and why (no side effects)."""
    from . import native

    if shutil.which("scarb"):
        return "scarb", "`scarb` is on PATH"
    if native.is_built():
        return "native", "the native compiler is built"
    if native.cargo_executable():
        return "native", "cargo is on PATH to build the native compiler (once)"
    return "wasm", "no scarb and no cargo: the embedded wasm compiler (about Cairo 2.8)"


def select_backend(name: BackendName, workers: int | None = None) -> Backend:
    """The backend for `--compiler NAME`; a missing one raises with what was looked for.

    Nothing is built, installed or started here: that waits for the first compile."""
    if name not in BACKENDS:
        raise CompilerNotFound(f"unknown compiler {name!r}: choose {', '.join(BACKENDS)}")
    if name == "auto":
        name = auto_choice()[0]  # type: ignore[assignment]
    if name == "scarb":
        scarb = shutil.which("scarb")
        if scarb is None:
            raise CompilerNotFound(
                "--compiler scarb: `scarb` was not found on PATH. Install it "
                "(https://docs.swmansion.com/scarb/download.html, e.g. with asdf or starkup) "
                "or use --compiler native (needs cargo) or wasm (needs Node)."
            )
        from .scarb import ScarbBackend

        return ScarbBackend(scarb)
    if name == "native":  # built (or found missing) at the first compile the cache cannot answer
        from . import native

        return native.NativeBackend(native.native_pool(workers))
    from .wasm import WasmBackend, wasm_pool

    return WasmBackend(wasm_pool(workers))


class Compiler:
    """The compile stage with its backend, worker pool and cache.

    Args:
        backend: "auto" (Scarb when on PATH, else the embedded wasm compiler), "scarb" or
            "wasm"; or a backend object.
        cache: reuse verdicts from the on-disk cache (`<cache>/compile`); False recompiles.
        workers: wasm worker processes (default: one per core, shared among xdist workers).
        timeout: seconds of worker time one compile (with its tests) may take before it is
            killed and reported as a timeout; waiting for a free worker does not count.
    """

    def __init__(
        self,
        backend: BackendName | Backend = "auto",
        *,
        cache: bool = True,
        workers: int | None = None,
        timeout: float = 180.0,
        cache_root: Path | None = None,
    ) -> None:
        self.backend = select_backend(backend, workers) if isinstance(backend, str) else backend
        self.timeout = timeout
        self.cache = CompileCache(cache_root or cache_dir() / "compile") if cache else None
        self._version: str | None = None
        self._gate = Gate()

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = self.backend.version()
        return self._version

    def unsupported(self, req: CompileRequest, cairo: str | None = None) -> str | None:
        """Why this backend cannot judge `req` (a `cairo:` requirement it does not meet, tests it
        cannot run), or None."""
        if cairo:
            have = self.backend.cairo_version()
            try:
                ok = SpecifierSet(cairo).contains(Version(have), prereleases=True)
            except (InvalidSpecifier, InvalidVersion):
                return f"cairo: {cairo!r} is not a version requirement (e.g. '>=2.12')"
            if not ok:
                return f"the case needs Cairo {cairo}; the {self.backend.name} backend has Cairo {have}"
        return self.backend.supports(req)

    def compile(
        self,
        code: str,
        kind: Kind,
        tests: str | None = None,
        dependencies: tuple[tuple[str, str], ...] = (),
        cairo: str | None = None,
        test_runner: str | None = None,
    ) -> CompileResult:
        """The verdict on `code` with the case's `tests`; status "unsupported" (never cached) when
        this backend cannot judge it (see `unsupported`). `test_runner` is the suite's
        (`snforge` or `cairo-test`; None lets the backend choose)."""
        req = CompileRequest(code, kind, tests, dependencies, test_runner)
        reason = self.unsupported(req, cairo)
        if reason is not None:
            return CompileResult(
                ok=False,
                backend=self.backend.name,
                backend_version=self.version,
                duration_s=0.0,
                diagnostics=(Diagnostic("error", reason, code="unsupported"),),
                status="unsupported",
                cairo=self.backend.cairo_version(),
            )
        if tests is not None:
            refused = refusals(code, tests)
            if refused:
                return self._refused(req, cairo, refused)
        if self.cache is None:
            return self._judge(req)
        key = cache_key(req, self.backend.name, self.version)
        return self.cache.get_or_compute(key, lambda: self._judge(req), valid=self._still_valid)

    def _judge(self, req: CompileRequest) -> CompileResult:
        """The backend's verdict; a bound hit is run again alone before it counts (module doc)."""
        with self._gate.shared():
            first = self.backend.compile(req, self.timeout)
        if first.bound is None:
            return first
        with self._gate.alone():
            retire_idle = getattr(getattr(self.backend, "pool", None), "retire_idle", None)
            if retire_idle is not None:
                retire_idle()  # a fresh worker: nothing a previous call left behind can be the cause
            second = self.backend.compile(req, self.timeout)
        if second.bound is None:
            return ran_again(second, first)
        return over_budget(second, first, self.timeout)

    def _still_valid(self, cached: CompileResult) -> bool:
        """A cached `compile-budget` verdict holds for a budget no larger than the one it exceeded."""
        if not any(d.code == BUDGET_CODE for d in cached.diagnostics) or cached.budget_s is None:
            return True
        return self.timeout <= cached.budget_s

    def _refused(self, req: CompileRequest, cairo: str | None, refused: list[str]) -> CompileResult:
        """The answer compiled alone; the case's tests not run against it (harness/cairo/shadow.py)."""
        alone = self.compile(req.code, req.kind, None, req.dependencies, cairo)
        if alone.fault or not alone.ok:
            return alone
        why = "refused: " + "; ".join(refused)
        total = max(1, len(expected_tests(req.tests or "")))
        return replace(
            alone,
            tests=TestRun(0, total, (TestFailure("<tests>", why),), bound=False),
            notes=(*alone.notes, why),
        )

    async def acompile(
        self,
        code: str,
        kind: Kind,
        tests: str | None = None,
        dependencies: tuple[tuple[str, str], ...] = (),
        cairo: str | None = None,
        test_runner: str | None = None,
    ) -> CompileResult:
        """`compile` without blocking the event loop (the work happens in worker processes)."""
        return await asyncio.to_thread(self.compile, code, kind, tests, dependencies, cairo, test_runner)

    def toolchain(self) -> dict[str, str]:
        return {"backend": self.backend.name, "version": self.version, **self.backend.toolchain()}

    def close(self) -> None:
        close = getattr(self.backend, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Compiler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
