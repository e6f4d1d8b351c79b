"""Each case of a real offline run (the RAG pipeline over embedded Postgres, its replayed LM, the
native compiler) as an MLflow trace on a sqlite store: found by `mlflow.search_traces(run_id=…)`,
one per case, with the program's DSPy spans, the harness's stages and the assessments; the run's
name and prompt links; a harness fault as an assessment error; long texts cut in spans; human
labels read back by `calibrate --labels`."""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest

from harness import labels, spans, traces, tracking
from harness.cli import main
from harness.gate import verdicts
from harness.runner import Runner, RunOptions, RunResult

mlflow = pytest.importorskip("mlflow")

SUITE = "starknet-contracts"
# four contracts of the starter suite: answers that pass all, or some, of their tests
CASES = ("owned-counter", "scoreboard", "treasury", "ballot")


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


def _traces(uri: str, run_id: str) -> list:
    mlflow.set_tracking_uri(uri)
    exp = tracking.client_for(uri).get_run(run_id).info.experiment_id
    return mlflow.search_traces(run_id=run_id, locations=[exp], return_type="list")


def _assessment(trace, name: str):
    found = [a for a in trace.info.assessments if a.name == name]
    assert len(found) == 1, (name, [a.name for a in trace.info.assessments])
    return found[0]


def test_search_traces_returns_one_trace_per_case_with_its_assessments(
    run: tuple[Runner, RunResult], logged: str, uri: str
) -> None:
    _, result = run
    assert {r.case for r in result.results} == set(CASES)
    assert any(r.compile for r in result.results) and any(r.judge_score is not None for r in result.results)
    found = _traces(uri, logged)
    assert len(found) == len(result.results) == len(CASES)
    by_case = {t.info.tags["cairo_evals.case"]: t for t in found}
    cases = {c.id: c for s in result.suites for c in s.cases}
    for r in result.results:
        t = by_case[r.case]
        assert t.info.trace_metadata["mlflow.sourceRun"] == logged
        score = _assessment(t, "score")
        assert score.source.source_type == "CODE"
        assert score.value == pytest.approx(r.score)
        assert score.rationale.startswith(r.feedback[:200])
        assert _assessment(t, "tier").value == r.tier
        assert _assessment(t, "compiled").value is r.compiled
        assert _assessment(t, "tests_passed").value == f"{r.tests_passed}/{r.tests_total}"
        if r.judge_score is None:  # no code: nothing to judge, and no judge score made up
            assert not [a for a in t.info.assessments if a.name == "judge"]
        else:
            judge = _assessment(t, "judge")
            assert judge.value == pytest.approx(r.judge_score)
            assert judge.rationale == r.judgement["feedback"]
            assert judge.source.source_type == "CODE" and judge.source.source_id == "heuristic"
        assert _assessment(t, "golden").value == cases[r.case].golden
        assert _assessment(t, "tests").value == cases[r.case].tests

        kinds = [s.span_type for s in t.data.spans]
        names = [s.name for s in t.data.spans]
        assert t.data.spans[0].name == r.case and t.data.spans[0].inputs == {"query": cases[r.case].query}
        # the program: its LM calls with the messages sent and the reply, and the retrieval
        lm_calls = [s for s in t.data.spans if s.span_type == "CHAT_MODEL"]
        assert len(lm_calls) >= 2
        for call in lm_calls:
            assert call.inputs["messages"][0]["role"] == "system"
            assert call.outputs and isinstance(call.outputs[0], str)
            assert set(call.get_attribute("mlflow.chat.tokenUsage")) == {
                "input_tokens",
                "output_tokens",
                "total_tokens",
            }
        # tokens per call, as the LM's history entry gave them: together, the case's tokens
        usage = [c.get_attribute("mlflow.chat.tokenUsage")["total_tokens"] for c in lm_calls]
        assert sum(usage) == r.tokens > 0
        [retrieve] = [s for s in t.data.spans if s.span_type == "RETRIEVER"]
        assert retrieve.outputs and all(
            d["page_content"] and d["metadata"]["doc_uri"] for d in retrieve.outputs
        )
        assert "LLM" in kinds  # each predictor
        # the harness's stages: extraction, compile with backend and each test, judge
        assert "extract" in names
        assert ("judge" in names) is (r.judgement is not None)
        if r.compile is None:  # no code to compile
            assert "compile" not in names and r.tier == "no-code"
        else:
            [compile_span] = [s for s in t.data.spans if s.name == "compile"]
            assert compile_span.get_attribute("backend") == r.compile["backend"]
            assert compile_span.get_attribute("backend_version") == r.compile["backend_version"]
            ran = [s for s in t.data.spans if s.name == "tests"]
            assert bool(ran) is bool(r.compile.get("tests"))  # tests run on code that compiles
            for tests_span in ran:
                each = tests_span.outputs["tests"]
                assert len(each) == r.tests_total
                assert sum(x["result"] == "pass" for x in each) == r.tests_passed
        [extract] = [s for s in t.data.spans if s.name == "extract"]
        assert extract.outputs["code"] == r.code


