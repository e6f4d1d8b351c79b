"""`cairo-evals ui`: the MLflow UI on the project's tracking store.

The store is sqlite `mlruns.db` at the project root with artifacts in `mlartifacts/` beside it
(`--mlflow-uri` picks another backend store). The server is the `mlflow` executable of this
interpreter's environment, run in its own process group with the settings that start reliably
(job execution off, one worker, telemetry off: the defaults deadlock at start-up and leave
orphan `huey_consumer` processes). A sqlite store is created and migrated first, under the
same lock as runs that log to it (`harness.tracking.store_lock`). `serve` waits up to `--wait`
seconds (default 180: the server takes ≈ 9 s on an idle machine, over a minute on a loaded one)
for HTTP 200 from `/`, prints the URL, and on Ctrl-C / SIGTERM stops the whole group (SIGTERM,
a grace period, then SIGKILL) so that no child process outlives it. When the server exits or
does not come up, the error shows the last lines it printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .paths import project_root

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
READY_TIMEOUT = 180.0
STOP_GRACE = 10.0


class UIError(RuntimeError):
    """The server could not be started or did not come up."""


def default_store(root: Path | None = None) -> tuple[str, Path]:
    """The default backend store URI and artifact folder: `<project>/mlruns.db`, `<project>/mlartifacts`."""
    root = root or project_root()
    db = (root / "mlruns.db").resolve()
    return f"sqlite:///{db}", db.parent / "mlartifacts"


def _sqlite_path(uri: str) -> Path | None:
    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///") :]
        if path and path != ":memory:":
            return Path(path) if path.startswith("/") else Path.cwd() / path
    return None


def resolve_store(uri: str | None) -> tuple[str, Path]:
    """The backend store URI and artifact folder for `uri` (None: the default store). For a sqlite
    store the database's folder is created and artifacts go to `mlartifacts/` beside it."""
    if not uri:
        store, artifacts = default_store()
    else:
        db = _sqlite_path(uri)
        # absolute, since the server runs in the artifacts' parent folder
        store = f"sqlite:///{db.resolve()}" if db else uri
        artifacts = (db.parent if db else project_root()) / "mlartifacts"
    db = _sqlite_path(store)
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    return store, artifacts.resolve()


def mlflow_executable() -> Path:
    return Path(sys.executable).with_name("mlflow")


def server_command(host: str, port: int, store: str, artifacts: Path) -> list[str]:
    return [
        str(mlflow_executable()),
        "server",
        "--backend-store-uri",
        store,
        "--artifacts-destination",
        str(artifacts),
        "--workers",
        "1",
        "--host",
        host,
        "--port",
        str(port),
    ]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
        MLFLOW_DISABLE_TELEMETRY="true",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    return env


def _probe_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def url_for(host: str, port: int) -> str:
    h = _probe_host(host)
    return f"http://[{h}]:{port}/" if ":" in h else f"http://{h}:{port}/"


def group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is left in process group `pgid`."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with pgserver
        return True
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error, OSError):
            continue
    return False


class UIServer:
    """One `mlflow server` in its own process group. `start()`, `wait_ready()`, `stop()`; or use
    it as a context manager (start and wait on enter, stop on exit)."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, uri: str | None = None) -> None:
        self.host, self.port = host, port
        self.store, self.artifacts = resolve_store(uri)
        self.url = url_for(host, port)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pgid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid  # start_new_session: the leader's pid is the group id

    def start(self) -> None:
        exe = mlflow_executable()
        if not exe.exists():
            raise UIError(f"{exe} not found: install mlflow in this environment")
        if _sqlite_path(self.store) is not None:
            from .tracking import client_for

            try:  # created and migrated here, under the lock runs take, not by the server racing them
                client_for(self.store)
            except Exception as e:
                raise UIError(f"cannot open the MLflow store {self.store}: {type(e).__name__}: {e}") from None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            server_command(self.host, self.port, self.store, self.artifacts),
            env=server_env(),
            cwd=str(self.artifacts.parent),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 30) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        self._log.seek(0, os.SEEK_END)
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Until `/` answers 200; UIError (with the server's output) if it exits or times out."""
        assert self.proc is not None, "not started"
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise UIError(
                    f"mlflow server exited with code {code} before it was ready:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                tail = self.log_tail()  # before stop(), which closes the log
                self.stop()
                raise UIError(
                    f"mlflow server did not answer 200 at {self.url} within {timeout:.0f}s "
                    f"(raise it with --wait); its last output:\n{tail or '(nothing)'}"
                )
            time.sleep(0.25)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM to the whole group, wait up to `grace`, then SIGKILL; reaps the leader."""
        if self.proc is None:
            return
        pgid = self.pgid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        end = time.monotonic() + 5
        while group_alive(pgid) and time.monotonic() < end:
            time.sleep(0.1)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> UIServer:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    uri: str | None = None,
    ready: Callable[[UIServer], None] | None = None,
    stop: threading.Event | None = None,
    timeout: float = READY_TIMEOUT,
) -> int:
    """Run the UI until Ctrl-C, SIGTERM or `stop` is set; returns an exit code (0 clean, 2 it could
    not start or did not come up: an environment error, said in one message with the server's
    last output). `ready(server)` is called once the UI answers."""
    server = UIServer(host, port, uri)
    stop = stop or threading.Event()
    previous = previous_sigint = None
    if threading.current_thread() is threading.main_thread():

        def _on_term(signum: int, frame: object) -> None:
            if not stop.is_set():  # a second signal while stopping must not cut the stop short
                stop.set()
                raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _on_term)
        # Ctrl-C stops the UI even when started with SIGINT ignored (e.g. in the background).
        previous_sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        try:
            server.start()
            server.wait_ready(timeout)
        except UIError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"MLflow UI at {server.url} (store {server.store}); Ctrl-C to stop", flush=True)
        if ready is not None:
            ready(server)
        while not stop.is_set():
            if server.proc is not None and server.proc.poll() is not None:
                print(
                    f"error: mlflow server exited with code {server.proc.returncode}:\n{server.log_tail()}",
                    file=sys.stderr,
                )
                return 2
            stop.wait(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()
        if previous is not None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            server.stop()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
                signal.signal(signal.SIGINT, previous_sigint)


def cmd_ui(args: argparse.Namespace) -> int:
    return serve(args.host, args.port, args.mlflow_uri, timeout=args.wait)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=DEFAULT_HOST, help=f"interface to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--mlflow-uri",
        default=None,
        help="backend store URI (default: sqlite mlruns.db at the project root)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=READY_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for the server to answer (default {READY_TIMEOUT:.0f})",
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `ui` on the CLI's subparsers."""
    p = sub.add_parser("ui", help="start the MLflow UI on the project's tracking store")
    add_arguments(p)
    p.set_defaults(func=cmd_ui)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cairo-evals ui", description=__doc__.splitlines()[0])
    add_arguments(p)
    return cmd_ui(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
