"""The compile cache's mechanics. A counting backend stands in for the compiler here because
these tests are about the cache (keys, sharing, eviction), not about verdicts; the real
compiler's use of the cache is covered in test_wasm_backend.py."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.cairo import Compiler, CompileRequest, CompileResult, Diagnostic
from harness.cairo.cache import CompileCache, cache_key


class CountingBackend:
    name = "counting"

    def __init__(self, status: str = "ok") -> None:
        self.calls = 0
        self.status = status
        self.lock = threading.Lock()

    def version(self) -> str:
        return "1"

    def cairo_version(self) -> str:
        return "2.16.0"

    def supports(self, req: CompileRequest) -> str | None:
        return None

    def toolchain(self) -> dict[str, str]:
        return {}

    def compile(self, req: CompileRequest, timeout: float = 1.0) -> CompileResult:
        with self.lock:
            self.calls += 1
        time.sleep(0.2)  # long enough for concurrent callers to overlap
        return CompileResult(
            ok=self.status == "ok",
            backend=self.name,
            backend_version="1",
            duration_s=0.2,
            status=self.status,  # type: ignore[arg-type]
            diagnostics=(Diagnostic("error", "x", line=3),) if self.status != "ok" else (),
        )


def test_crashes_are_not_cached_and_unsupported_requests_never_compile(tmp_path: Path) -> None:
    backend = CountingBackend(status="crash")
    compiler = Compiler(backend, cache_root=tmp_path)
    compiler.compile("fn a() {}", "program")
    compiler.compile("fn a() {}", "program")
    assert backend.calls == 2
    skipped = compiler.compile("fn a() {}", "program", cairo=">=2.17")
    assert skipped.status == "unsupported" and "needs Cairo >=2.17" in skipped.diagnostics[0].message
    assert backend.calls == 2


def test_second_compile_of_the_same_input_comes_from_the_cache(tmp_path: Path) -> None:
    backend = CountingBackend()
    compiler = Compiler(backend, cache_root=tmp_path)
    first = compiler.compile("fn a() {}", "program")
    second = compiler.compile("fn a() {}", "program")
    assert backend.calls == 1 and not first.cached and second.cached
    assert {**second.to_dict(), "cached": False} == first.to_dict()


def test_key_covers_code_tests_kind_dependencies_and_backend() -> None:
    base = CompileRequest("fn a() {}", "program")
    keys = {
        cache_key(base, "wasm", "1"),
        cache_key(CompileRequest("fn b() {}", "program"), "wasm", "1"),
        cache_key(CompileRequest("fn a() {}", "contract"), "wasm", "1"),
        cache_key(CompileRequest("fn a() {}", "program", tests="mod t {}"), "wasm", "1"),
        cache_key(CompileRequest("fn a() {}", "program", dependencies=(("oz", "2"),)), "wasm", "1"),
        cache_key(base, "scarb", "1"),
        cache_key(base, "wasm", "2"),
    }
    assert len(keys) == 7


def test_concurrent_callers_of_one_input_compile_it_once(tmp_path: Path) -> None:
    backend = CountingBackend()
    compiler = Compiler(backend, cache_root=tmp_path)
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda _: compiler.compile("fn a() {}", "program"), range(4)))
    assert backend.calls == 1
    assert sum(not r.cached for r in results) == 1


def test_timeouts_are_not_cached(tmp_path: Path) -> None:
    backend = CountingBackend(status="timeout")
    compiler = Compiler(backend, cache_root=tmp_path)
    compiler.compile("fn a() {}", "program")
    compiler.compile("fn a() {}", "program")
    assert backend.calls == 2


def test_no_cache_always_compiles(tmp_path: Path) -> None:
    backend = CountingBackend()
    compiler = Compiler(backend, cache=False)
    compiler.compile("fn a() {}", "program")
    compiler.compile("fn a() {}", "program")
    assert backend.calls == 2


def test_size_bound_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path, max_bytes=2000)
    result = CompileResult(ok=True, backend="b", backend_version="1", duration_s=0.1, notes=("x" * 300,))
    keys = [f"{i:064x}" for i in range(8)]
    for key in keys:
        cache.put(key, result)
        time.sleep(0.01)
    assert cache.get(keys[-1]) is not None
    assert cache.get(keys[0]) is None
    assert sum(p.stat().st_size for p in tmp_path.glob("*/*.json")) <= 2000


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path)
    key = "ab" * 32
    (tmp_path / key[:2]).mkdir()
    (tmp_path / key[:2] / f"{key}.json").write_text("{not json")
    assert cache.get(key) is None