def test_runs_are_named_for_people_and_linked_to_their_prompt_versions(
    run: tuple[Runner, RunResult], logged: str, uri: str
) -> None:
    _, result = run
    got = tracking.client_for(uri).get_run(logged)
    name = got.info.run_name
    parts = name.split(" · ")
    assert parts[0] == SUITE and parts[1] == "RagPipeline" and parts[2] == f"replay:{SUITE}"
    assert parts[3] == "prompts v1/v1/v1" and parts[4].startswith("native (Cairo 2.16")
    tags = got.data.tags
    assert tags["cairo_evals.run_id"] == result.run_id and tags["mlflow.source.git.commit"]
    assert tags["mlflow.runType"] == "genai_evaluate"
    linked = {p["name"]: p["version"] for p in json.loads(tags["mlflow.linkedPrompts"])}
    assert linked == {k.removeprefix("prompt."): v for k, v in tags.items() if k.startswith("prompt.")}
    # the spans file with the full texts is in the run's artifacts
    assert "spans.jsonl" in {a.path for a in tracking.client_for(uri).list_artifacts(logged)}


def test_a_harness_fault_is_an_assessment_error_not_a_score(tmp_path: Path, uri: str) -> None:
    # the native worker killed mid-compile (SIGKILL): a crash of our machinery, a harness fault
    # (a compile budget nobody can meet is no longer one: hit twice, it is the answer's verdict)
    from harness.cairo import Compiler
    from harness.cairo.native import NativeBackend, native_pool
    from tests.test_compile_budget import on_first_call

    opts = RunOptions(out=str(tmp_path), cases=("owned-counter",), compile_cache=False)
    runner = Runner(opts)
    pool = native_pool(size=1)
    runner._compiler = Compiler(NativeBackend(pool), cache=False)
    killer = on_first_call(pool, signal.SIGKILL)
    result = asyncio.run(runner.run())
    killer.join()
    [r] = result.results
    assert r.status == "error", r
    mlflow_id = tracking.log_run(result, verdicts(result.suites, result.results), opts, uri=uri)
    [t] = _traces(uri, mlflow_id)
    score = _assessment(t, "score")
    assert score.value is None and score.error.error_code == "HARNESS_FAULT"
    assert not [a for a in t.info.assessments if a.name in ("tier", "judge", "compiled")]
    assert t.info.state.value == "ERROR"


