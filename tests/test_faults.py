"""The harness under faults and misuse, for real: the CLI in subprocesses, a hung sync program,
Ctrl-C and SIGTERM, two writers of one run, an embedded PostgreSQL killed mid-run, MLflow stores
created in parallel and a tracking server answering 503, missing API keys, unwritable output.

No LLM endpoint is reachable here, so programs are scripted (no LM at all, or a scripted `py:`
LM); tests that use one say "scripted" in their names. Nothing here compiles Cairo: the scripted
answers are prose, which scores 0 without a compile. Tests assert behaviour; each subprocess
has a generous timeout as its only bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.lm import ScriptedEngine, chat_adapter_reply
from harness.metric import CaseResult
from harness.runner import CaseTimeout, ResultsLog, Runner, RunOptions, read_results
from harness.suite import load_suite
from harness.transient import describe, is_transient

REPO = Path(__file__).resolve().parents[1]
# PYTHONFAULTHANDLER: a process that hangs is sent SIGABRT by `finish`, and prints every thread's
# stack before it dies, so a hang seen once (a loaded CI) says where it hung
BASE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "PYTHONFAULTHANDLER": "1",
}


def write_suite(folder: Path, n: int, *, hang: str | None = None, name: str = "faults") -> Path:
    """A suite of `n` small program cases (`c0`, `c1`, …); the case named `hang` gets "[hang]" in
    its query, which `HangsOnMarked` never answers."""
    lines = [f"suite: {name}", "cases:"]
    for i in range(n):
        marker = " [hang]" if f"c{i}" == hang else ""
        lines += [
            f"  - id: c{i}",
            f"    query: Write `f{i}() -> u32` returning {i}.{marker}",
            "    golden: |",
            f"      fn f{i}() -> u32 {{ {i} }}",
            "    kind: program",
        ]
    path = folder / f"{name}.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _as_a_terminal_starts_it() -> None:
    # A command a terminal starts in the foreground has Ctrl-C's default disposition. A test run
    # started in the background of a script (`… &` in a non-interactive shell) has SIGINT
    # ignored, and an ignored signal is inherited across exec: the run would never see the
    # Ctrl-C these tests send (Python, like any program, leaves an ignored SIGINT ignored).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **BASE_ENV, **(env or {})},
        start_new_session=True,
        preexec_fn=_as_a_terminal_starts_it,
    )


def finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str, str]:
    """Wait for the process (the bound of every test here); kill its group and fail if it hangs."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler (BASE_ENV) prints each thread's stack
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # its workers too
        pytest.fail(f"the process did not end within {timeout}s; its stacks then:\n{err[-8000:]}")
    return proc.returncode, out, err


def wait_until(check: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc.poll() is not None:
            pytest.fail(f"the process ended (exit {proc.returncode}) before {what}:\n{proc.stderr.read()}")
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail(f"no {what} within {timeout}s")


def run_folder(out: Path) -> Callable[[], Path | None]:
    def find() -> Path | None:
        folders = [p for p in out.iterdir() if (p / "run.json").is_file()] if out.is_dir() else []
        return folders[0] if folders else None

    return find


def results_at_least(out: Path, n: int) -> Callable[[], Path | None]:
    def check() -> Path | None:
        folder = run_folder(out)()
        return folder if folder and len(read_results(folder / "results.jsonl")) >= n else None

    return check


def raw_lines(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "results.jsonl").read_text().splitlines()]


# -- a run always ends --------------------------------------------------------------------------


