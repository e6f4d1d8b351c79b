"""The native backend: Cairo 2.16 from crates.io, in our own small Rust worker.

`harness/cairo/native/` is a Rust crate (`cairo-evals-native`) on the `cairo-lang-*` crates
pinned to `=2.16.0`. It is built on first use, with the machine's cargo, into the cache folder:

- **corelib**: no compiler crate ships Cairo's `core` sources; the crates.io package of
  `cairo-native` at `=0.9.0-rc.3` carries corelib 2.16.0 in its `corelib/` folder. It is
  fetched with `cargo fetch` on a throwaway manifest (cairo-native itself is never built: it
  needs LLVM), checked (file count, version in its Scarb.toml, SHA-256 over the tree, all
  pinned here) and copied to `<cache>/native/corelib`, where the worker finds it.
- **the worker**: `cargo build --release --locked` (the crate's Cargo.lock is committed) with
  `CARGO_TARGET_DIR=<cache>/native/target`, so later builds reuse it; the binary is copied to
  `<cache>/native/bin/cairo-evals-native-<hash of the crate's sources>`, so a change to the
  sources builds a new one and an unchanged one never calls cargo again. Once the binary is
  copied, the target folder and the unpacked crate sources are deleted (about 1.2 GB), unless
  `CAIRO_EVALS_KEEP_TARGET=1` keeps them for incremental rebuilds.

Cargo's downloads go to `CARGO_HOME` when it is set, else to `<cache>/cargo-home`: nothing the
project needs is kept outside it. The first build takes minutes (benchmarks/README.md) and
prints its progress.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..paths import cache_dir
from . import diagnostics as dx
from ._types import CompileRequest, CompileResult, CompilerNotFound, Diagnostic, TestRun
from .pool import GB, Budget, Reply, WorkerPool, WorkerSpec
from .results import Outcome, case_tests, decode_panic, fault_result, unbound, verdict
from .seal import Sealed, seal

CAIRO_VERSION = "2.16.0"
# Each test's gas ceiling. cairo-test gives u32::MAX (~4.3e9) to a test without
# `#[available_gas]`; an endless loop then takes ~15 s and ~5 GB to run out. 2^30 gas is ~10M
# Cairo steps: far above what unit tests use, and an endless loop fails in ~3 s.
MAX_TEST_GAS = 1 << 30
CRATE_DIR = Path(__file__).with_name("native")
BINARY = "cairo-evals-native"
# Set (to anything but 0) to keep cargo's target folder after a build: a change to the worker's
# sources then rebuilds in a minute or two instead of from scratch.
KEEP_TARGET = "CAIRO_EVALS_KEEP_TARGET"

# The corelib's source, pinned: the crates.io package that carries it and what it must hold.
CORELIB_CRATE = ("cairo-native", "0.9.0-rc.3")
CORELIB_FILES = 164
CORELIB_SHA256 = "6d6efe052a2ae00f6cf9e029e9af5921ab42c00573efed6d9661945c704ee8e2"

Progress = Callable[[str], None]


def _say(message: str) -> None:
    print(f"cairo-evals: {message}", file=sys.stderr, flush=True)


def native_dir() -> Path:
    path = cache_dir() / "native"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cargo_executable() -> str | None:
    return shutil.which("cargo")


def _cargo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CARGO_MANIFEST_DIR"}
    env.setdefault("CARGO_HOME", str(cache_dir() / "cargo-home"))
    env["CARGO_TARGET_DIR"] = str(native_dir() / "target")
    env.setdefault("CARGO_TERM_COLOR", "never")
    return env


def source_hash() -> str:
    """Of everything that decides the binary: the crate's manifest, lock file and sources."""
    h = hashlib.sha256()
    for path in sorted([CRATE_DIR / "Cargo.toml", CRATE_DIR / "Cargo.lock", *CRATE_DIR.glob("src/**/*.rs")]):
        h.update(path.relative_to(CRATE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def tree_sha256(root: Path) -> tuple[int, str]:
    """(file count, SHA-256 over every file's relative path and bytes, in path order)."""
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return len(files), h.hexdigest()


def verify_corelib(root: Path) -> None:
    """Raise unless `root` is the pinned corelib 2.16.0."""
    manifest = root / "Scarb.toml"
    if not manifest.is_file():
        raise CompilerNotFound(f"{root} is not a corelib: it has no Scarb.toml")
    version = re.search(r'^version\s*=\s*"([^"]+)"', manifest.read_text(), re.M)
    if not version or version[1] != CAIRO_VERSION:
        raise CompilerNotFound(
            f"{root}: corelib version {version[1] if version else '?'}, expected {CAIRO_VERSION}"
        )
    count, digest = tree_sha256(root)
    if (count, digest) != (CORELIB_FILES, CORELIB_SHA256):
        raise CompilerNotFound(
            f"{root}: {count} files with SHA-256 {digest}; the pinned corelib {CAIRO_VERSION} "
            f"has {CORELIB_FILES} files with SHA-256 {CORELIB_SHA256}. Delete the folder to fetch it again."
        )


def ensure_corelib(cargo: str, say: Progress = _say) -> Path:
    """`<cache>/native/corelib`, fetched from crates.io and verified on first use."""
    dest = native_dir() / "corelib"
    if (dest / ".verified").is_file():
        return dest
    name, version = CORELIB_CRATE
    fetch = native_dir() / "corelib-fetch"
    (fetch / "src").mkdir(parents=True, exist_ok=True)
    (fetch / "src" / "lib.rs").write_text("")
    (fetch / "Cargo.toml").write_text(
        '[package]\nname = "cairo-evals-corelib-fetch"\nversion = "0.0.0"\n'
        'edition = "2021"\npublish = false\n'
        f'\n[dependencies]\n{name} = {{ version = "={version}", default-features = false }}\n'
    )
    say(f"fetching Cairo's corelib {CAIRO_VERSION} from crates.io ({name} {version}) …")
    env = _cargo_env()
    proc = subprocess.run(
        [cargo, "fetch", "--manifest-path", str(fetch / "Cargo.toml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise CompilerNotFound(
            f"`cargo fetch` of {name} {version} (for Cairo's corelib) failed:\n{proc.stderr.strip()[-1500:]}"
        )
    sources = sorted(Path(env["CARGO_HOME"]).glob(f"registry/src/*/{name}-{version}/corelib"))
    if not sources:
        raise CompilerNotFound(f"{name} {version} was fetched but has no corelib/ folder")
    verify_corelib(sources[0])
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(sources[0], dest)
    verify_corelib(dest)
    (dest / ".verified").write_text(f"{name} {version}\n")
    return dest


def binary_path() -> Path:
    return native_dir() / "bin" / f"{BINARY}-{source_hash()}"


def is_built() -> bool:
    return binary_path().is_file() and (native_dir() / "corelib" / ".verified").is_file()


def ensure_native(say: Progress = _say) -> Path:
    """The worker binary, building it (and fetching the corelib) on first use."""
    binary = binary_path()
    lock = FileLock(str(native_dir() / "build.lock"))
    with lock:
        if binary.is_file() and (native_dir() / "corelib" / ".verified").is_file():
            return binary
        cargo = cargo_executable()
        if cargo is None:
            raise CompilerNotFound(
                "the native Cairo compiler is not built and `cargo` is not on PATH to build it: "
                "install Rust (https://rustup.rs) or use --compiler wasm"
            )
        ensure_corelib(cargo, say)
        if not binary.is_file():
            _build(cargo, binary, say)
    return binary


def _build(cargo: str, binary: Path, say: Progress) -> None:
    say(
        f"building the native Cairo {CAIRO_VERSION} compiler into {native_dir() / 'target'} "
        "(the first build takes minutes on 2 cores: benchmarks/README.md) …"
    )
    started = time.monotonic()
    cmd = [cargo, "build", "--release", "--locked", "--manifest-path", str(CRATE_DIR / "Cargo.toml")]
    proc = subprocess.Popen(
        cmd, env=_cargo_env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert proc.stderr is not None
    tail: list[str] = []
    compiled = 0
    last_said = time.monotonic()
    for line in proc.stderr:
        tail = [*tail[-40:], line.rstrip()]
        if line.strip().startswith("Compiling"):
            compiled += 1
            if time.monotonic() - last_said > 15:
                say(f"  … {compiled} crates compiled ({time.monotonic() - started:.0f} s): {line.strip()}")
                last_said = time.monotonic()
    if proc.wait() != 0:
        raise CompilerNotFound(f"`{' '.join(cmd)}` failed:\n" + "\n".join(tail[-25:]))
    built = native_dir() / "target" / "release" / BINARY
    binary.parent.mkdir(parents=True, exist_ok=True)
    tmp = binary.with_suffix(".tmp")
    shutil.copy2(built, tmp)
    os.replace(tmp, binary)
    say(f"native compiler built in {time.monotonic() - started:.0f} s: {binary}")
    if os.environ.get(KEEP_TARGET, "") in ("", "0"):
        prune_build()
        say(f"removed cargo's intermediates (set {KEEP_TARGET}=1 to keep them for incremental rebuilds)")


def prune_build() -> None:
    """Delete what only a rebuild needs: cargo's target folder (about 1 GB of intermediates) and,
    when `CARGO_HOME` is ours, the unpacked crate sources (cargo unpacks them again from the
    downloaded archives, which stay, so a rebuild downloads nothing)."""
    shutil.rmtree(native_dir() / "target", ignore_errors=True)
    if "CARGO_HOME" not in os.environ:
        shutil.rmtree(cache_dir() / "cargo-home" / "registry" / "src", ignore_errors=True)


def native_pool(size: int | None = None) -> WorkerPool:
    """Native workers: the corelib is analysed once per worker, so each serves many calls (500),
    and is replaced once past 2 GB (salsa's memos grow)."""
    return WorkerPool(native_worker_spec, size=size, max_calls=500, recycle_rss=2 * GB)


def native_worker_spec() -> WorkerSpec:
    binary = ensure_native()
    env = {"RAYON_NUM_THREADS": "1", "RUST_BACKTRACE": "0"}
    corelib = native_dir() / "corelib"
    return WorkerSpec([str(binary), "--corelib", str(corelib)], cwd=native_dir(), env=env, start_timeout=300)


# -- the backend --------------------------------------------------------------------------------


class NativeBackend:
    """Compile and test Cairo with Cairo 2.16, in a pool of native workers.

    A verdict takes one worker call when the answer and its tests compile together (the usual
    case), and a second one, on the answer alone, when they do not: that tells an answer that
    does not compile from one the case's tests cannot bind to.

    Args:
        pool: the worker pool; one is made (one worker per core) when omitted.
        edition: the Cairo edition answers are compiled in (Scarb's default for new packages).
    """

    name = "native"

    def __init__(self, pool: WorkerPool | None = None, edition: str = "2024_07") -> None:
        self.pool = pool or native_pool()
        self.edition = edition

    def version(self) -> str:
        return f"native (Cairo {CAIRO_VERSION}; cairo-evals-native {source_hash()})"

    def cairo_version(self) -> str:
        return CAIRO_VERSION

    def toolchain(self) -> dict[str, str]:
        return {"cairo": CAIRO_VERSION, "edition": self.edition, "worker": source_hash()}

    def supports(self, req: CompileRequest) -> str | None:
        return needs_scarb(req)

    def close(self) -> None:
        self.pool.close()

    def _call(self, source: str, budget: Budget, marker: str | None) -> Reply:
        request = {
            "op": "compile",
            "source": source,
            "edition": self.edition,
            "run_tests": marker is not None,
            "test_filter": marker,
            "max_gas": MAX_TEST_GAS,
        }
        return self.pool.call(request, budget)

    def compile(self, req: CompileRequest, timeout: float = 180.0) -> CompileResult:
        start = time.monotonic()
        budget = Budget(timeout)  # worker time: queueing for a worker does not count
        sealed = seal(req.code, req.tests)
        notes = list(sealed.notes)
        reply = self._call(sealed.source, budget, sealed.marker)
        if reply.failure or "fatal" in reply.data:
            return self._fault(reply, start, notes, timeout)
        diagnostics = self._diagnostics(reply, sealed)
        if reply.data.get("compiled"):
            tests = _test_run(reply.data.get("tests", ()), sealed) if req.tests is not None else None
            return verdict(self, True, start, notes, diagnostics, tests)
        if req.tests is None:
            return verdict(self, False, start, notes, diagnostics)
        alone = self._call(sealed.answer, budget, None)  # is it the answer, or the tests' binding?
        if alone.failure or "fatal" in alone.data:
            return self._fault(alone, start, notes, timeout)
        if not alone.data.get("compiled"):
            return verdict(self, False, start, notes, self._diagnostics(alone, sealed))
        return verdict(self, True, start, notes, diagnostics, unbound(sealed.expected, diagnostics))

    def _diagnostics(self, reply: Reply, sealed: Sealed) -> tuple[Diagnostic, ...]:
        out = []
        for d in reply.data.get("diagnostics", ()):
            diag = dx.parse_block(d["text"], sealed.answer_lines, locate=sealed.locate)
            if diag is None:
                diag = Diagnostic(d.get("severity", "error"), d["text"].strip(), d.get("code"))
            out.append(diag)
        return tuple(out)

    def _fault(self, reply: Reply, start: float, notes: list[str], timeout: float) -> CompileResult:
        return fault_result(self.name, self.version(), reply, start, notes, timeout, CAIRO_VERSION)


SNFORGE = re.compile(r"\bsnforge_std\b")


def needs_scarb(req: CompileRequest) -> str | None:
    """Why only Scarb can judge `req` (dependencies to resolve, snforge tests), or None."""
    if req.dependencies:
        names = ", ".join(name for name, _ in req.dependencies)
        return f"the suite's dependencies ({names}) need Scarb to resolve them"
    if SNFORGE.search(req.tests or ""):
        return "the case's tests use snforge_std: they need Scarb and Starknet Foundry (snforge)"
    if req.tests is not None and req.test_runner == "snforge":
        return "the suite runs its tests with snforge (test_runner: snforge): they need Scarb and snforge"
    return None


def _test_run(reported: Any, sealed: Sealed) -> TestRun:
    """The case's tests from the worker's per-test results."""
    outcomes = {
        t["name"]: Outcome(
            t["status"],
            decode_panic(t.get("message") or ""),
            None if t.get("gas") is None else int(t["gas"]),
        )
        for t in reported
    }
    return case_tests(outcomes, sealed, "did not run: the compiled tests do not include it")