def test_long_texts_are_cut_in_spans_with_the_full_text_in_the_spans_file(
    run: tuple[Runner, RunResult],
) -> None:
    _, result = run
    r = result.results[0]
    recorded = spans.read_spans(result.folder)[(r.suite, r.case, r.sample)]
    program = next(s for s in recorded if s.kind == "AGENT")
    long = "```cairo\n" + "// padding\n" * 5000 + "```"
    program.outputs = {"answer": long}
    info, built = traces.build_trace(r, None, recorded, "0", "run")
    root = json.loads(built[0]["attributes"]["mlflow.spanOutputs"])
    assert (
        len(root["answer"]) < traces.MAX_TEXT + 200
        and "full text is in the run's artifacts" in root["answer"]
    )
    assert len(info.response_preview) <= 1000
    # the spans file keeps what the program said, whole
    saved = [json.loads(line) for line in (result.folder / spans.SPANS_FILE).read_text().splitlines()]
    assert any(
        s["kind"] == "AGENT" and len(s["outputs"]["answer"]) > 100 for line in saved for s in line["spans"]
    )


def test_no_mlflow_records_no_spans(tmp_path: Path) -> None:
    code = main(
        ["run", "--cases", "owned-counter", "--out", str(tmp_path), "--no-mlflow", "--run-id", "quiet"]
    )
    assert code == 0
    assert (tmp_path / "quiet" / "results.jsonl").is_file()
    assert not (tmp_path / "quiet" / spans.SPANS_FILE).exists()


def test_kappa_and_rates_cannot_be_cheated_by_a_constant_judge() -> None:
    truth = (True, True, False, False, True, False)
    constant = labels.Agreement("judge vs human", tuple((True, t) for t in truth))
    assert constant.kappa == 0.0  # agreeing whenever people say yes is no agreement at all
    assert constant.tpr == (3, 3) and constant.tnr == (0, 3)
    perfect = labels.Agreement("x", tuple((t, t) for t in truth))
    assert perfect.kappa == 1.0
    assert labels.wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-3)
    assert labels.wilson(0, 0) is None


