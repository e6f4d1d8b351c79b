"""`cairo-evals ui`: the MLflow UI comes up on a tmp sqlite store (loopback, a free port), answers
`/` and the REST API, and Ctrl-C / SIGTERM leaves no process of its group behind.

The server is ready in about 9 s on an idle machine and took over a minute on a loaded one (two
cores shared by several test sessions): every wait here is a generous bound, never an
expectation, and nothing is timed."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from harness import ui

ROOT = Path(__file__).resolve().parents[1]
UI_WAIT = 600.0  # `ui --wait`: how long the command itself waits for the server (default 180)
START_TIMEOUT = UI_WAIT + 120.0  # the command gives up first, and says why
STOP_TIMEOUT = 120.0  # SIGTERM to the group, its grace, then SIGKILL
CHILD_NAMES = ("mlflow", "gunicorn", "uvicorn", "huey")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[psutil.Process]:
    alive = []
    for p in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> str:
    """The first stdout line containing `needle`, read by a thread so the wait stays bounded."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return line
    proc.kill()
    proc.wait(timeout=STOP_TIMEOUT)
    err = proc.stderr.read() if proc.stderr else ""
    pytest.fail(f"no {needle!r} within {timeout}s (exit {proc.returncode}):\n{''.join(seen)}\n{err[-3000:]}")


def get(url: str, data: dict | None = None) -> tuple[int, dict | str]:
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        text = resp.read().decode()
        ctype = resp.headers.get("Content-Type", "")
        return resp.status, json.loads(text) if "json" in ctype else text


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_ui_serves_and_stops_its_whole_process_group(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    store = f"sqlite:///{tmp_path / 'store' / 'mlruns.db'}"
    code = (
        "import sys; from harness.ui import main; "
        f"sys.exit(main(['--host', '127.0.0.1', '--port', '{port}', '--mlflow-uri', {store!r}, "
        f"'--wait', '{UI_WAIT:g}']))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pgid = None
    try:
        line = wait_for_line(proc, "MLflow UI at", START_TIMEOUT)
        url = f"http://127.0.0.1:{port}/"
        assert url in line
        children = psutil.Process(proc.pid).children(recursive=True)
        leaders = [c for c in children if c.pid == os.getpgid(c.pid)]
        assert len(leaders) == 1, children  # mlflow runs in a group of its own
        pgid = leaders[0].pid
        assert pgid != os.getpgid(proc.pid)
        names = " ".join(" ".join(p.cmdline()) for p in group_members(pgid))
        assert "mlflow" in names and "uvicorn" in names and "huey" not in names

        status, page = get(url)
        assert status == 200 and "<html" in str(page).lower()
        status, found = get(f"{url}api/2.0/mlflow/experiments/search?max_results=10")
        assert status == 200 and isinstance(found, dict)
        assert [e["experiment_id"] for e in found["experiments"]] == ["0"]
        status, runs = get(f"{url}api/2.0/mlflow/runs/search", {"experiment_ids": ["0"]})
        assert status == 200 and isinstance(runs, dict)
        assert (tmp_path / "store" / "mlruns.db").is_file()
        assert (tmp_path / "store" / "mlartifacts").is_dir()

        proc.send_signal(sig)
        assert proc.wait(timeout=STOP_TIMEOUT) == 0
        deadline = time.monotonic() + STOP_TIMEOUT
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = group_members(pgid)
        assert not left, [" ".join(p.cmdline()) for p in left]
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)
        if pgid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


def test_ui_reports_a_server_that_does_not_come_up(tmp_path: Path) -> None:
    """A port already taken: the server exits and the error carries its output."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ui.UIServer("127.0.0.1", port, f"sqlite:///{tmp_path / 'mlruns.db'}")
        server.start()
        try:
            with pytest.raises(ui.UIError) as info:
                server.wait_ready(timeout=UI_WAIT)
        finally:
            pgid = server.pgid
            server.stop()
        assert not ui.group_alive(pgid)
    message = str(info.value)
    assert "before it was ready" in message or "did not answer 200" in message
    assert message.count("\n") >= 1  # the server's output tail


def test_default_store_is_at_the_project_root_and_command_has_the_safe_settings(tmp_path: Path) -> None:
    store, artifacts = ui.default_store(tmp_path)
    assert store == f"sqlite:///{tmp_path.resolve() / 'mlruns.db'}"
    assert artifacts == tmp_path.resolve() / "mlartifacts"
    cmd = ui.server_command("127.0.0.1", 5123, store, artifacts)
    assert cmd[0] == str(Path(sys.executable).with_name("mlflow"))
    assert cmd[1] == "server"
    assert cmd[cmd.index("--workers") + 1] == "1"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    env = ui.server_env()
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["MLFLOW_DISABLE_TELEMETRY"] == "true"


def test_a_relative_sqlite_uri_is_made_absolute_with_artifacts_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store, artifacts = ui.resolve_store("sqlite:///sub/x.db")
    assert store == f"sqlite:///{tmp_path.resolve() / 'sub' / 'x.db'}"
    assert artifacts == tmp_path.resolve() / "sub" / "mlartifacts"
    assert artifacts.is_dir()


def test_add_commands_registers_ui_with_loopback_defaults() -> None:
    parser = argparse.ArgumentParser()
    ui.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["ui"])
    assert (args.host, args.port, args.mlflow_uri) == ("127.0.0.1", 5000, None)
    assert args.func is ui.cmd_ui
    args = parser.parse_args(["ui", "--port", "5999", "--mlflow-uri", "sqlite:///x.db"])
    assert (args.port, args.mlflow_uri) == (5999, "sqlite:///x.db")


def test_ui_waits_as_long_as_told_and_shows_the_servers_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server that never answers (a stand-in that prints and sleeps): after --wait seconds the
    error quotes what it printed (the log used to be closed before it was read), exit 2. The wait
    is long enough for the stand-in to start and print on a loaded machine."""
    stand_in = [
        sys.executable,
        "-c",
        "import time; print('booting the stand-in', flush=True); time.sleep(600)",
    ]
    monkeypatch.setattr(ui, "server_command", lambda *args: stand_in)
    parser = argparse.ArgumentParser()
    ui.add_arguments(parser)
    args = parser.parse_args(
        ["--port", str(free_port()), "--mlflow-uri", f"sqlite:///{tmp_path / 'm.db'}", "--wait", "45"]
    )
    assert args.wait == 45.0 and parser.parse_args([]).wait == ui.READY_TIMEOUT == 180.0
    assert ui.cmd_ui(args) == 2
    err = capsys.readouterr().err
    assert "did not answer 200" in err and "within 45s (raise it with --wait)" in err
    assert "booting the stand-in" in err
    assert (tmp_path / "m.db").is_file()  # the store was created (under the runs' lock) before the server
