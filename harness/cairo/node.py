"""The embedded wasm compiler's installation: `wasm-cairo` from npm, run by Node workers.

The npm package `wasm-cairo` (the Cairo compiler, about Cairo 2.8, built for WebAssembly)
is installed by the project itself on first use, into `<cache>/npm/wasm-cairo-<version>/`
(see `harness.paths.cache_dir`), from the npm registry with the machine's `npm`. The
install is pinned to one version and checked against the SHA-256 of its `.wasm`.
Set `CAIRO_EVALS_WASM_CAIRO_DIR` to a folder holding `wasm-cairo.js` and
`wasm-cairo_bg.wasm` to use a copy you installed yourself (e.g. on an offline machine).

Each worker is a long-lived `node worker.mjs` process fed JSON lines (`harness.cairo.pool`).
One wasm call is synchronous and takes 3–50 s. Workers grow (FACTS: 4.3 GB after 7 calls), so
the wasm backend's pool replaces each after 6 calls or 3 GB of RSS.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from filelock import FileLock

from ..paths import cache_dir
from ._types import CompilerNotFound
from .pool import WorkerSpec

WASM_CAIRO_VERSION = "0.10.2"
WASM_SHA256 = "fb8e14d690be2994ea5ed768bde1f3f716ba3cacf882f25e0bb71eb2ead45b66"
WORKER_SCRIPT = Path(__file__).with_name("worker.mjs")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise CompilerNotFound(
            "No Cairo compiler available: looked for `scarb` on PATH (not found), for `cargo` to build "
            "the native compiler (not found, and it is not built) and for `node` to run the embedded "
            "wasm compiler (not found). Install Scarb (https://docs.swmansion.com/scarb/download.html), "
            "Rust (https://rustup.rs) or Node.js >= 18 (e.g. `apt-get install nodejs npm`)."
        )
    return node


def ensure_wasm_cairo() -> Path:
    """The folder holding `wasm-cairo.js` and its `.wasm`, installing it on first use."""
    override = os.environ.get("CAIRO_EVALS_WASM_CAIRO_DIR")
    if override:
        pkg = Path(override)
        if not (pkg / "wasm-cairo_bg.wasm").is_file():
            raise CompilerNotFound(f"CAIRO_EVALS_WASM_CAIRO_DIR={override} has no wasm-cairo_bg.wasm")
        return pkg
    prefix = cache_dir() / "npm" / f"wasm-cairo-{WASM_CAIRO_VERSION}"
    pkg = prefix / "node_modules" / "wasm-cairo"
    wasm = pkg / "wasm-cairo_bg.wasm"
    prefix.mkdir(parents=True, exist_ok=True)
    with FileLock(str(prefix) + ".lock"):
        if wasm.is_file() and _sha256(wasm) == WASM_SHA256:
            return pkg
        npm = shutil.which("npm")
        if npm is None:
            raise CompilerNotFound(
                "The embedded Cairo compiler is not installed yet and `npm` is not on PATH to "
                "install it. Install Node.js and npm, or Scarb."
            )
        cmd = [
            npm,
            "install",
            "--no-save",
            "--no-package-lock",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(prefix),
            f"wasm-cairo@{WASM_CAIRO_VERSION}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not wasm.is_file():
            raise CompilerNotFound(
                f"Installing the embedded Cairo compiler failed: `{' '.join(cmd)}` exited "
                f"{proc.returncode}:\n{proc.stderr.strip()[-2000:]}"
            )
        if _sha256(wasm) != WASM_SHA256:
            raise CompilerNotFound(
                f"{wasm} does not match the pinned SHA-256 of wasm-cairo {WASM_CAIRO_VERSION}; "
                "delete the folder and retry."
            )
    return pkg


def wasm_worker_spec() -> WorkerSpec:
    """How the pool starts a wasm worker (installing wasm-cairo on first use)."""
    return WorkerSpec([node_executable(), str(WORKER_SCRIPT), str(ensure_wasm_cairo())])
