"""The live-model path over real HTTP, against a stand-in OpenAI-compatible server on 127.0.0.1.

No model's weights exist here, so `tests/openai_stand_in.py` plays the server: real HTTP, the
OpenAI wire format, realistic `usage`, answers from each test's script. The harness reaches it
exactly as a user's configuration would (`--lm 'openai/<model>?api_base=…&api_key_env=…'`),
through both of DSPy 3.4's clients: its own `lm15` (what `engine="auto"` picks for these
requests) and LiteLLM (`--lm-engine litellm`). Every test name says "stand-in".

Cases are small Cairo programs (`f3() -> u32` returning 3) scored by the real native compiler;
a "wrong" answer does not compile.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.lm import chat_adapter_reply
from harness.runner import Runner, RunOptions, read_results
from tests.openai_stand_in import API_KEY, Call, Drop, Fail, OpenAIStandIn, Raw, Slow
from tests.test_rag import fresh_dsn, server  # noqa: F401 (the session's pgserver fixtures)

pytestmark = pytest.mark.native  # answers are scored by the native compiler, for real
REPO = Path(__file__).resolve().parents[1]
KEY_VAR = "STAND_IN_API_KEY"
QUERY = re.compile(r"Write `f(\d+)\(\) -> u32` returning (\d+)\.")
ENGINES = ["lm15", "litellm"]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(KEY_VAR, API_KEY)
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(var, raising=False)


def write_suite(folder: Path, n: int, name: str = "live", extra: str = "") -> Path:
    lines = [f"suite: {name}", *([extra] if extra else []), "cases:"]
    for i in range(n):
        lines += [
            f"  - id: c{i}",
            f"    query: Write `f{i}() -> u32` returning {i}.",
            "    golden: |",
            f"      fn f{i}() -> u32 {{ {i} }}",
            "    kind: program",
            f"    split: {['train', 'val', 'test'][i % 3]}",
        ]
    path = folder / f"{name}.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def golden(i: int) -> str:
    return chat_adapter_reply(answer=f"```cairo\nfn f{i}() -> u32 {{ {i} }}\n```")


def wrong(i: int) -> str:
    return chat_adapter_reply(answer=f"```cairo\nfn f{i}() -> u32 {{ let x: felt252 = ; }}\n```")


def case_of(call: Call) -> int | None:
    found = QUERY.search(call.last_user)
    return int(found.group(1)) if found else None


LESSON = "Always return the number the query names."


def learner(refusals: dict[int, str] | None = None) -> Callable[[Call], Any]:
    """The stand-in's script for an optimizer: the reflector proposes an instruction carrying
    `LESSON`; the student answers a case's golden once its prompt carries the lesson, a wrong
    answer before, and for a case in `refusals` that text (no answer field DSPy can parse)."""

    def script(call: Call) -> Any:
        if call.model == "reflector":
            reply = {"new_instruction": f"Answer with one cairo block. {LESSON}"}
            return json.dumps(reply) if "JSON object" in call.prompt else chat_adapter_reply(**reply)
        i = case_of(call)
        assert i is not None, call.last_user
        if refusals and i in refusals:
            return refusals[i]
        return golden(i) if LESSON in call.prompt else wrong(i)

    return script


def coder(wrong_cases: set[int] = frozenset(), judge_score: str = "0.9") -> Callable[[Call], Any]:
    """The stand-in's script: the judge's requests get a score; the program's get the case's
    golden, or a wrong answer for `wrong_cases`."""

    def script(call: Call) -> Any:
        if "Review Cairo code" in call.prompt:
            return chat_adapter_reply(score=judge_score, feedback="looks like the golden reference")
        i = case_of(call)
        assert i is not None, call.last_user
        return wrong(i) if i in wrong_cases else golden(i)

    return script


def spec(srv: OpenAIStandIn, model: str = "openai/test", **settings: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in settings.items())
    return f"{model}?api_base={srv.base_url}&api_key_env={KEY_VAR}{extra}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def results(out: Path) -> list[Any]:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return read_results(folder / "results.jsonl")


@pytest.fixture
def stand_in() -> Iterator[Callable[..., OpenAIStandIn]]:
    servers: list[OpenAIStandIn] = []

    def start(script: Callable[[Call], Any], **kw: Any) -> OpenAIStandIn:
        srv = OpenAIStandIn(script, **kw).__enter__()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


# -- run ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_run_against_the_stand_in_scores_goldens_and_wrong_answers_and_counts_its_tokens(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """Goldens pass, wrong answers fail; the judge's replies are parsed, capped and recorded; the
    tokens in results.jsonl are the server's own count, the program's cost is the client's price
    for gpt-4o-mini and the judge's the `price=` set for it."""
    srv = stand_in(coder(wrong_cases={1, 3}))
    suite = write_suite(tmp_path, 4)
    out = tmp_path / "out"
    _, _, err = run(
        capsys, str(suite), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", spec(srv, "openai/gpt-4o-mini"),
        "--judge-lm", spec(srv, "openai/judge", price="1/2"),
        "--lm-engine", engine, "--out", str(out), "--no-mlflow", "--allow-errors",
    )  # fmt: skip
    rows = {r.case: r for r in results(out)}
    assert [rows[f"c{i}"].passed for i in range(4)] == [True, False, True, False], err
    assert all(r.status == "ok" and r.error is None for r in rows.values())
    for i in (0, 2):
        assert rows[f"c{i}"].judgement["samples"] == [0.9] and rows[f"c{i}"].judge_score == 0.9
        assert rows[f"c{i}"].judgement["judge"] == "openai/judge"
    for i in (1, 3):  # does not compile: the judge's 0.9 is capped at 0.5
        assert rows[f"c{i}"].judge_score == 0.5 and rows[f"c{i}"].judgement["clamped"] == 1
    # Both clients really went over HTTP, each saying who it is.
    agents = {c.headers.get("user-agent", "") for c in srv.chat_calls()}
    assert (
        all(a.startswith("lm15/") for a in agents)
        if engine == "lm15"
        else not any(a.startswith("lm15/") for a in agents)
    ), agents
    # Tokens: the sum over the cases is what the server served, program and judge.
    assert sum(r.tokens for r in rows.values()) == srv.total_tokens > 0
    program, judge = srv.usage_by_model["gpt-4o-mini"], srv.usage_by_model["judge"]
    expected = (program[0] * 0.15 + program[1] * 0.6) / 1e6 + (judge[0] * 1 + judge[1] * 2) / 1e6
    assert sum(r.cost for r in rows.values()) == pytest.approx(expected, rel=1e-3, abs=2e-6)
    print(
        f"[{engine}] srv: {srv.prompt_tokens}+{srv.completion_tokens} tokens in "
        f"{len(srv.chat_calls())} calls; results.jsonl: {sum(r.tokens for r in rows.values())} tokens, "
        f"${sum(r.cost for r in rows.values()):.6f} (expected ${expected:.6f})"
    )


