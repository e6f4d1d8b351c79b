"""The embedded PostgreSQL is stopped by the last process that uses it, even after a process that
started it was killed with -9 (pgserver keeps such a process's pid in its handle list forever,
and so never stopped the server again). Real processes, a real pgserver, the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MLFLOW_DISABLE_TELEMETRY": "true"}
LONG = 600.0  # a bound for a process on a loaded machine, never an expectation


def postmaster(pgdata: Path) -> psutil.Process | None:
    """The server's main process, while it runs."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        proc = psutil.Process(pid)
        return proc if proc.status() != psutil.STATUS_ZOMBIE else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def test_after_a_starter_was_killed_with_9_the_next_normal_run_stops_the_server(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    pgdata = cache / "pgdata"
    env = {**ENV, "CAIRO_EVALS_CACHE_DIR": str(cache)}
    starter = subprocess.Popen(
        [sys.executable, "-c", "import time; from harness.rag.db import Database; "
         "print(Database().dsn(), flush=True); time.sleep(600)"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    server = None
    try:
        assert starter.stdout is not None and "postgresql://" in starter.stdout.readline()
        server = postmaster(pgdata)
        assert server is not None
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == [starter.pid]
        starter.send_signal(signal.SIGKILL)  # not reaped yet: a zombie, which is not alive either
        deadline = time.monotonic() + LONG
        while time.monotonic() < deadline and psutil.Process(starter.pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.1)
        assert server.is_running()  # pgserver left it running, for nobody

        ingest = subprocess.run(
            [sys.executable, "-m", "harness.cli", "ingest"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=LONG,
        )  # fmt: skip
        assert ingest.returncode == 0, ingest.stderr
        assert "ingested" in ingest.stdout
        # the ingest, the last user, stopped it on its way out (pg_ctl -w stop returned before
        # the ingest did; the wait is only for the process table to catch up)
        server.wait(120)
        assert postmaster(pgdata) is None
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == []
    finally:
        starter.kill()
        starter.wait()
        if server is not None and server.is_running():  # failed: leave no server behind
            server.kill()
