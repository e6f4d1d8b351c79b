"""`calibrate --labels RUN --align`: MLflow's real judge alignment (`make_judge(...).align()` with
SIMBA) on the HUMAN labels of a real run's traces (the RAG pipeline over embedded Postgres, its
replayed LM, the native compiler, a sqlite MLflow store), against a stand-in judge model.

No model's weights exist here, so the judge model is `tests/openai_stand_in.py`: a real HTTP
server on 127.0.0.1 speaking OpenAI's wire format, reached as a user's configuration would reach
one (`--judge-lm openai/judge-model?api_base=…&api_key_env=…`). Its replies are scripted in the
shape the real model returns to each prompt MLflow and DSPy send:

- to MLflow's judge prompt ("You are an expert judge …", the JSON fields `result` and
  `rationale`): a lenient reviewer (any answer with code is correct; unsure, so changing its
  mind from one identical request to the next, on answers that pass only some tests) until its
  instructions hold the advice below, then one that calls correct only what passes every test;
- to SIMBA's reflection prompt (DSPy's `OfferFeedback` signature, ChatAdapter format): that
  advice, for the judge's one module (`self`).

The labels are added through MLflow's API as the review UI adds them (`mlflow.log_feedback`,
source HUMAN, name `correct`). Every figure the test expects is computed from the verdicts the
stand-in actually served.
"""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import align, labels, tracking
from harness.cli import main
from harness.gate import verdicts
from harness.lm import chat_adapter_reply
from harness.runner import Runner, RunOptions, RunResult
from tests.openai_stand_in import API_KEY, Call, Fail, OpenAIStandIn, Reply

mlflow = pytest.importorskip("mlflow")

# twelve contracts of the starter suite whose replayed answers pass, pass some, fail to compile,
# cannot bind, or hold no code: MLflow's alignment needs at least 10 labels
CASES = (
    "scoreboard",
    "message-board",
    "step-counter",
    "owned-counter",
    "price-oracle",
    "treasury",
    "simple-token",
    "ballot",
    "name-registry",
    "todo-list",
    "price-history",
    "l1-bridge",
)
ADVICE = (
    "Call an answer correct only when its code would pass every test in the expectations' `tests`; "
    "an answer that merely looks complete is not correct."
)
KEY_ENV = "CAIRO_EVALS_TEST_JUDGE_KEY"


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlruns.db"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, RunResult]:
    runner = Runner(RunOptions(out=str(tmp_path_factory.mktemp("reports")), cases=CASES))
    return runner, asyncio.run(runner.run())


@pytest.fixture(scope="module")
def logged(run: tuple[Runner, RunResult], uri: str) -> str:
    runner, result = run
    found = tracking.log_run(
        result, verdicts(result.suites, result.results), runner.opts, runner.programs, uri=uri
    )
    assert found is not None
    return found


def _traces(uri: str, run_id: str) -> list[Any]:
    mlflow.set_tracking_uri(uri)
    exp = tracking.client_for(uri).get_run(run_id).info.experiment_id
    return mlflow.search_traces(run_id=run_id, locations=[exp], return_type="list")


def _tier(trace: Any) -> str:
    return next(a.value for a in trace.info.assessments if a.name == "tier")


def _case(trace: Any) -> str:
    return trace.info.tags["cairo_evals.case"]


def _human(trace: Any) -> bool:
    """What the reviewer says: correct when it passes every test, except that they accept
    owned-counter's answer, which fails one (a person may disagree with a test)."""
    return _tier(trace) == "passes" or _case(trace) == "owned-counter"