def test_scripted_hung_sync_program_times_out_and_the_run_ends_with_its_reports(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, 3, hang="c1")
    out = tmp_path / "out"
    start = time.monotonic()
    proc = cli(
        "run", str(suite), "--program", "tests.programs_under_test:HangsOnMarked",
        "--case-timeout", "5", "--out", str(out), "--no-mlflow",
    )  # fmt: skip
    code, _, err = finish(proc, timeout=300)
    print(f"hung-case run ended in {time.monotonic() - start:.1f}s (case timeout 5 s)")
    assert code == 0, err  # no gates in this suite; the hung case is a verdict, not a fault
    folder = run_folder(out)()
    assert folder is not None
    by_case = {r.case: r for r in read_results(folder / "results.jsonl")}
    assert sorted(by_case) == ["c0", "c1", "c2"]
    hung = by_case["c1"]
    assert hung.status == "ok" and hung.score == 0.0 and hung.retries == 0  # a verdict, never retried
    assert hung.error == "the program did not answer within 5 s (--case-timeout)"
    assert all(by_case[c].error is None for c in ("c0", "c2"))
    assert (folder / "summary.json").is_file() and (folder / "report.html").is_file()
    assert "error: faults::c1: the program did not answer within 5 s" in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_scripted_interrupt_during_a_hang_ends_the_run_and_keeps_finished_cases(
    tmp_path: Path, signum: int
) -> None:
    suite = write_suite(tmp_path, 3, hang="c1")
    out = tmp_path / "out"
    proc = cli(
        "run", str(suite), "--program", "tests.programs_under_test:HangsOnMarked",
        "--case-timeout", "3600", "--out", str(out), "--no-mlflow",
    )  # fmt: skip
    folder = wait_until(results_at_least(out, 2), 300, "two finished cases", proc)
    sent = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # what a terminal's Ctrl-C does
    else:
        proc.send_signal(signum)  # what a CI runner cancelling a job does
    code, _, err = finish(proc, timeout=60)
    print(f"{signal.Signals(signum).name} to exit: {time.monotonic() - sent:.1f}s")
    assert code == 130, err
    assert f"continue with --resume {folder.name}" in err and "Traceback" not in err
    assert sorted(r.case for r in read_results(folder / "results.jsonl")) == ["c0", "c2"]


# -- one writer per run -------------------------------------------------------------------------


