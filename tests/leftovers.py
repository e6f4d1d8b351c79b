"""Servers and workers a test session left running, found by the session's marker.

Every process a test session starts inherits `CAIRO_EVALS_TEST_SESSION` (tests/conftest.py sets
it; `.ci/run` exports its own): the embedded PostgreSQL's postmaster keeps it in its environment
(its children rewrite theirs for `ps`, but die with it), and so do the compiler's Node and native
workers. `python -m tests.leftovers MARKER [WAIT]` waits up to WAIT seconds (default 15) for
them to go, then lists those still alive and exits 1: the CI step that keeps a run from leaving
servers behind.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import psutil

MARKER = "CAIRO_EVALS_TEST_SESSION"
WATCHED = ("postgres", "node", "cairo-evals-native")


def marked(marker: str, names: tuple[str, ...] = WATCHED) -> list[psutil.Process]:
    """Live processes named in `names` whose environment carries `marker`."""
    mine = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found = []
    for proc in psutil.process_iter(["pid", "name", "status"]):
        if proc.info["pid"] in mine or proc.info["name"] not in names:
            continue
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if proc.environ().get(MARKER) == marker:
                found.append(proc)
        except psutil.Error:  # gone, or not ours to read
            continue
    return found


def _users(pgdata: Path) -> list[int]:
    """Live processes other than this one that hold pgserver's handle on `pgdata`."""
    try:
        pids = json.loads((pgdata / ".handle_pids.json").read_text())
    except (OSError, ValueError):
        return []
    return [p for p in pids if p != os.getpid() and psutil.pid_exists(p)]


def stop_postgres(marker: str, grace: float = 15.0) -> list[str]:
    """Stop the embedded PostgreSQL servers the session started and nobody uses any more.

    pgserver stops a server when the last process holding it exits normally; a process killed
    with -9 (tests do that on purpose) stays in its handle list forever, so the server is never
    stopped. Each server is given a fast shutdown (SIGINT), then SIGKILL after `grace`, and its
    handle list is cleared of the dead. Returns the data dirs stopped.
    """
    stopped = []
    for proc in marked(marker, ("postgres",)):
        try:
            cmd = proc.cmdline()
        except psutil.Error:
            continue
        if "-D" not in cmd:
            continue  # not a postmaster
        pgdata = Path(cmd[cmd.index("-D") + 1])
        if _users(pgdata):
            continue  # a live process still uses it and will stop it
        try:
            proc.send_signal(signal.SIGINT)
            proc.wait(grace)
        except psutil.TimeoutExpired:
            proc.kill()
        except psutil.Error:
            pass
        handles = pgdata / ".handle_pids.json"
        if handles.is_file():
            handles.write_text(json.dumps(_users(pgdata)))
        stopped.append(str(pgdata))
    return stopped


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m tests.leftovers MARKER [WAIT]", file=sys.stderr)
        return 2
    # workers and servers may be finishing their own shutdown
    deadline = time.monotonic() + (float(argv[1]) if len(argv) == 2 else 15.0)
    while (left := marked(argv[0])) and time.monotonic() < deadline:
        time.sleep(0.5)
    for proc in left:
        try:
            print(f"left running by the tests: pid {proc.pid} {' '.join(proc.cmdline())[:200]}")
        except psutil.Error:
            continue
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
