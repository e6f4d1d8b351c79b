"""The compile stage: Cairo code (+ the case's tests) in, a `CompileResult` out.

    with Compiler("auto") as compiler:
        result = compiler.compile(code, "contract", tests=tests_source)

`auto` uses Scarb when `scarb` is on PATH (today's compiler, full diagnostics) and the
embedded wasm compiler otherwise. Verdicts are cached on disk by content.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

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

BackendName = Literal["auto", "scarb", "wasm"]


class Backend(Protocol):
    name: str

    def version(self) -> str: ...

    def compile(self, req: CompileRequest, timeout: float = ...) -> CompileResult: ...


def select_backend(name: BackendName, workers: int | None = None) -> Backend:
    """The backend for `--compiler NAME`; a missing one raises with what was looked for."""
    scarb = shutil.which("scarb")
    if name == "scarb" or (name == "auto" and scarb):
        if scarb is None:
            raise CompilerNotFound(
                "--compiler scarb: `scarb` was not found on PATH. Install it "
                "(https://docs.swmansion.com/scarb/download.html, e.g. with asdf or starkup) "
                "or use --compiler wasm for the embedded compiler."
            )
        from .scarb import ScarbBackend

        return ScarbBackend(scarb)
    if name not in ("auto", "wasm"):
        raise CompilerNotFound(f"unknown compiler {name!r}: choose auto, scarb or wasm")
    from .node import WorkerPool, node_executable
    from .wasm import WasmBackend

    node_executable()  # fail now, with the install hint, rather than at the first compile
    return WasmBackend(WorkerPool(size=workers))


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

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = self.backend.version()
        return self._version

    def compile(
        self,
        code: str,
        kind: Kind,
        tests: str | None = None,
        dependencies: tuple[tuple[str, str], ...] = (),
    ) -> CompileResult:
        req = CompileRequest(code=code, kind=kind, tests=tests, dependencies=dependencies)
        if self.cache is None:
            return self.backend.compile(req, self.timeout)
        key = cache_key(req, self.backend.name, self.version)
        return self.cache.get_or_compute(key, lambda: self.backend.compile(req, self.timeout))

    async def acompile(
        self,
        code: str,
        kind: Kind,
        tests: str | None = None,
        dependencies: tuple[tuple[str, str], ...] = (),
    ) -> CompileResult:
        """`compile` without blocking the event loop (the work happens in worker processes)."""
        return await asyncio.to_thread(self.compile, code, kind, tests, dependencies)

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