def test_scripted_two_concurrent_resumes_one_refuses_and_no_line_is_written_twice(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, 8)
    out = tmp_path / "out"
    common = ["--out", str(out), "--no-mlflow"]
    slow = {"CAIRO_EVALS_TEST_DELAY": "0.5"}
    first = cli(
        "run", str(suite), "--program", "tests.programs_under_test:SlowProse", "--concurrency", "1",
        *common, env=slow,
    )  # fmt: skip
    folder = wait_until(results_at_least(out, 1), 300, "a finished case", first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert 1 <= len(read_results(folder / "results.jsonl")) < 8

    a, b = (cli("run", "--resume", folder.name, *common, env=slow) for _ in range(2))
    (code_a, _, err_a), (code_b, _, err_b) = finish(a, 300), finish(b, 300)
    assert sorted([code_a, code_b]) == [0, 2], (err_a, err_b)
    writer, refusal = (a, err_b) if code_a == 0 else (b, err_a)
    assert f"run {folder.name} is being written by pid {writer.pid} on " in refusal
    assert "Traceback" not in refusal
    lines = raw_lines(folder)
    keys = [(x["suite"], x["case"], x["sample"]) for x in lines]
    assert len(keys) == len(set(keys)) == 8  # every case once: no duplicates


def test_duplicate_lines_are_ignored_with_a_warning_and_a_redone_fault_replaces_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "results.jsonl"
    log = ResultsLog(path)
    first = CaseResult("s", "a", 0.5, "", False, True)
    fault = CaseResult("s", "b", 0.0, "", False, False, status="error", fault="ConnectionRefusedError: …")
    redone = CaseResult("s", "b", 0.8, "", False, True)
    for r in (first, fault, CaseResult("s", "a", 0.9, "", True, True), redone):
        log.append(r)
    with caplog.at_level(logging.WARNING, logger="harness.runner"):
        got = read_results(path)
    assert [(r.case, r.score, r.status) for r in got] == [("a", 0.5, "ok"), ("b", 0.8, "ok")]
    assert "1 duplicate result line(s) ignored" in caplog.text and "s::a#0" in caplog.text


# -- errors are retried or redone, never frozen ---------------------------------------------------


def _answer_prose(request: object) -> str:
    return chat_adapter_reply(answer="no code today")


def _scripted_runner(tmp_path: Path, engine: ScriptedEngine, run_id: str | None = None, **opts) -> Runner:
    suite = load_suite(write_suite(tmp_path / "suite", 3))
    return Runner(
        RunOptions(
            program="tests.programs_under_test:AsyncCoder", lm="scripted", out=str(tmp_path / "out"),
            backoff=0.01, **opts,
        ),
        run_id=run_id,
        suites=[suite],
        lms={"scripted": engine.lm(num_retries=0)},
    )  # fmt: skip


@pytest.mark.parametrize(
    "make_error",
    [
        lambda: TimeoutError(),  # a builtin timeout with no message, raised inside a py: LM
        lambda: __import__("litellm").RateLimitError("slow down", llm_provider="openai", model="x"),
        lambda: ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=["builtin-timeout", "litellm-rate-limit", "connection-reset"],
)
def test_scripted_transient_errors_inside_an_lm_are_retried(tmp_path: Path, make_error: Callable) -> None:
    engine = ScriptedEngine(_answer_prose, fail_first=1, error=lambda key, attempt: make_error())
    result = asyncio.run(_scripted_runner(tmp_path, engine, retries=2).run())
    assert [(r.status, r.error, r.retries) for r in result.results] == [("ok", None, 1)] * 3


def test_scripted_faults_are_redone_by_resume_and_the_later_line_wins(tmp_path: Path) -> None:
    engine = ScriptedEngine(_answer_prose, fail_first=1, error=lambda key, attempt: TimeoutError())
    first = asyncio.run(_scripted_runner(tmp_path, engine, retries=0).run())
    assert all(r.status == "error" and r.score == 0.0 for r in first.results)
    assert {r.fault for r in first.results} == {
        "LMUnexpectedError from TimeoutError (no message) (still failing after 1 attempts)"
    }
    again = asyncio.run(_scripted_runner(tmp_path, engine, run_id=first.run_id, retries=0).run())
    assert [(r.case, r.status, r.error) for r in again.results] == [(f"c{i}", "ok", None) for i in range(3)]
    assert len(raw_lines(again.folder)) == 6  # append-only: the fault lines stay, superseded


def test_a_program_error_stays_a_verdict_and_is_not_redone(tmp_path: Path) -> None:
    engine = ScriptedEngine(_answer_prose, fail_first=5, error=lambda key, attempt: ValueError("bad request"))
    result = asyncio.run(_scripted_runner(tmp_path, engine, retries=3).run())
    for r in result.results:
        assert r.status == "ok" and r.retries == 0 and r.score == 0.0
        assert r.error.startswith("LMUnexpectedError from ValueError: ") and r.error.endswith("bad request")
    again = asyncio.run(_scripted_runner(tmp_path, engine, run_id=result.run_id).run())
    assert len(raw_lines(again.folder)) == 3  # nothing to redo


def test_transient_classification_walks_the_cause_chain() -> None:
    import asyncpg
    from dspy.utils.exceptions import LMConfigurationError, LMUnexpectedError

    def raised_from(cause: BaseException) -> BaseException:
        try:
            raise LMUnexpectedError(str(cause)) from cause
        except LMUnexpectedError as e:
            return e

    assert is_transient(raised_from(TimeoutError()))
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))
    assert is_transient(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert not is_transient(asyncpg.exceptions.UndefinedTableError("no table"))
    assert not is_transient(raised_from(ValueError("bad")))
    assert not is_transient(LMConfigurationError("no key"))
    assert not is_transient(CaseTimeout("the program did not answer"))
    assert describe(TimeoutError()) == "TimeoutError (no message)"  # never an empty text


def test_postgres_killed_mid_run_then_resume_redoes_every_affected_case(tmp_path: Path) -> None:
    """The reference RAG pipeline on its own embedded pgserver (under this test's cache dir),
    scripted LM. Postgres is killed with SIGKILL halfway: the cases that needed it are harness
    faults (exit 2), and `--resume` (which starts Postgres again) redoes exactly those."""
    cache = tmp_path / "cache"
    pgdata = cache / "pgdata"
    env = {"CAIRO_EVALS_CACHE_DIR": str(cache), "CAIRO_EVALS_TEST_DELAY": "0.3"}
    out = tmp_path / "out"
    suite = write_suite(tmp_path, 10)
    first = cli(
        "run", str(suite), "--program", "harness.rag:RagPipeline",
        "--lm", "py:tests.programs_under_test:rag_scripted_lm", "--concurrency", "2", "--retries", "1",
        "--out", str(out), "--no-mlflow", env=env,
    )  # fmt: skip
    try:
        folder = wait_until(results_at_least(out, 2), 600, "two finished cases", first)
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        code, _, err = finish(first, timeout=600)
        assert code == 2, err
        assert f"cairo-evals run --resume {folder.name}" in err and "Traceback" not in err
        before = read_results(folder / "results.jsonl")
        faults = {r.case for r in before if r.status == "error"}
        assert faults, "no case hit the dead database"
        assert all("still failing after 2 attempts" in r.fault for r in before if r.status == "error")

        resumed = cli(
            "run",
            "--resume",
            folder.name,
            "--out",
            str(out),
            "--no-mlflow",
            env={**env, "CAIRO_EVALS_TEST_DELAY": "0"},
        )
        code, _, err = finish(resumed, timeout=600)
        assert code == 0, err
        after = {r.case: r for r in read_results(folder / "results.jsonl")}
        assert sorted(after) == [f"c{i}" for i in range(10)]
        for r in after.values():  # every case a true verdict, retrieval included
            assert r.status == "ok" and r.error is None and r.extra["sources"], r
        redone = [x["case"] for x in raw_lines(folder)[len(before) :]]
        assert sorted(redone) == sorted(faults)  # exactly the faults were redone
        print(
            f"Postgres killed: {len(faults)} of 10 cases were faults; resume redid {len(redone)}, all scored"
        )
    finally:
        for proc in (first,):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert not _postmaster_alive(pgdata)  # the resumed run stopped the Postgres it started


def _postmaster_alive(pgdata: Path) -> bool:
    import psutil

    pid_file = pgdata / "postmaster.pid"
    if not pid_file.is_file():
        return False
    pid = int(pid_file.read_text().split()[0])
    return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


# -- environment faults: one clear line, exit 2 -------------------------------------------------


def test_a_model_without_its_api_key_fails_before_any_case_runs(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, 2)
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(suite), "--lm", "openai/gpt-4o-mini",
         "--program", "tests.programs_under_test:AsyncCoder", "--out", str(tmp_path / "out"), "--no-mlflow"],
        cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**env, **BASE_ENV},
    )  # fmt: skip
    code, _, err = finish(proc, timeout=300)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("error: --lm openai/gpt-4o-mini")
    assert "OPENAI_API_KEY is not set" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