def _label(uri: str, logged: str, upto: int | None = None) -> dict[str, bool]:
    """HUMAN `correct` labels, as MLflow's review UI writes them, on the first `upto` traces (all
    by default) that have none yet; {case: label} of every labelled trace."""
    from mlflow.entities import AssessmentSource

    found = sorted(_traces(uri, logged), key=_case)
    done = {}
    for t in found[:upto]:
        if not any(a.name == labels.LABEL for a in t.info.assessments):
            mlflow.log_feedback(
                trace_id=t.info.trace_id,
                name=labels.LABEL,
                value=_human(t),
                source=AssessmentSource(source_type="HUMAN", source_id="reviewer@example.com"),
                rationale="read the code against the query and the tests",
            )
        done[_case(t)] = _human(t)
    return done


def _norm(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


class JudgeModel:
    """The stand-in's script: the judge model described in the module's docstring. `served`
    holds each judge verdict it returned: (case, system prompt, verdict), in order."""

    def __init__(self, traces: list[Any], fault: Callable[[Call, bool], Any] | None = None):
        self.tiers = {_norm(t.data.spans[0].inputs["query"])[:200]: (_case(t), _tier(t)) for t in traces}
        self.fault = fault
        self.served: list[tuple[str, str, bool]] = []
        self.reflections: list[Call] = []

    def __call__(self, call: Call) -> Any:
        system = call.body["messages"][0]["content"]
        if "module_advice" in system:  # SIMBA's OfferFeedback, through DSPy's ChatAdapter
            self.reflections.append(call)
            return Reply(
                chat_adapter_reply(
                    discussion="The worse trajectory called correct an answer whose tests fail.",
                    module_advice=json.dumps({"self": ADVICE}),
                )
            )
        assert system.startswith("You are an expert judge"), system[:200]
        prompt = _norm(call.last_user)
        [(case, tier)] = [v for k, v in self.tiers.items() if k in prompt]
        advised = ADVICE in system
        if self.fault is not None and (reply := self.fault(call, advised)) is not None:
            return reply
        if advised:
            ok = tier == "passes"
        elif tier == "passes-some":
            ok = call.attempt % 2 == 1  # unsure: it changes its mind when asked again
        else:
            ok = tier != "no-code"
        self.served.append((case, system, ok))
        return Reply(json.dumps({"result": ok, "rationale": f"the code {tier.replace('-', ' ')}"}))


def _spec(server: OpenAIStandIn) -> str:
    return f"openai/judge-model?api_base={server.base_url}&api_key_env={KEY_ENV}"


def _align(logged: str, uri: str, run: tuple[Runner, RunResult], server: OpenAIStandIn, *extra: str) -> int:
    runner, _ = run
    return main(
        [
            "calibrate",
            "--labels",
            logged,
            "--mlflow-uri",
            uri,
            "--align",
            "--align-steps",
            "2",
            "--judge-lm",
            _spec(server),
            "--out",
            runner.opts.out,
            *extra,
        ]
    )


def _latest_prompt(uri: str) -> Any:
    client = tracking.client_for(uri)
    try:
        versions = list(client.search_prompt_versions(align.PROMPT_NAME))
    except mlflow.exceptions.MlflowException:  # none registered yet
        return None
    return max(versions, key=lambda v: int(v.version)) if versions else None


def test_judge_alignment_against_a_stand_in_judge_model_over_http_gives_kappa_before_and_after(
    run: tuple[Runner, RunResult],
    logged: str,
    uri: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, result = run
    assert {r.case for r in result.results} == set(CASES)
    monkeypatch.setenv(KEY_ENV, API_KEY)
    traces = _traces(uri, logged)

    # nine labels: refused before any call, naming how many there are
    _label(uri, logged, upto=9)
    with OpenAIStandIn(JudgeModel(traces)) as server:
        assert _align(logged, uri, run, server) == 2
        assert not server.calls
    err = capsys.readouterr().err
    assert "needs at least 10 labelled cases; 9 of 12 have a HUMAN `correct` label" in err

    human = _label(uri, logged)
    assert len(human) == 12
    model = JudgeModel(_traces(uri, logged))
    with OpenAIStandIn(model) as server:
        assert _align(logged, uri, run, server) == 0
    out = capsys.readouterr().out
    with capsys.disabled():  # the figures, for whoever runs the test with -s
        print(out)
    assert set(server.statuses) == {200}  # every call carried the key from $KEY_ENV
    assert {c.model for c in server.calls} == {"judge-model"}

    # before: the first twelve verdicts, one per labelled case, by the judge with our instructions
    before = model.served[:12]
    assert sorted(case for case, _, _ in before) == sorted(human)
    assert all(align.INSTRUCTIONS in system and ADVICE not in system for _, system, _ in before)
    expected_before = labels.Agreement(
        "judge vs human, before alignment", tuple((ok, human[case]) for case, _, ok in before)
    )
    # SIMBA asked the model (through the harness's LM) for advice and kept it in the instructions
    assert model.reflections
    kept = (Path(result.folder) / align.INSTRUCTIONS_FILE).read_text(encoding="utf-8").rstrip("\n")
    assert kept.startswith(align.INSTRUCTIONS) and ADVICE in kept
    # after: the last twelve verdicts, by the aligned judge (its instructions are what was kept)
    after = model.served[-12:]
    assert sorted(case for case, _, _ in after) == sorted(human)
    assert all(kept in system for _, system, _ in after)
    expected_after = labels.Agreement(
        "judge vs human, after alignment", tuple((ok, human[case]) for case, _, ok in after)
    )
    assert labels.describe(expected_before) in out
    assert labels.describe(expected_after) in out
    assert "n 12" in out and "in-sample" in out
    # the lenient judge agreed with people by chance at best; the advised one nearly always
    assert expected_before.kappa is not None and expected_after.kappa is not None
    assert expected_before.kappa < 0.3 < 0.7 < expected_after.kappa

    # the aligned instructions as a prompt version, tagged with the figures, usable by make_judge
    version = _latest_prompt(uri)
    assert f"prompts:/{align.PROMPT_NAME}/{version.version}" in out
    assert version.template == kept
    assert version.tags["cairo_evals.kappa_after"] == f"{expected_after.kappa:.3f}"
    assert version.tags["cairo_evals.labels"] == "12"

    # two labels held out of the alignment: measured apart, from the verdicts served on them
    model = JudgeModel(_traces(uri, logged))
    with OpenAIStandIn(model) as server:
        assert _align(logged, uri, run, server, "--holdout", "2") == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if x.startswith("held out of the alignment: ")]
    held = line.removeprefix("held out of the alignment: ").split(", ")
    assert len(held) == 2 and set(held) < set(human)
    for name, served in (("before", model.served[:12]), ("after", model.served[-12:])):
        assert sorted(case for case, _, _ in served) == sorted(human)
        for prefix, chosen in (("", lambda c: c not in held), ("held out: ", lambda c: c in held)):
            expected = labels.Agreement(
                f"{prefix}judge vs human, {name} alignment",
                tuple((ok, human[case]) for case, _, ok in served if chosen(case)),
            )
            assert labels.describe(expected) in out
    assert "n 10" in out and "n 2" in out
    assert _latest_prompt(uri).tags["cairo_evals.held_out"] == "2"

    # by the review queue `cairo-evals label` made, as `calibrate --labels QUEUE` reads it
    queue, _ = labels.create_queue(logged, uri)
    model = JudgeModel(_traces(uri, logged))
    with OpenAIStandIn(model) as server:
        flags = ["--align", "--align-steps", "1", "--judge-lm", _spec(server), "--out", run[0].opts.out]
        code = main(["calibrate", "--labels", queue.name, "--mlflow-uri", uri, *flags])
    assert code == 0
    out = capsys.readouterr().out
    assert f"on 12 human labels of {queue.name}" in out
    assert str(Path(result.folder) / align.INSTRUCTIONS_FILE) in out  # found through the traces' run


def _fails_always(call: Call, advised: bool) -> Any:
    return Fail(401, "Incorrect API key provided.")


def _not_a_verdict(call: Call, advised: bool) -> Any:
    return Reply(json.dumps({"result": "maybe", "rationale": "hard to say"}))


def _fails_once_advised(call: Call, advised: bool) -> Any:
    return Fail(401, "the key was revoked mid-way") if advised else None


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (
            _fails_always,
            "the judge LM failed: MlflowException: Failed to invoke judge model: Incorrect API key",
        ),
        (_not_a_verdict, "the judge LM's reply is not a yes/no verdict: 'maybe'"),
        (
            _fails_once_advised,
            "time(s) during the alignment: Failed to invoke judge model: the key was revoked mid-way",
        ),
    ],
    ids=["http-error", "not-a-verdict", "fails-during-alignment"],
)
def test_a_judge_lm_fault_is_an_error_never_a_disagreement_stand_in_judge_model(
    run: tuple[Runner, RunResult],
    logged: str,
    uri: str,
    fault: Callable[[Call, bool], Any],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without the guard, SIMBA scores a failed call as a disagreement and goes on: the advised
    candidates would lose to the baseline, and κ after would be reported as a finding."""
    monkeypatch.setenv(KEY_ENV, API_KEY)
    _label(uri, logged)
    before = _latest_prompt(uri)
    with OpenAIStandIn(JudgeModel(_traces(uri, logged), fault)) as server:
        assert _align(logged, uri, run, server) == 2
        assert server.calls
    captured = capsys.readouterr()
    assert "error: nothing is reported as agreement: " in captured.err
    assert said in captured.err
    assert "alignment: κ" not in captured.out  # no figure from a faulty judge
    after = _latest_prompt(uri)
    assert (before and before.version) == (after and after.version)  # nothing kept


def test_judge_specs_mlflow_can_and_cannot_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-x")
    monkeypatch.delenv("MLFLOW_MODEL_CATALOG_URI", raising=False)
    assert align.judge_model("anthropic/claude-sonnet-4-5") == ("anthropic:/claude-sonnet-4-5", {})
    assert align.judge_model(f"openai/gpt-4o-mini?api_key_env={KEY_ENV}") == (
        "openai:/gpt-4o-mini",
        {"OPENAI_API_KEY": "sk-x"},
    )
    model, env = align.judge_model("openai/qwen?api_base=http://gpu-box:8000/v1")
    assert model == "openai:/qwen"
    assert env["OPENAI_BASE_URL"] == env["OPENAI_API_BASE"] == "http://gpu-box:8000/v1"
    assert env["OPENAI_API_KEY"] == "no-key"  # the user's OpenAI key never goes to a self-hosted box
    for spec, reason in [
        ("heuristic", "needs an LLM judge"),
        ("replay:suites/recordings/x.jsonl", "cannot use a replay:, record: or py: LM"),
        ("py:harness.demo:program_lm", "cannot use a replay:, record: or py: LM"),
        ("hosted_vllm/qwen?api_base=http://gpu-box:8000/v1", "name the model openai/<model>"),
        ("openai/qwen?header.X-Team=evals", "cannot carry extra headers"),
        ("openai/gpt-4o-mini?api_key_env=CAIRO_EVALS_UNSET_KEY", "$CAIRO_EVALS_UNSET_KEY is not set"),
    ]:
        with pytest.raises(ValueError, match=re.escape(reason)):
            align.judge_model(spec)
    assert main(["calibrate", "--align", "--judge-lm", "openai/gpt-4o-mini"]) == 2
    assert "give them with --labels RUN|QUEUE" in capsys.readouterr().err
    for holdout, steps in ((-1, 8), (0, 0)):  # -1 would hold out all but one label
        with pytest.raises(ValueError, match="--holdout must be 0 or more"):
            align.align([], "openai/gpt-4o-mini", steps=steps, holdout=holdout)
