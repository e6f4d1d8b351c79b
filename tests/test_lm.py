"""The LM layer: plain model strings, record:, replay:, and the scripted engine.

Every call goes through real DSPy modules (`dspy.Predict`, `dspy.ChainOfThought`), sync
and with `await module.acall(...)`, under `dspy.context(lm=...)`. No model is reachable
here: recordings are made with a `ScriptedEngine` as the inner engine, or — to check that
`record:` wraps the engine a plain `dspy.LM` uses — with DSPy's native engine whose single
network step (`LM15Engine.complete`) is replaced by a canned reply, so DSPy's own engine
selection, error mapping and pricing still run.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import dspy
import pytest
from dspy.clients.engines import lm15_engine
from dspy.lm15 import Config, Message, Request, Response, TextPart, Usage
from dspy.utils.exceptions import LMConfigurationError, LMError, LMRateLimitError, is_retryable_lm_error

from harness.endpoint import Endpoint
from harness.lm import (
    CURRENT_CASE,
    ReplayMiss,
    ScriptedEngine,
    chat_adapter_reply,
    current_case,
    make_lm,
    read_recording,
    recording_lm,
    request_key,
)

FIXTURES = Path(__file__).parent / "fixtures" / "lm"
QA_FIXTURE = FIXTURES / "qa.jsonl"
QA_LABEL = "sample responses written for the tests (ScriptedEngine), not from a model"


@pytest.fixture(autouse=True)
def _offline_cost_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def question_of(request: Request) -> str:
    """The `question` input DSPy's ChatAdapter put in the last user message."""
    match = re.search(r"\[\[ ## question ## \]\]\n(.*?)\n\n", request.messages[-1].text or "", re.S)
    return match.group(1) if match else ""


def answer(request: Request) -> str:
    """A scripted model: answers any question, with reasoning when the signature asks for it."""
    question = question_of(request)
    if "`reasoning`" in (request.system or ""):
        return chat_adapter_reply(reasoning=f"thinking about {question}", answer=f"A({question})")
    return chat_adapter_reply(answer=f"A({question})")


def scripted(**kwargs) -> ScriptedEngine:
    return ScriptedEngine(answer, input_tokens=120, output_tokens=30, cost=0.0025, **kwargs)


def ask_all(lm: dspy.LM) -> list[dspy.Prediction]:
    """Predict and ChainOfThought, each sync and async, each under its own case."""
    predict, cot = dspy.Predict("question -> answer"), dspy.ChainOfThought("question -> answer")

    async def both_async() -> list[dspy.Prediction]:
        with current_case("demo::async-predict"):
            first = await predict.acall(question="What is felt252?")
        with current_case("demo::async-cot"):
            second = await cot.acall(question="What is a felt?")
        return [first, second]

    with dspy.context(lm=lm):
        with current_case("demo::sync-predict"):
            out = [predict(question="What is Cairo?")]
        with current_case("demo::sync-cot"):
            out.append(cot(question="Why Sierra?"))
        out.extend(asyncio.run(both_async()))
    return out


def figures(entry: dict) -> dict:
    """What a history entry says about one call: outputs, tokens, price, responding model."""
    return {key: entry.get(key) for key in ("outputs", "usage", "cost", "cost_details", "response_model")}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ─── record → replay ─────────────────────────────────────────────────────────