def test_a_program_that_does_not_take_query_fails_before_any_case_runs(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, 2)
    proc = cli("run", str(suite), "--program", "tests.programs_under_test:AsksQuestion", "--lm",
               "py:harness.demo:program_lm", "--out", str(tmp_path / "out"), "--no-mlflow")  # fmt: skip
    code, _, err = finish(proc, timeout=300)
    assert code == 2, err
    assert "AsksQuestion.forward(question) does not accept query= and requires question" in err
    assert not (tmp_path / "out").exists()


def test_an_unwritable_out_is_one_line_and_exit_2(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, 2)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = cli("run", str(suite), "--program", "empty", "--out", str(blocker / "reports"), "--no-mlflow")
    code, _, err = finish(proc, timeout=300)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: cannot write {blocker / 'reports'}") and line.endswith(
        ": Not a directory"
    )


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs we can turn read-only (needs root and mount rights; skipped without)."""
    where = tmp_path / "tmpfs"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_scripted_out_turning_read_only_mid_run_stops_with_one_line_then_resume_finishes(
    tmp_path: Path, tmpfs: Path
) -> None:
    suite = write_suite(tmp_path, 12)
    common = ["--out", str(tmpfs), "--no-mlflow"]
    slow = {"CAIRO_EVALS_TEST_DELAY": "0.5"}
    proc = cli("run", str(suite), "--program", "tests.programs_under_test:SlowProse", "--concurrency", "2",
               *common, env=slow)  # fmt: skip
    folder = wait_until(results_at_least(tmpfs, 2), 300, "two finished cases", proc)
    for _ in range(50):  # an append may hold the file open for a moment: retry the remount
        if subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True).returncode == 0:
            break
        time.sleep(0.05)
    else:
        pytest.fail("could not remount read-only")
    code, _, err = finish(proc, timeout=300)
    subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert code == 2
    assert "Traceback" not in err
    (error,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Read-only file system" in error and f"--resume {folder.name}" in error
    kept = len(read_results(folder / "results.jsonl"))
    assert 2 <= kept < 12

    resumed = cli("run", "--resume", folder.name, *common)
    code, _, err = finish(resumed, timeout=300)
    assert code == 0, err
    assert sorted(r.case for r in read_results(folder / "results.jsonl")) == sorted(
        f"c{i}" for i in range(12)
    )


def test_scripted_demo_lm_on_an_unknown_suite_says_what_it_covers(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "suite", 1))
    runner = Runner(
        RunOptions(program="tests.programs_under_test:AsyncCoder", lm="py:harness.demo:program_lm",
                   out=str(tmp_path / "out")),
        suites=[suite],
    )  # fmt: skip
    (r,) = asyncio.run(runner.run()).results
    assert r.status == "ok" and r.retries == 0  # a configuration problem: not retried, not a fault
    assert (
        r.error.startswith("NotADemoCase: ") and "py:harness.demo:program_lm is the scripted demo" in r.error
    )
    assert "starter suites" in r.error and "Scripting an LM for your own suite" in r.error


# -- MLflow cannot lose or stall a run ------------------------------------------------------------


def test_three_parallel_runs_on_a_fresh_mlflow_store_are_all_logged(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'store' / 'mlruns.db'}"
    suites = [write_suite(tmp_path / f"s{i}", 2, name=f"suite-{i}") for i in range(3)]
    procs = [
        cli("run", str(s), "--program", "empty", "--out", str(tmp_path / "out"), "--mlflow-uri", uri)
        for s in suites
    ]
    for proc in procs:
        code, _, err = finish(proc, timeout=600)
        assert code == 0 and "logged to MLflow as run" in err, err
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert sorted(r.data.tags["cairo_evals.suite"] for r in runs) == ["suite-0", "suite-1", "suite-2"]


class _Failing(BaseHTTPRequestHandler):
    """A tracking server that answers 503, everywhere or only on the API (`api_only`)."""

    requests: list[str]
    api_only = False

    def _answer(self) -> None:
        self.requests.append(self.path)
        healthy = self.api_only and not self.path.startswith("/api/")
        self.send_response(200 if healthy else 503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}" if healthy else b'{"error_code": "TEMPORARILY_UNAVAILABLE"}')

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("api_only", [False, True], ids=["503-everywhere", "503-on-the-api"])
def test_a_tracking_server_answering_503_fails_fast_and_the_run_is_logged_later(
    tmp_path: Path, api_only: bool
) -> None:
    handler = type("Handler", (_Failing,), {"requests": [], "api_only": api_only})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        suite = write_suite(tmp_path, 2)
        out = tmp_path / "out"
        uri = f"http://127.0.0.1:{server.server_address[1]}"
        start = time.monotonic()
        proc = cli("run", str(suite), "--program", "empty", "--out", str(out), "--mlflow-uri", uri)
        code, _, err = finish(proc, timeout=600)
        print(
            f"with a 503 tracking server: {time.monotonic() - start:.1f}s, {len(handler.requests)} requests"
        )
    finally:
        server.shutdown()
    assert code == 0, err  # the run's own verdict: MLflow never fails a run
    assert "MLflow logging failed" in err and "cairo-evals log" in err
    assert len(handler.requests) <= 8  # bounded retries, not minutes of them
    folder = run_folder(out)()
    assert folder is not None and (folder / "results.jsonl").is_file() and (folder / "report.html").is_file()

    store = f"sqlite:///{tmp_path / 'later' / 'mlruns.db'}"
    code, printed, err = finish(
        cli("log", folder.name, "--out", str(out), "--mlflow-uri", store), timeout=600
    )
    assert code == 0, err
    assert f"run {folder.name} is in MLflow" in printed


# -- the tests clean up after themselves ----------------------------------------------------------


def test_a_postgres_whose_starter_was_killed_is_found_and_stopped(tmp_path: Path) -> None:
    """What the session's end and the CI step do: a process started the embedded PostgreSQL and
    was killed with -9 (pgserver then never stops it); the marker finds it, and it is stopped."""
    from tests.leftovers import MARKER, marked, stop_postgres

    marker = f"test-{os.getpid()}-{time.monotonic_ns()}"
    starter = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from harness.rag.db import Database; "
         "print(Database(pgdata=sys.argv[1]).dsn(), flush=True); time.sleep(600)", str(tmp_path / "pgdata")],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, MARKER: marker},
    )  # fmt: skip
    try:
        assert starter.stdout is not None and "postgresql://" in starter.stdout.readline()
    finally:
        starter.kill()
        starter.wait()
    assert [p.name() for p in marked(marker, ("postgres",))] == ["postgres"]  # the postmaster
    check = [sys.executable, "-m", "tests.leftovers", marker, "1"]
    found = subprocess.run(check, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert found.returncode == 1 and "left running by the tests" in found.stdout
    assert stop_postgres(marker) == [str(tmp_path / "pgdata")]
    assert subprocess.run(check, cwd=REPO, capture_output=True, timeout=120).returncode == 0
    assert not _postmaster_alive(tmp_path / "pgdata")
