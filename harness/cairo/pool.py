"""Long-lived compiler worker processes, fed JSON lines, shared by threads.

Both embedded backends use this: `native` (our Rust worker on the Cairo 2.16 crates) and `wasm`
(wasm-cairo under Node). One call is synchronous inside a worker, so a worker does one call at a
time and the pool holds a few of them (one per core by default).

What a call can end as, besides a reply:
- `timeout`: the call's deadline passed (worker time only: waiting for a free worker does not
  count, so a busy pool never turns queued compiles into timeouts); the worker is killed.
- `memory`: the worker's RSS passed `kill_rss`; killed.
- `crash`: the worker died or wrote something that is not a reply.

All three are harness faults, never verdicts on the code (the compile stage runs a call that hit
a bound again, alone, before it calls it the code's: `Gate`, `WorkerPool.retire_idle`).

Workers are started in their own process group (a kill takes their children too) and watch their
parent: when the harness dies, even by `kill -9`, they exit instead of computing on for nobody.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._types import CompilerNotFound

GB = 1024**3


class Budget:
    """What is left of one compile's time limit, in seconds of worker time."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def spend(self, seconds: float) -> None:
        self.left = max(0.0, self.left - seconds)


@dataclass(frozen=True)
class Reply:
    """A worker's answer to one call; `failure` is set when the call itself did not finish."""

    data: dict[str, Any]
    ms: float
    rss: int
    failure: str | None = None  # "timeout" | "memory" | "crash"
    detail: str = ""  # for a failure: the worker's last words (stderr tail)