def runner_for(suite: Path, out: Path, lm: str | None, **opts: Any) -> Runner:
    opts.setdefault("program", "tests.programs_under_test:AsyncCoder")
    return Runner(RunOptions(suites=(str(suite),), lm=lm, out=str(out), **opts))


def run_in_process(suite: Path, out: Path, lm: str | None, **opts: Any) -> list[Any]:
    runner = runner_for(suite, out, lm, **opts)
    result = asyncio.run(runner.run())
    return list(result.results)


def first_then(*replies: Any, then: Callable[[Call], Any] | None = None) -> Callable[[Call], Any]:
    """Each distinct request gets `replies` in turn on its first attempts, then `then`."""
    then = then or coder()

    def script(call: Call) -> Any:
        return replies[call.attempt - 1] if call.attempt <= len(replies) else then(call)

    return script


# -- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_429_with_retry_after_from_the_stand_in_is_retried_scored_and_counted(
    engine: str, tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    busy = Fail(429, "slow down", {"Retry-After": "1"})
    srv = stand_in(first_then(busy))
    rows = run_in_process(write_suite(tmp_path, 1), tmp_path / "out", spec(srv, engine=engine))
    (row,) = rows
    assert row.status == "ok" and row.passed and row.retries == 1, row
    assert [s for s in srv.statuses] == [429, 200]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "failure", [Fail(500, "boom"), Fail(503, "overloaded"), Drop()], ids=["500", "503", "dropped"]
)
def test_stand_in_server_errors_are_retried_then_a_harness_fault_not_a_verdict(
    engine: str, failure: Any, tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(lambda call: failure)
    rows = run_in_process(
        write_suite(tmp_path, 1), tmp_path / "out", spec(srv, engine=engine), retries=2, backoff=0.05
    )
    (row,) = rows
    assert row.status == "error" and row.error is None and row.retries == 2, row
    assert "harness fault" in row.feedback and "still failing after 3 attempts" in row.fault
    assert len(srv.chat_calls()) >= 3  # the client may add its own transport retries


@pytest.mark.parametrize("engine", ENGINES)
def test_stand_in_server_errors_then_success_are_scored(
    engine: str, tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(first_then(Fail(500), Drop(), Fail(503)))
    rows = run_in_process(
        write_suite(tmp_path, 1), tmp_path / "out", spec(srv, engine=engine), retries=3, backoff=0.05
    )
    (row,) = rows
    assert row.status == "ok" and row.passed and row.retries == 3, row


@pytest.mark.parametrize("engine", ENGINES)
def test_a_key_the_stand_in_refuses_stops_the_run_before_any_case_naming_the_variable(
    engine: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[..., OpenAIStandIn],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    srv = stand_in(coder())
    monkeypatch.setenv(KEY_VAR, "sk-wrong-key-987")
    out = tmp_path / "out"
    code, _, err = run(
        capsys, str(write_suite(tmp_path, 2)), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", spec(srv), "--lm-engine", engine, "--out", str(out), "--no-mlflow",
    )  # fmt: skip
    assert code == 2
    assert KEY_VAR in err and "HTTP 401" in err and "sk-wrong-key-987" not in err
    assert srv.chat_calls() == [] and not out.exists()  # no case ran, nothing was written


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "reply",
    [
        Raw(b"<html>502 Bad Gateway</html>", 200, "text/html"),
        Raw(b'{"id": "x", "object": "chat.completion", "choices": []}'),
    ],
    ids=["not-json", "no-choices"],
)
def test_a_malformed_stand_in_reply_is_a_clear_error_naming_the_case(
    engine: str, reply: Raw, tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(lambda call: reply)
    rows = run_in_process(
        write_suite(tmp_path, 2), tmp_path / "out", spec(srv, engine=engine), retries=1, backoff=0.05
    )
    assert {r.case for r in rows} == {"c0", "c1"}
    for row in rows:  # not the model's answer: no verdict, a fault after the retries
        assert row.status == "error" and row.retries == 1 and row.score == 0, row
        if b"html" in reply.body:  # the body is quoted; LiteLLM calls it a server error
            assert "502 Bad Gateway" in row.fault and "still failing after 2 attempts" in row.fault, row
        else:
            assert (
                f"MalformedReply: [openai/test] case live::{row.case}: the reply had no choices" in row.fault
            )
    print(rows[0].fault)


def test_a_slow_stand_in_reply_past_the_case_timeout_is_a_timeout(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(lambda call: Slow(3.0, golden(0)))
    (row,) = run_in_process(write_suite(tmp_path, 1), tmp_path / "out", spec(srv), case_timeout=0.5)
    assert row.score == 0 and "did not answer within 0.5 s (--case-timeout)" in row.error, row


# -- repeated runs, record then replay, the key ---------------------------------------------------


def test_a_repeated_run_asks_the_stand_in_again_and_counts_what_it_served(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """A run samples the model afresh (DSPy's on-disk cache is off in runs): the second run reaches
    the server again, and its tokens and cost are what the server served that time, not 0 and not
    the first run's."""
    srv = stand_in(coder())
    suite = write_suite(tmp_path, 3)
    lm = spec(srv, "openai/gpt-4o-mini")
    first = run_in_process(suite, tmp_path / "a", lm)
    served_first = srv.total_tokens
    second = run_in_process(suite, tmp_path / "b", lm)
    assert len(srv.chat_calls()) == 6
    assert sum(r.tokens for r in first) == served_first > 0
    assert sum(r.tokens for r in second) == srv.total_tokens - served_first == served_first
    assert sum(r.cost for r in second) == pytest.approx(sum(r.cost for r in first)) and second[0].cost > 0


def test_record_from_the_stand_in_then_replay_offline_gives_identical_scores_and_the_key_is_nowhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """`--lm record:<model>` against the server, logged to MLflow; then `--lm replay:` of its
    recording with the server stopped: the same scores. The API key is in no file the runs wrote:
    results, run.json, the recording, the reports, the MLflow store and its artifacts."""
    srv = stand_in(coder(wrong_cases={1}))
    suite = write_suite(tmp_path, 3)
    store = tmp_path / "mlflow"
    store.mkdir()
    uri = f"sqlite:///{store}/mlruns.db"
    code, _, err = run(
        capsys, str(suite), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", "record:" + spec(srv), "--out", str(tmp_path / "live"), "--mlflow-uri", uri,
        "--run-id", "live-1", "--allow-errors",
    )  # fmt: skip
    assert code in (0, 1), err
    recording = tmp_path / "live" / "live-1" / "recordings" / "live.jsonl"
    assert recording.is_file()
    calls, served = len(srv.chat_calls()), srv.total_tokens
    srv.stop()
    import mlflow

    (logged,) = mlflow.MlflowClient(uri).search_runs(
        [mlflow.MlflowClient(uri).get_experiment_by_name("live").experiment_id]
    )
    assert logged.data.metrics["tokens"] == served  # MLflow holds the server's own count
    assert logged.data.metrics["cost"] == pytest.approx(sum(r.cost for r in results(tmp_path / "live")))
    code, _, err = run(
        capsys, str(suite), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", f"replay:{recording}", "--out", str(tmp_path / "replayed"), "--no-mlflow", "--allow-errors",
    )  # fmt: skip
    live, replayed = results(tmp_path / "live"), results(tmp_path / "replayed")
    assert calls == 3 and len(replayed) == 3
    assert {r.case: (r.score, r.passed) for r in live} == {r.case: (r.score, r.passed) for r in replayed}
    assert [r.passed for r in sorted(live, key=lambda r: r.case)] == [True, False, True]
    assert {r.case: r.tokens for r in live} == {r.case: r.tokens for r in replayed}
    leaks = [p for p in tmp_path.rglob("*") if p.is_file() and API_KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert KEY_VAR in (tmp_path / "live" / "live-1" / "run.json").read_text()  # the variable's name is
    assert API_KEY not in err


# -- concurrency and rate limits ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrency_8_against_a_stand_in_allowing_4_scores_every_case_and_reports_retries(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(lambda call: Slow(0.3, coder()(call)), max_concurrent=4)
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys, str(write_suite(tmp_path, 12)), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", spec(srv), "--lm-engine", engine, "--concurrency", "8", "--retries", "8",
        "--out", str(out), "--no-mlflow",
    )  # fmt: skip
    rows = results(out)
    assert code == 0, err
    assert len(rows) == 12 and all(r.status == "ok" and r.passed for r in rows)
    assert srv.rejected_busy > 0 and srv.peak_concurrent <= 4
    assert sum(r.retries for r in rows) == srv.rejected_busy
    assert f"retries {srv.rejected_busy}" in stdout + err  # the summary says how many
    print(f"[{engine}] 12 cases, 8 in flight, srv allows 4: {srv.rejected_busy} x 429, all scored")


def test_lm_concurrency_keeps_a_run_under_the_stand_in_limit_without_retries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(lambda call: Slow(0.2, coder()(call)), max_concurrent=4)
    out = tmp_path / "out"
    code, _, err = run(
        capsys, str(write_suite(tmp_path, 10)), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", spec(srv), "--concurrency", "8", "--lm-concurrency", "4", "--out", str(out), "--no-mlflow",
    )  # fmt: skip
    rows = results(out)
    assert code == 0, err
    assert len(rows) == 10 and all(r.passed and r.retries == 0 for r in rows)
    assert srv.rejected_busy == 0 and srv.peak_concurrent == 4


def test_a_suite_rate_limit_spaces_the_requests_the_stand_in_receives(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """`rps: 4` in the suite's `lm:`: the server sees the requests at most 4 a second (arrival
    times are the server's own; the bound is checked with room for scheduling jitter)."""
    srv = stand_in(coder())
    extra = "\n".join(
        [
            "lm:",
            "  model: openai/test",
            f"  api_base: {srv.base_url}",
            f"  api_key_env: {KEY_VAR}",
            "  rps: 4",
        ]
    )
    suite = write_suite(tmp_path, 6, extra=extra)
    rows = run_in_process(suite, tmp_path / "out", None, concurrency=6)
    assert len(rows) == 6 and all(r.passed for r in rows)
    arrivals = sorted(srv.arrivals)
    assert len(arrivals) == 6
    assert arrivals[-1] - arrivals[0] >= 5 / 4 * 0.8  # 6 starts at 4/s span at least 1.25 s


# -- one configuration per LM ---------------------------------------------------------------------


def test_program_and_judge_on_two_stand_ins_each_with_its_own_key_and_headers(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team's program on its own server (a `hosted_vllm/` model, an extra header whose value comes
    from the environment) and the judge on another, each configured in the suite's `lm:` and
    `judge:` mappings with its own key variable: each server gets only its LM's calls and key."""
    monkeypatch.setenv("JUDGE_KEY", "sk-judge-key-555")
    monkeypatch.setenv("TEAM_TOKEN", "team-token-42")
    program_server = stand_in(coder())
    judge_server = stand_in(coder(judge_score="0.7"), api_key="sk-judge-key-555")
    extra = "\n".join(
        [
            "lm:",
            "  model: hosted_vllm/qwen2.5-coder",
            f"  api_base: {program_server.base_url}",
            f"  api_key_env: {KEY_VAR}",
            "  headers: {X-Team: evals, X-Token: '${TEAM_TOKEN}'}",
            "judge:",
            "  model: openai/judge",
            f"  api_base: {judge_server.base_url}",
            "  api_key_env: JUDGE_KEY",
            "  engine: lm15",
            "  price: {input: 3, output: 15}",
        ]
    )
    suite = write_suite(tmp_path, 2, extra=extra)
    rows = run_in_process(suite, tmp_path / "out", None)
    assert all(r.passed and r.judge_score == 0.7 for r in rows), rows
    assert {c.model for c in program_server.chat_calls()} == {"qwen2.5-coder"}
    assert {c.model for c in judge_server.chat_calls()} == {"judge"}
    assert len(program_server.chat_calls()) == len(judge_server.chat_calls()) == 2
    for call in program_server.chat_calls():  # headers need LiteLLM: auto chose it
        assert call.headers["x-team"] == "evals" and call.headers["x-token"] == "team-token-42"
    assert all(c.headers["user-agent"].startswith("lm15/") for c in judge_server.chat_calls())
    judge_tokens = judge_server.usage_by_model["judge"]
    assert sum(r.cost for r in rows) == pytest.approx((judge_tokens[0] * 3 + judge_tokens[1] * 15) / 1e6)
    run_json = (next((tmp_path / "out").iterdir()) / "run.json").read_text()
    assert "team-token-42" not in run_json and "sk-judge-key-555" not in run_json


@pytest.mark.parametrize(
    "spec_text, message",
    [
        ("openai/x?api_key=sk-123", "unknown setting 'api_key'"),
        ("openai/x?api_key_env=sk-live-123-abc", "not a variable name"),
        ("openai/x?engine=fast", "engine='fast'; expected one of auto, lm15, litellm"),
        ("openai/x?price=0.1", "expected IN/OUT in USD per million tokens"),
        ("openai/x?rps=0", "rps must be above 0"),
        ("openai/x?engine=lm15&header.X-A=b", "extra headers need LiteLLM"),
    ],
)
def test_bad_endpoint_settings_are_refused_before_any_case_naming_the_setting(
    spec_text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, str(write_suite(tmp_path, 1)), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", spec_text, "--out", str(tmp_path / "out"), "--no-mlflow",
    )  # fmt: skip
    assert code == 2 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_missing_key_variable_fails_before_any_case_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    srv = stand_in(coder())
    lm = f"openai/test?api_base={srv.base_url}&api_key_env=NO_SUCH_KEY_VAR"
    code, _, err = run(
        capsys, str(write_suite(tmp_path, 1)), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", lm, "--out", str(tmp_path / "out"), "--no-mlflow",
    )  # fmt: skip
    assert code == 2 and "NO_SUCH_KEY_VAR is not set" in err, err
    assert srv.calls == []


def test_pinned_to_lm15_a_run_against_the_stand_in_never_imports_litellm(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """With `--lm-engine lm15` a team can keep LiteLLM out: here an import of it fails outright."""
    srv = stand_in(coder())
    blocker = tmp_path / "blocked"
    (blocker / "litellm").mkdir(parents=True)
    (blocker / "litellm" / "__init__.py").write_text("raise ImportError('litellm is blocked in this test')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{REPO}", KEY_VAR: API_KEY}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(write_suite(tmp_path, 2)),
         "--program", "tests.programs_under_test:AsyncCoder", "--lm", spec(srv, "openai/gpt-4o-mini"),
         "--judge-lm", spec(srv, "openai/judge"), "--lm-engine", "lm15",
         "--out", str(tmp_path / "out"), "--no-mlflow"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert all(r.passed for r in results(tmp_path / "out"))
    assert len(srv.chat_calls()) == 4
    assert "litellm is blocked" not in proc.stderr


# -- optimize -------------------------------------------------------------------------------------


def test_gepa_over_http_with_program_and_reflection_on_the_stand_in_never_sees_the_test_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """`optimize` with the program LM and GEPA's reflection LM both on the server, a small budget:
    it runs and logs; the student is asked about train and val cases only until the optimizer is
    done (the test split is asked only in the baseline and optimized evaluations after it); the
    instruction the reflector wrote reaches the student."""
    srv = stand_in(learner())
    suite = write_suite(tmp_path, 6)  # train c0 c3, val c1 c4, test c2 c5
    uri = f"sqlite:///{tmp_path}/mlruns.db"
    capsys.readouterr()
    code = main(
        ["optimize", str(suite), "--program", "tests.programs_under_test:AsyncCoder",
         "--lm", spec(srv, "openai/student"), "--reflection-lm", spec(srv, "openai/reflector"),
         "--max-metric-calls", "8", "--threads", "2", "--out", str(tmp_path / "out"), "--mlflow-uri", uri]
    )  # fmt: skip
    _, err = capsys.readouterr()
    assert srv.script_errors == []
    assert code == 0, err
    calls = srv.chat_calls()
    reflections = [n for n, c in enumerate(calls) if c.model == "reflector"]
    asked_test = [n for n, c in enumerate(calls) if c.model == "student" and case_of(c) in (2, 5)]
    assert reflections and asked_test
    assert min(asked_test) > max(reflections)  # the test split only after the optimizer finished
    (folder,) = [p for p in (tmp_path / "out").iterdir() if (p / "optimize.json").is_file()]
    assert LESSON in (folder / "program.json").read_text()
    optimized = read_results(tmp_path / "out" / f"{folder.name}-optimized" / "results.jsonl")
    assert {r.case for r in optimized} == {"c2", "c5"} and all(r.passed for r in optimized)
    import mlflow

    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("live").experiment_id])
    top = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(top) == 3  # the optimizer run and the two test-split runs
    assert len(runs) > len(top)  # the candidates GEPA evaluated, nested under the optimizer run
    leaks = [p for p in tmp_path.rglob("*") if p.is_file() and API_KEY.encode() in p.read_bytes()]
    assert leaks == []  # not in program.json, optimizer.json, the runs or MLflow


# -- the RAG pipeline with embeddings over HTTP ---------------------------------------------------


def rag_script(call: Call) -> Any:
    """The reference pipeline's three predictors, as a model would answer them."""
    from harness.demo import _section

    text = call.prompt
    if "search_terms" in text and "resources" in text and "[[ ## context ## ]]" not in text:
        return chat_adapter_reply(search_terms='["storage", "felt252"]', resources="[]")
    if "[[ ## scores ## ]]" in text or "`scores`" in text:
        docs, _ = json.JSONDecoder().raw_decode(_section(text, "documents"))
        return chat_adapter_reply(scores=json.dumps([0.9] * len(docs)))
    return golden(case_of(call) or 0)


def embedding_inputs(srv: OpenAIStandIn) -> list[str]:
    out: list[str] = []
    for call in srv.calls:
        if call.path.endswith("/embeddings"):
            given = call.body["input"]
            out += [given] if isinstance(given, str) else list(given)
    return out


def test_rag_pipeline_with_the_litellm_embedder_over_the_stand_in_ingests_then_retrieves(
    fresh_dsn: str,  # noqa: F811 (the pgserver fixture imported above)
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[..., OpenAIStandIn],
) -> None:
    """`cairo-evals ingest --embedder` embeds the corpus through `/v1/embeddings`; the pipeline
    then embeds each query there and answers with the chat model, both on the stand-in. A corpus
    built at one dimension refuses an embedder of another, with a clear error."""
    from harness.lm import make_lm
    from harness.rag import Database, RagPipeline, SchemaMismatch, load_chunks

    srv = stand_in(rag_script, embed_dim=64)
    embedder = spec(srv, "openai/embed-stand-in", **{"header.X-Team": "evals"})
    assert main(["ingest", "--dsn", fresh_dsn, "--embedder", embedder]) == 0
    assert f"{len(load_chunks())} new" in capsys.readouterr().out
    assert len(embedding_inputs(srv)) == len(load_chunks()) + 1  # every chunk, and the dimension probe
    assert all(c.headers["x-team"] == "evals" for c in srv.calls if c.path.endswith("/embeddings"))

    async def ask(embed_spec: str) -> Any:
        pipeline = RagPipeline(db=Database(fresh_dsn), embedder=embed_spec)
        try:
            lm = make_lm(spec(srv), cache=False)
            import dspy

            with dspy.context(lm=lm):
                return await pipeline.acall(query="Write `f3() -> u32` returning 3.")
        finally:
            await pipeline.aclose()

    before = len(embedding_inputs(srv))
    answer = asyncio.run(ask(embedder))
    assert "fn f3() -> u32 { 3 }" in answer.answer and answer.sources
    assert "Write `f3() -> u32` returning 3." in " ".join(embedding_inputs(srv)[before:])

    other = stand_in(rag_script, embed_dim=32)
    narrow = spec(other, "openai/embed-stand-in")
    with pytest.raises(SchemaMismatch, match=r"dimension 64.*dimension 32"):
        asyncio.run(ask(narrow))
    assert main(["ingest", "--dsn", fresh_dsn, "--embedder", narrow]) == 2
    err = capsys.readouterr().err
    assert "dimension 64" in err and "dimension 32" in err and "--reset" in err


def test_lm_concurrency_also_bounds_a_sync_program_in_threads_against_the_stand_in(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """A sync-only program calls its LM from worker threads: the same limit holds there."""
    srv = stand_in(lambda call: Slow(0.2, coder()(call)), max_concurrent=2)
    rows = run_in_process(
        write_suite(tmp_path, 6),
        tmp_path / "out",
        spec(srv, concurrency="2"),
        program="tests.programs_under_test:SyncCoder",
        concurrency=6,
    )
    assert len(rows) == 6 and all(r.passed and r.retries == 0 for r in rows)
    assert srv.rejected_busy == 0 and srv.peak_concurrent == 2


def test_the_pytest_face_reaches_the_stand_in_with_the_same_client_options(
    tmp_path: Path, stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """`pytest evals --lm … --lm-engine lm15 --lm-concurrency 1`: the options the CLI has, the
    same run underneath."""
    srv = stand_in(coder(wrong_cases={1}))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "evals", "-p", "no:cacheprovider", "-q",
         "--suite", str(write_suite(tmp_path, 3)), "--program", "tests.programs_under_test:AsyncCoder",
         "--lm", spec(srv), "--lm-engine", "lm15", "--lm-concurrency", "1",
         "--evals-out", str(tmp_path / "out")],
        cwd=REPO, env={**os.environ, KEY_VAR: API_KEY}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    tail = proc.stdout[-3000:]
    assert "1 failed, 2 passed" in tail and "FAILED evals::live::c1" in tail, tail
    assert len(srv.chat_calls()) == 3
    assert all(c.headers["user-agent"].startswith("lm15/") for c in srv.chat_calls())


@pytest.mark.parametrize("engine", ENGINES)
def test_a_key_refused_mid_run_stops_the_run_naming_the_variable_not_a_verdict(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], stand_in: Callable[..., OpenAIStandIn]
) -> None:
    """The key passed `GET /models` but the completions refuse it (revoked, wrong scope): no case
    gets a score of 0 for it; the run stops with exit 2, naming the variable."""
    srv = stand_in(lambda call: Fail(401, "key revoked"))
    out = tmp_path / "out"
    code, _, err = run(
        capsys, str(write_suite(tmp_path, 2)), "--program", "tests.programs_under_test:AsyncCoder",
        "--lm", spec(srv), "--lm-engine", engine, "--out", str(out), "--no-mlflow", "--concurrency", "1",
    )  # fmt: skip
    assert code == 2, err
    assert f"refused the key from {KEY_VAR}" in err and API_KEY not in err
    assert results(out) == []  # no verdict recorded: --resume redoes them