def test_record_with_scripted_engine_then_replay_gives_same_outputs_usage_and_cost(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    engine = scripted()
    recorder = recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini", label="demo")
    recorded = ask_all(recorder)
    assert [p.answer for p in recorded] == [
        "A(What is Cairo?)",
        "A(Why Sierra?)",
        "A(What is felt252?)",
        "A(What is a felt?)",
    ]
    assert recorded[1].reasoning == "thinking about Why Sierra?"

    replayer = make_lm(f"replay:{path}")
    replayed = ask_all(replayer)

    assert [p.toDict() for p in replayed] == [p.toDict() for p in recorded]
    assert [figures(e) for e in replayer.history] == [figures(e) for e in recorder.history]
    last = replayer.history[-1]
    assert last["usage"]["prompt_tokens"] == 120 and last["usage"]["completion_tokens"] == 30
    assert last["cost"] == 0.0025
    assert replayer.model == "openai/gpt-4o-mini"  # named after the recorded model
    assert len(engine.requests) == 4  # replay never called the engine


def test_record_with_scripted_engine_writes_header_label_and_readable_entries(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "rec.jsonl"  # folders are created
    engine = scripted()
    ask_all(recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini", label="sample responses"))

    header, *entries = lines(path)
    assert header["kind"] == "header" and header["label"] == "sample responses"
    assert header["model"] == "openai/gpt-4o-mini" and "not the model name" in header["key"]
    assert [e["case"] for e in entries] == [
        "demo::sync-predict",
        "demo::sync-cot",
        "demo::async-predict",
        "demo::async-cot",
    ]
    first = entries[0]
    assert set(first) == {"key", "case", "model", "request", "response", "recorded_at", "label"}
    assert first["label"] == "sample responses" and first["model"] == "openai/gpt-4o-mini"
    assert re.fullmatch(r"[0-9a-f]{64}", first["key"])
    assert first["request"]["messages"][0]["parts"][0]["text"].startswith(
        "[[ ## question ## ]]\nWhat is Cairo?"
    )
    assert first["response"]["finish_reason"] == "stop"
    assert first["response"]["usage"] == {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150}
    assert first["response"]["cost"] == 0.0025
    assert "[[ ## answer ## ]]\nA(What is Cairo?)" in first["response"]["message"]["parts"][0]["text"]
    raw = path.read_text(encoding="utf-8").splitlines()
    assert len(raw) == 5 and all(not line.startswith(" ") for line in raw)  # one line per entry

    # A second LM appending to the same file adds entries, not a second header.
    ask_all(recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini", label="sample responses"))
    assert [e.get("kind") for e in lines(path)].count("header") == 1


def test_record_without_a_case_writes_null_case(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    engine = scripted()
    assert CURRENT_CASE.get() is None
    with dspy.context(lm=recording_lm(engine, None, path, "openai/gpt-4o-mini")):
        dspy.Predict("question -> answer")(question="q")
        asyncio.run(dspy.Predict("question -> answer").acall(question="r"))  # sync engine in a thread
    header, *entries = lines(path)
    assert header["label"] is None
    assert [e["case"] for e in entries] == [None, None]


@pytest.fixture
def native_engine_replies(monkeypatch: pytest.MonkeyPatch) -> list[Request]:
    """DSPy's native engine for openai/… with its network step replaced by a canned reply."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    seen: list[Request] = []

    def complete(self, request: Request) -> Response:
        seen.append(request)
        return Response(
            id="chatcmpl-test",
            model="gpt-4o-mini-2024-07-18",
            message=Message.assistant([TextPart(answer(request))]),
            finish_reason="stop",
            usage=Usage(input_tokens=1200, output_tokens=300),
            provider_data={"id": "chatcmpl-test", "service_tier": "default"},
        )

    async def acomplete(self, request: Request) -> Response:
        return complete(self, request)

    monkeypatch.setattr(lm15_engine.LM15Engine, "complete", complete)
    monkeypatch.setattr(lm15_engine.AsyncLM15Engine, "complete", acomplete)
    return seen


def test_record_wraps_the_engine_a_plain_lm_uses_and_replay_keeps_its_usage_and_cost(
    tmp_path: Path, native_engine_replies: list[Request]
) -> None:
    path = tmp_path / "rec.jsonl"
    live = make_lm("openai/gpt-4o-mini", temperature=0.2, cache=False)  # no disk-cache hits
    recorder = make_lm("record:openai/gpt-4o-mini", record_to=path, temperature=0.2)
    live_out, recorded_out = ask_all(live), ask_all(recorder)
    replayer = make_lm(f"replay:{path}", temperature=0.2)
    replayed_out = ask_all(replayer)

    # Same prompts (the recording LM declares the live LM's capabilities), same answers.
    keys = [request_key(r) for r in native_engine_replies]
    assert keys[:4] == keys[4:] and len(native_engine_replies) == 8
    assert (
        [p.toDict() for p in live_out]
        == [p.toDict() for p in recorded_out]
        == [p.toDict() for p in replayed_out]
    )
    # History figures identical to the live call's, including DSPy's own price estimate.
    live_figures = [figures(e) for e in live.history]
    assert [figures(e) for e in recorder.history] == live_figures
    assert [figures(e) for e in replayer.history] == live_figures
    assert live_figures[0]["cost"] > 0 and live_figures[0]["cost_details"]["kind"] == "estimate"
    assert live_figures[0]["usage"]["prompt_tokens"] == 1200
    assert replayer.history[-1]["response"].provider_data == {
        "id": "chatcmpl-test",
        "service_tier": "default",
    }


def test_record_passes_live_errors_through_and_records_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "rec.jsonl"
    with dspy.context(lm=make_lm("record:openai/gpt-4o-mini", record_to=path)), pytest.raises(LMError) as err:
        dspy.Predict("question -> answer")(question="q")
    assert "OPENAI_API_KEY" in str(err.value)  # DSPy's own error from the native engine
    assert not path.exists()


# ─── replay behaviour ────────────────────────────────────────────────────────


def test_replay_miss_names_case_file_key_and_how_to_rerecord(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    with (
        dspy.context(lm=recording_lm(scripted(), None, path, "openai/gpt-4o-mini")),
        current_case("basics::hello"),
    ):
        dspy.Predict("question -> answer")(question="recorded")
    lm = make_lm(f"replay:{path}")
    predict = dspy.Predict("question -> answer")

    with dspy.context(lm=lm), current_case("basics::hello"), pytest.raises(ReplayMiss) as sync_err:
        predict(question="changed prompt")
    message = str(sync_err.value)
    assert "basics::hello" in message and str(path) in message
    assert sync_err.value.key in message and re.fullmatch(r"[0-9a-f]{64}", sync_err.value.key)
    assert "--lm record:openai/gpt-4o-mini" in message
    assert "prompt or generation settings changed" in message
    assert (sync_err.value.case, sync_err.value.path) == ("basics::hello", path)
    # DSPy neither retries nor wraps it: a configuration error, raised as is.
    assert isinstance(sync_err.value, LMConfigurationError) and not is_retryable_lm_error(sync_err.value)

    async def ask() -> None:
        with current_case("basics::never-recorded"):
            await predict.acall(question="other")

    with dspy.context(lm=lm), pytest.raises(ReplayMiss) as async_err:
        asyncio.run(ask())
    assert "basics::never-recorded" in str(async_err.value) and "never recorded" in str(async_err.value)
    assert len(lm.history) == 0  # nothing was served


def test_replay_serves_repeats_in_recorded_order_cycling(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    samples = iter(["first", "second", "third"])
    engine = ScriptedEngine(lambda request: chat_adapter_reply(answer=next(samples)))
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini")):
        for _ in range(3):
            predict(question="same")

    lm = make_lm(f"replay:{path}")
    with dspy.context(lm=lm):
        served = [predict(question="same").answer for _ in range(2)]

        async def more() -> list[str]:
            return [(await predict.acall(question="same")).answer for _ in range(2)]

        served += asyncio.run(more())
    assert served == ["first", "second", "third", "first"]
    with dspy.context(lm=make_lm(f"replay:{path}")):  # a new replay LM starts over
        assert predict(question="same").answer == "first"


def test_request_key_ignores_model_and_rollout_id_but_follows_prompt_and_settings(tmp_path: Path) -> None:
    base = Request(model="openai/gpt-4o-mini", messages=(Message.user("hi"),), config=Config(temperature=0.5))
    same = Request(model="anthropic/claude-x", messages=(Message.user("hi"),), config=Config(temperature=0.5))
    assert request_key(base) == request_key(same)
    assert request_key(base) != request_key(Request(model="m/x", messages=(Message.user("hello"),)))
    other_temperature = Request(model="m/x", messages=(Message.user("hi"),), config=Config(temperature=1.0))
    assert request_key(base) != request_key(other_temperature)
    with_system = Request(
        model="m/x", messages=(Message.user("hi"),), system="be brief", config=Config(temperature=0.5)
    )
    assert request_key(base) != request_key(with_system)

    # Through DSPy: record at rollout 1 under one model name, replay at rollout 7 under another.
    path = tmp_path / "rec.jsonl"
    engine = scripted()
    predict = dspy.Predict("question -> answer")
    with dspy.context(
        lm=recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini", temperature=1.0)
    ):
        predict(question="q", config={"rollout_id": 1})
    recorded = read_recording(path)
    (key,) = recorded.by_key
    assert key == lines(path)[1]["key"]

    replay = make_lm(f"replay:{path}", temperature=1.0)
    with dspy.context(lm=replay.copy(model="someone/else")):
        assert predict(question="q", config={"rollout_id": 7}).answer == "A(q)"
    with dspy.context(lm=make_lm(f"replay:{path}", temperature=0.3)), pytest.raises(ReplayMiss):
        predict(question="q")  # temperature is part of the key


def test_record_with_scripted_engine_from_20_concurrent_tasks_writes_20_valid_lines(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    engine = scripted()
    lm = recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini", label="concurrency")
    predict = dspy.Predict("question -> answer")

    async def one(i: int) -> str:
        with current_case(f"load::case-{i}"):
            return (await predict.acall(question=f"q{i}")).answer

    async def all_of_them() -> list[str]:
        with dspy.context(lm=lm):
            return await asyncio.gather(*(one(i) for i in range(20)))

    assert asyncio.run(all_of_them()) == [f"A(q{i})" for i in range(20)]
    header, *entries = lines(path)
    assert header["kind"] == "header" and len(entries) == 20
    assert sorted(e["case"] for e in entries) == sorted(f"load::case-{i}" for i in range(20))
    # Each entry is tied to its own task's case: the question in its prompt matches.
    for e in entries:
        number = e["case"].split("-")[-1]
        assert f"q{number}\n" in e["request"]["messages"][0]["parts"][0]["text"]


def test_replay_of_the_committed_fixture_and_it_matches_a_fresh_recording(tmp_path: Path) -> None:
    """`tests/fixtures/lm/qa.jsonl` replays, and re-recording it now gives the same keys.

    A key mismatch here means DSPy's prompts (or the key) changed: regenerate the fixture
    with `write_qa_fixture` (see tests/fixtures/lm/README.md) after checking why.
    """
    with dspy.context(lm=make_lm(f"replay:{QA_FIXTURE}")), current_case("fixture::qa"):
        assert dspy.Predict("question -> answer")(question="What is Cairo?").answer == "A(What is Cairo?)"
    fresh = tmp_path / "qa.jsonl"
    write_qa_fixture(fresh)
    strip = ("recorded_at", "created_at")
    assert [{k: v for k, v in e.items() if k not in strip} for e in lines(fresh)] == [
        {k: v for k, v in e.items() if k not in strip} for e in lines(QA_FIXTURE)
    ]


def write_qa_fixture(path: Path) -> None:
    """Write the committed QA fixture through the real record path (ScriptedEngine inside)."""
    lm = recording_lm(scripted(), None, path, "openai/gpt-4o-mini", label=QA_LABEL)
    with dspy.context(lm=lm), current_case("fixture::qa"):
        dspy.Predict("question -> answer")(question="What is Cairo?")
        dspy.ChainOfThought("question -> answer")(question="What is Cairo?")


def test_broken_recordings_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"kind": "header"}\n\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: not a JSON line"):
        make_lm(f"replay:{path}")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_lm(f"replay:{tmp_path / 'missing.jsonl'}")


# ─── make_lm ─────────────────────────────────────────────────────────────────


def test_make_lm_model_string_is_a_plain_dspy_lm_on_the_litellm_path() -> None:
    lm = make_lm("openai/gpt-4o-mini", temperature=0.1, max_tokens=500)
    # A dspy.LM on DSPy's own engines; ours adds only the endpoint's rate limit, price and the
    # malformed-reply check (harness.endpoint), none of which a bare model string sets.
    assert isinstance(lm, dspy.LM) and lm.endpoint == Endpoint("openai/gpt-4o-mini")
    assert lm.model == "openai/gpt-4o-mini" and lm.engine == "auto"
    assert lm.kwargs["temperature"] == 0.1 and lm.kwargs["max_tokens"] == 500
    assert lm.history == []


def test_make_lm_refuses_unclear_specs() -> None:
    with pytest.raises(ValueError, match="needs a file to record to: pass record_to="):
        make_lm("record:openai/gpt-4o-mini")
    with pytest.raises(ValueError, match="names no model"):
        make_lm("record:", record_to=Path("x.jsonl"))
    with pytest.raises(ValueError, match="names no recording"):
        make_lm("replay:")
    with pytest.raises(ValueError, match="record_to is only for"):
        make_lm("openai/gpt-4o-mini", record_to=Path("x.jsonl"))
    with pytest.raises(ValueError, match="response cache"):
        make_lm("record:openai/gpt-4o-mini", record_to=Path("x.jsonl"), cache=True)


def test_make_lm_record_sends_connection_settings_to_the_live_lm(tmp_path: Path) -> None:
    lm = make_lm("record:openai/gpt-4o-mini", record_to=tmp_path / "r.jsonl", api_key="sk-x", temperature=0.4)
    assert "api_key" not in lm.kwargs and lm.kwargs["temperature"] == 0.4
    inner = lm.engine.recorder.inner.lm
    assert type(inner) is dspy.LM and inner.kwargs["api_key"] == "sk-x" and inner.engine == "auto"
    assert lm.supports_response_schema == inner.supports_response_schema


# ─── ScriptedEngine ──────────────────────────────────────────────────────────


def test_scripted_engine_rate_limits_are_retried_by_dspy() -> None:
    engine = scripted(fail_first=2)
    predict = dspy.Predict("question -> answer")
    with dspy.context(lm=engine.lm(num_retries=3)):
        assert predict(question="a").answer == "A(a)"
        assert asyncio.run(predict.acall(question="b")).answer == "A(b)"
    assert len(engine.requests) == 6  # two rate limits, then an answer, per request
    lm = engine.lm()
    with dspy.context(lm=lm):
        lm.history.clear()
        predict(question="a")  # already past its failures
    assert lm.history[-1]["cost"] == 0.0025

    stubborn = scripted(fail_first=5)
    with (
        dspy.context(lm=stubborn.lm(num_retries=1)),
        pytest.raises(LMRateLimitError, match="scripted rate limit"),
    ):
        predict(question="c")
    assert len(stubborn.requests) == 2


def test_record_with_scripted_engine_records_only_the_successful_attempt(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    engine = scripted(fail_first=1)
    with dspy.context(
        lm=recording_lm(engine, engine.async_engine, path, "openai/gpt-4o-mini", num_retries=2)
    ):
        assert dspy.Predict("question -> answer")(question="a").answer == "A(a)"
    assert len(engine.requests) == 2 and len(lines(path)) == 2  # header + one entry


def test_replay_under_dspy_streamify_keeps_usage_and_cost() -> None:
    program = dspy.streamify(dspy.Predict("question -> answer"))
    lm = make_lm(f"replay:{QA_FIXTURE}")

    async def run() -> list:
        with dspy.context(lm=lm):
            return [item async for item in program(question="What is Cairo?")]

    assert asyncio.run(run())[-1].answer == "A(What is Cairo?)"
    assert lm.history[-1]["cost"] == 0.0025 and lm.history[-1]["usage"]["completion_tokens"] == 30


def scripted_lm() -> dspy.LM:
    """A py: factory for the tests below (a scripted engine; no model is reachable here)."""
    return ScriptedEngine(lambda request: chat_adapter_reply(answer="from code")).lm("scripted/py")


not_an_lm = 42


def test_make_lm_py_spec_builds_the_lm_from_code_and_applies_settings() -> None:
    lm = make_lm("py:tests.test_lm:scripted_lm", num_retries=0, temperature=0.5)
    assert lm.model == "scripted/py" and lm.num_retries == 0 and lm.kwargs["temperature"] == 0.5
    with dspy.context(lm=lm):
        assert dspy.Predict("question -> answer")(question="q").answer == "from code"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("py:tests.test_lm:not_an_lm", "py:tests.test_lm:not_an_lm gave int, not a dspy.BaseLM"),
        ("py:tests.test_lm:missing", "module 'tests.test_lm' has no attribute 'missing'"),
        ("py:nosuch:lm", "cannot import 'nosuch'"),
        ("py:justamodule", "expected py:package.module:attr"),
    ],
)
def test_make_lm_py_spec_errors_name_the_target(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make_lm(spec)
