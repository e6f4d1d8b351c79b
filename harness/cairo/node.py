"""The embedded compiler's processes: installing `wasm-cairo` and a pool of Node workers.

The npm package `wasm-cairo` (the Cairo compiler, about Cairo 2.8, built for WebAssembly)
is installed by the project itself on first use, into `<cache>/npm/wasm-cairo-<version>/`
(see `harness.paths.cache_dir`), from the npm registry with the machine's `npm`. The
install is pinned to one version and checked against the SHA-256 of its `.wasm`.
Set `CAIRO_EVALS_WASM_CAIRO_DIR` to a folder holding `wasm-cairo.js` and
`wasm-cairo_bg.wasm` to use a copy you installed yourself (e.g. on an offline machine).

Each worker is a long-lived `node worker.mjs` process fed JSON lines. One wasm call is
synchronous and takes 3–50 s, so a worker does one call at a time; the pool holds one
worker per core. Workers grow (FACTS: 4.3 GB after 7 calls), so each is replaced after
`max_calls` calls or once its RSS passes `recycle_rss`, and killed mid-call when its RSS
passes `kill_rss` or the call's deadline passes.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..paths import cache_dir
from ._types import CompilerNotFound

WASM_CAIRO_VERSION = "0.10.2"
WASM_SHA256 = "fb8e14d690be2994ea5ed768bde1f3f716ba3cacf882f25e0bb71eb2ead45b66"
WORKER_SCRIPT = Path(__file__).with_name("worker.mjs")
GB = 1024**3


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
            "No Cairo compiler available: looked for `scarb` on PATH (not found) and for "
            "`node` to run the embedded wasm compiler (not found). Install Scarb "
            "(https://docs.swmansion.com/scarb/download.html) or Node.js ≥ 18 "
            "(e.g. `apt-get install nodejs npm`)."
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


class Budget:
    """What is left of one compile's time limit, in seconds of worker time (see `WorkerPool.call`)."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def spend(self, seconds: float) -> None:
        self.left = max(0.0, self.left - seconds)


@dataclass(frozen=True)
class Reply:
    """A worker's answer to one call; `failure` is set when the call itself did not finish."""

    output: str | None
    error: str | None
    ms: float
    rss: int
    failure: str | None = None  # "timeout" | "memory" | "crash"


def _rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Worker:
    """One `node worker.mjs` process."""

    _ids = itertools.count()

    def __init__(self, pkg: Path, start_timeout: float = 120.0) -> None:
        self.calls = 0
        self.rss = 0
        self.peak_rss = 0
        self._stderr: collections.deque[str] = collections.deque(maxlen=50)
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [node_executable(), str(WORKER_SCRIPT), str(pkg)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a kill takes everything with it
        )
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        ready = self._next_line(time.monotonic() + start_timeout)
        if ready is None or not json.loads(ready).get("ready"):
            self.kill()
            raise CompilerNotFound(f"the wasm worker did not start: {self.stderr_tail()}")

    @staticmethod
    def _pump(stream: Any, lines: queue.Queue[str | None]) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line.rstrip())

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)[-2000:]

    def _next_line(self, deadline: float, kill_rss: int | None = None) -> str | Reply | None:
        """The next stdout line; a Reply(failure=…) when the deadline or memory bound hits."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Reply(None, None, 0, self.rss, failure="timeout")
            try:
                return self._lines.get(timeout=min(0.5, remaining))
            except queue.Empty:
                if kill_rss is not None:
                    rss = _rss_of(self.proc.pid)
                    self.peak_rss = max(self.peak_rss, rss)
                    if rss > kill_rss:
                        return Reply(None, None, 0, rss, failure="memory")

    def call(self, op: str, deadline: float, kill_rss: int, **payload: Any) -> Reply:
        self.calls += 1
        request = {"id": self.calls, "op": op, **payload}
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return Reply(None, None, 0, 0, failure="crash")
        line = self._next_line(deadline, kill_rss)
        if isinstance(line, Reply):
            self.kill()
            return line
        if line is None:
            self.kill()
            return Reply(None, self.stderr_tail(), 0, 0, failure="crash")
        data = json.loads(line)
        self.rss = int(data.get("rss", 0))
        self.peak_rss = max(self.peak_rss, self.rss, int(data.get("max_rss", 0)))
        return Reply(data.get("output"), data.get("error"), float(data.get("ms", 0)), self.rss)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()


class WorkerPool:
    """A fixed number of worker slots shared by threads; workers start lazily.

    Args:
        size: concurrent wasm calls (one per core by default).
        max_calls: a worker is replaced after this many calls.
        recycle_rss: a worker whose RSS passed this after a call is replaced.
        kill_rss: a call whose worker passes this RSS is killed ("memory" failure).
    """

    def __init__(
        self,
        size: int | None = None,
        max_calls: int = 6,
        recycle_rss: int = 3 * GB,
        kill_rss: int = 6 * GB,
    ) -> None:
        self.size = size or default_pool_size()
        self.max_calls = max_calls
        self.recycle_rss = recycle_rss
        self.kill_rss = kill_rss
        self._pkg: Path | None = None
        self._idle: queue.Queue[Worker | None] = queue.Queue()
        for _ in range(self.size):
            self._idle.put(None)
        self._lock = threading.Lock()
        self.started = 0
        self.peak_rss_by_worker: list[int] = []

    def _package(self) -> Path:
        with self._lock:
            if self._pkg is None:
                self._pkg = ensure_wasm_cairo()
            return self._pkg

    def call(self, op: str, budget: Budget, **payload: Any) -> Reply:
        """Run `op` on an idle worker; the time spent on it is taken from `budget` (the wait for
        an idle worker is not: a busy pool must not turn queued compiles into timeouts)."""
        worker = self._idle.get()
        started = time.monotonic()
        try:
            if worker is None or not worker.alive:
                worker = Worker(self._package())
                self.started += 1
            try:
                reply = worker.call(op, started + budget.left, self.kill_rss, **payload)
            finally:
                budget.spend(time.monotonic() - started)
            # A JS exception means the wasm instance trapped; its state may be poisoned.
            spent = worker.calls >= self.max_calls or worker.rss > self.recycle_rss
            if not worker.alive or spent or reply.error:
                self._retire(worker)
                worker = None
            return reply
        except BaseException:
            if worker is not None:
                self._retire(worker)
            worker = None
            raise
        finally:
            self._idle.put(worker)

    def _retire(self, worker: Worker) -> None:
        self.peak_rss_by_worker.append(worker.peak_rss)
        worker.close()

    def close(self) -> None:
        for _ in range(self.size):
            worker = self._idle.get()
            if worker is not None:
                self._retire(worker)
        for _ in range(self.size):
            self._idle.put(None)


def default_pool_size() -> int:
    """`CAIRO_EVALS_WORKERS`, else the cores shared among pytest-xdist workers."""
    env = os.environ.get("CAIRO_EVALS_WORKERS")
    if env:
        return max(1, int(env))
    cores = os.cpu_count() or 1
    xdist = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, cores // xdist)