def test_human_labels_calibrate_the_judge(
    run: tuple[Runner, RunResult], logged: str, uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlflow.entities import AssessmentSource
    from mlflow.genai.review_queues import list_review_queue_items

    _, result = run
    assert main(["label", logged, "--mlflow-uri", uri]) == 0
    assert "holds the 4 case traces" in capsys.readouterr().out
    queue, n = labels.create_queue(result.run_id, uri)  # by the cairo-evals run id too
    mlflow.set_tracking_uri(uri)
    assert n == len(CASES) and len(list_review_queue_items(queue.queue_id)) == n
    # a reviewer's labels, written as MLflow's review UI writes them: HUMAN feedback `correct`
    found = _traces(uri, logged)
    human = {}
    for i, t in enumerate(found):
        verdict = _assessment(t, "tier").value == "passes"
        human[t.info.trace_id] = verdict if i else not verdict  # the reviewer disagrees once
        mlflow.log_feedback(
            trace_id=t.info.trace_id,
            name="correct",
            value=human[t.info.trace_id],
            source=AssessmentSource(source_type="HUMAN", source_id="reviewer@example.com"),
            rationale="read the code against the query",
        )
    assert main(["calibrate", "--labels", logged, "--mlflow-uri", uri]) == 0
    out = capsys.readouterr().out
    assert f"{len(CASES)} of {len(CASES)} cases labelled" in out
    # a case without code has no judge score: it is left out of the judge's pairs, not counted as 0
    judged = [t for t in found if any(a.name == "judge" for a in t.info.assessments)]
    assert 0 < len(judged) < len(found)
    judge = {t.info.trace_id: _assessment(t, "judge").value >= labels.JUDGE_CUT for t in judged}
    expected = labels.Agreement("judge vs human", tuple((judge[k], human[k]) for k in judge))
    assert labels.describe(expected) in out
    assert "κ" in out and "TPR" in out and "TNR" in out and f"n {len(judged)}" in out
    print(out)
    # by the review queue's name as well
    assert main(["calibrate", "--labels", queue.name, "--mlflow-uri", uri]) == 0
    assert labels.describe(expected) in capsys.readouterr().out


def test_a_run_uploaded_later_gets_the_same_traces(run: tuple[Runner, RunResult], tmp_path: Path) -> None:
    _, result = run
    uri = f"sqlite:///{tmp_path}/later.db"
    mlflow_id = tracking.log_saved_run(result.run_id, str(result.folder.parent), uri)
    assert mlflow_id is not None
    found = _traces(uri, mlflow_id)
    assert len(found) == len(CASES)
    for t in found:
        assert [s for s in t.data.spans if s.span_type == "CHAT_MODEL"]  # from the run's spans.jsonl
        assert _assessment(t, "score").value is not None


def _content(trace) -> tuple:
    """What a trace says, without its ids and times: assessments and spans (name, type, parent's
    name, inputs, outputs)."""
    by_id = {s.span_id: s.name for s in trace.data.spans}
    assessments = sorted(
        (a.name, json.dumps(getattr(a, "value", None), default=str), getattr(a, "rationale", None))
        for a in trace.info.assessments
    )
    spans_ = sorted(
        (
            s.name,
            s.span_type,
            by_id.get(s.parent_id),
            json.dumps(s.inputs, default=str, sort_keys=True),
            json.dumps(s.outputs, default=str, sort_keys=True),
        )
        for s in trace.data.spans
    )
    return trace.info.tags["cairo_evals.case"], assessments, spans_


def test_traces_are_written_while_the_run_goes_on_and_match_an_upload_later(tmp_path: Path) -> None:
    live_uri = f"sqlite:///{tmp_path}/live.db"
    runner = Runner(RunOptions(out=str(tmp_path / "reports"), cases=CASES), run_id="live")
    runner.prepare()
    live = tracking.start_logging(runner, live_uri)
    result = asyncio.run(runner.run())
    # before `finish`: the run exists, RUNNING, and its cases' traces are there or on their way
    assert live.opened.wait(120) and live.failure is None
    client = tracking.client_for(live_uri)
    [suite_run] = live.suite_runs.values()
    assert client.get_run(suite_run).info.status == "RUNNING"
    assert tracking.find_logged("live", live_uri) is None  # not logged until finished
    exp = client.get_run(suite_run).info.experiment_id
    mlflow.set_tracking_uri(live_uri)
    deadline = time.monotonic() + 60
    while len(mlflow.search_traces(locations=[exp], return_type="list")) < len(CASES):
        assert time.monotonic() < deadline, "the traces were not written during the run"
        time.sleep(0.5)
    mlflow_id = live.finish(result, verdicts(result.suites, result.results))
    assert mlflow_id == suite_run == tracking.find_logged("live", live_uri)
    assert client.get_run(mlflow_id).info.status == "FINISHED"
    found = _traces(live_uri, mlflow_id)
    assert len(found) == len(CASES)  # no case written twice
    # the same traces as `cairo-evals log` writes from the run folder afterwards
    later_uri = f"sqlite:///{tmp_path}/later.db"
    later = _traces(later_uri, tracking.log_saved_run("live", str(tmp_path / "reports"), later_uri))
    assert sorted(map(_content, found)) == sorted(map(_content, later))
    for t in found:  # the cost the run counted is on each LM call: the store prices nothing itself
        for call in (s for s in t.data.spans if s.span_type == "CHAT_MODEL"):
            assert call.get_attribute("mlflow.llm.cost") == {"total_cost": 0.0}


def test_an_unreachable_server_never_fails_or_stalls_the_main_command(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    args = ["run", "--cases", "owned-counter", "--out", str(tmp_path), "--run-id", "dead"]
    start = time.monotonic()
    with caplog.at_level("WARNING", logger="harness.tracking"):
        code = main([*args, "--mlflow-uri", "http://127.0.0.1:9"])
    assert code == 0 and (tmp_path / "dead" / "results.jsonl").is_file()
    assert "cairo-evals log dead" in caplog.text
    assert time.monotonic() - start < 60  # the run itself is most of it (issue 16: < 30 s added)