@dataclass(frozen=True)
class WorkerSpec:
    """How to start one worker: `argv` in `cwd`; its first line must be `{"ready": true, …}`."""

    argv: Sequence[str]
    cwd: Path | None = None
    env: dict[str, str] | None = None
    start_timeout: float = 120.0


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
    """One worker process."""

    _ids = itertools.count()

    def __init__(self, spec: WorkerSpec) -> None:
        self.calls = 0
        self.rss = 0
        self.peak_rss = 0
        self._stderr: collections.deque[str] = collections.deque(maxlen=50)
        self._lines: queue.Queue[str | None] = queue.Queue()
        env = {**os.environ, **(spec.env or {}), "CAIRO_EVALS_PARENT_PID": str(os.getpid())}
        self.proc = subprocess.Popen(
            list(spec.argv),
            cwd=spec.cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a kill takes everything with it
        )
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        ready = self._next_line(time.monotonic() + spec.start_timeout)
        info: dict[str, Any] = {}
        if isinstance(ready, str):
            with contextlib.suppress(ValueError):
                info = json.loads(ready)
        if not info.get("ready"):
            self.kill()
            why = info.get("error") or self.stderr_tail() or "no output"
            raise CompilerNotFound(f"the compiler worker `{spec.argv[0]}` did not start: {why}")
        self.info = info

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
                return Reply({}, 0, self.rss, failure="timeout")
            try:
                return self._lines.get(timeout=min(0.5, remaining))
            except queue.Empty:
                if kill_rss is not None:
                    rss = _rss_of(self.proc.pid)
                    self.peak_rss = max(self.peak_rss, rss)
                    if rss > kill_rss:
                        return Reply({}, 0, rss, failure="memory")

    def call(self, request: dict[str, Any], deadline: float, kill_rss: int) -> Reply:
        self.calls += 1
        started = time.monotonic()
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"id": self.calls, **request}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return Reply({}, 0, 0, failure="crash", detail=self.stderr_tail() or "the worker is gone")
        line = self._next_line(deadline, kill_rss)
        if isinstance(line, Reply):
            self.kill()
            return line
        if line is None:
            self.kill()
            code = self.proc.returncode
            why = f"the worker exited ({_exit_text(code)})"
            return Reply({}, 0, 0, failure="crash", detail=f"{why}: {self.stderr_tail()}".strip(": "))
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):  # a worker must answer with an object; anything else is a fault
            self.kill()
            return Reply({}, 0, 0, failure="crash", detail=f"not a reply: {line[:300]!r}")
        self.rss = int(data.get("rss", 0))
        self.peak_rss = max(self.peak_rss, self.rss, int(data.get("max_rss", 0)))
        ms = float(data.get("ms", (time.monotonic() - started) * 1000))
        return Reply(data, ms, self.rss)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
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


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class Gate:
    """Compiles share the machine; one that must run alone waits for every running one to end and
    keeps new ones out until it is done (a readers-writer lock that prefers the writer, so a
    stream of compiles cannot starve it)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._alone = False
        self._waiting = 0  # threads waiting to run alone

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._alone or self._waiting:
                self._cond.wait()
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._alone or self._running:
                self._cond.wait()
            self._waiting -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._cond.notify_all()


class WorkerPool:
    """A fixed number of worker slots shared by threads; workers start lazily.

    Args:
        spec: how to start a worker (a callable, so installing the compiler waits for the
            first call).
        size: concurrent calls (one per core by default).
        max_calls: a worker is replaced after this many calls.
        recycle_rss: a worker whose RSS passed this after a call is replaced.
        kill_rss: a call whose worker passes this RSS is killed ("memory" failure).
        retire_on: a reply for which this returns True retires its worker (e.g. the wasm
            instance trapped and may be poisoned).
    """

    def __init__(
        self,
        spec: Callable[[], WorkerSpec],
        size: int | None = None,
        max_calls: int = 6,
        recycle_rss: int = 3 * GB,
        kill_rss: int = 6 * GB,
        retire_on: Callable[[Reply], bool] | None = None,
    ) -> None:
        self._spec_factory = spec
        self._spec: WorkerSpec | None = None
        self.size = size or default_pool_size()
        self.max_calls = max_calls
        self.recycle_rss = recycle_rss
        self.kill_rss = kill_rss
        self.retire_on = retire_on or (lambda reply: False)
        self._idle: queue.Queue[Worker | None] = queue.Queue()
        for _ in range(self.size):
            self._idle.put(None)
        self._lock = threading.Lock()
        self._live: set[Worker] = set()  # every started worker, idle or busy
        self.started = 0
        self.peak_rss_by_worker: list[int] = []
        self.last_info: dict[str, Any] = {}

    def spec(self) -> WorkerSpec:
        with self._lock:
            if self._spec is None:
                self._spec = self._spec_factory()
            return self._spec

    def call(self, request: dict[str, Any], budget: Budget) -> Reply:
        """Run `request` on an idle worker; the time spent on it is taken from `budget` (the wait
        for an idle worker is not)."""
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive:
                worker = Worker(self.spec())
                with self._lock:
                    self._live.add(worker)
                self.started += 1
                self.last_info = worker.info
            started = time.monotonic()
            try:
                reply = worker.call(request, started + budget.left, self.kill_rss)
            finally:
                budget.spend(time.monotonic() - started)
            spent = worker.calls >= self.max_calls or worker.rss > self.recycle_rss
            if not worker.alive or spent or reply.failure or self.retire_on(reply):
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

    def retire_idle(self) -> None:
        """Close every idle worker: the next call starts a fresh one (for a compile run again
        alone, so nothing a previous call left in a worker, memos or memory, can be the cause)."""
        taken = []
        while True:
            try:
                taken.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in taken:
            if worker is not None:
                self._retire(worker)
            self._idle.put(None)

    def _retire(self, worker: Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        self.peak_rss_by_worker.append(worker.peak_rss)
        worker.close()

    def close(self) -> None:
        """Stop every worker now: idle ones are closed, busy ones killed (their calls end as
        "crash", which nobody counts as a verdict). Never waits for a compile to finish."""
        with self._lock:
            live = list(self._live)
            self._live.clear()
        for worker in live:
            self.peak_rss_by_worker.append(worker.peak_rss)
            worker.kill()


def default_pool_size() -> int:
    """`CAIRO_EVALS_WORKERS`, else the cores shared among pytest-xdist workers."""
    env = os.environ.get("CAIRO_EVALS_WORKERS")
    if env:
        return max(1, int(env))
    cores = os.cpu_count() or 1
    xdist = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, cores // xdist)
