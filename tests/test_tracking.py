"""MLflow tracking of a real offline run of the starter suites, into a temporary sqlite store:
params, metrics, the case table, prompt versions (new only when a prompt changes), an
unreachable server, and a run folder uploaded later."""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import argparse
import asyncio
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

import dspy
import pytest

from harness import prompts, tracking
from harness.gate import verdicts
from harness.program import load_program
from harness.report import write_reports
from harness.runner import Runner, RunOptions, RunResult

mlflow = pytest.importorskip("mlflow")

RAG = "harness.rag:RagPipeline"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture(scope="module")
def uri(store: Path) -> str:
    return f"sqlite:///{store}/mlruns.db"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, RunResult]:
    runner = Runner(RunOptions(out=str(tmp_path_factory.mktemp("reports"))))
    result = asyncio.run(runner.run())
    write_reports(result, verdicts(result.suites, result.results))
    return runner, result


@pytest.fixture(scope="module")
def logged(run: tuple[Runner, RunResult], uri: str) -> str:
    runner, result = run
    mlflow_id = tracking.log_run(
        result, verdicts(result.suites, result.results), runner.opts, runner.programs, uri=uri
    )
    assert mlflow_id is not None
    return mlflow_id


def _runs(uri: str, run_id: str) -> list:
    client = tracking.client_for(uri)
    exps = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(exps, filter_string=f"tags.`cairo_evals.run_id` = '{run_id}'")


def test_the_run_is_logged_with_params_metrics_and_nested_suites(
    logged: str, run: tuple[Runner, RunResult], uri: str, store: Path
) -> None:
    _, result = run
    mlflow.set_tracking_uri(uri)
    df = mlflow.search_runs(experiment_names=[tracking.MULTI_SUITE_EXPERIMENT])
    parent = df[df.run_id == logged].iloc[0]
    assert parent["tags.cairo_evals.run_id"] == result.run_id
    assert parent["params.program"] == RAG
    assert parent["params.compiler_backend"] in ("native", "wasm", "scarb")
    assert parent["params.compiler_version"] != "unknown"
    assert parent["params.repeats"] == "1"
    assert parent["params.concurrency"] == "8"
    assert parent["params.git_commit"]
    for name in ("mean_score", "compile_rate", "tests_pass_rate", "tokens", "cost", "wall_s"):
        assert f"metrics.{name}" in df.columns
    assert 0 < parent["metrics.mean_score"] <= 1

    children = [r for r in _runs(uri, result.run_id) if r.data.tags.get("mlflow.parentRunId") == logged]
    assert sorted(r.data.tags["cairo_evals.suite"] for r in children) == sorted(s.name for s in result.suites)
    v = {x.suite.name: x for x in verdicts(result.suites, result.results)}
    for child in children:
        name = child.data.tags["cairo_evals.suite"]
        m, p = child.data.metrics, child.data.params
        assert m["mean_score"] == pytest.approx(v[name].figures["mean_score"])
        assert m["compile_rate"] == pytest.approx(v[name].figures["compile_rate"])
        if not v[name].figures["cases"]:  # nothing judged (starknet-snforge where no snforge runs)
            assert "pass_at_k_1" not in m and not any(k.startswith("tag.") for k in m)
        else:
            assert m["pass_at_k_1"] == pytest.approx(v[name].pass_at_k[1])
            assert any(k.startswith("tag.") and k.endswith(".mean_score") for k in m)
        assert len(p["suite_hash"]) == 64
        assert any(k.startswith("prompt.") for k in child.data.tags)
        # artifacts: the table and each case's code + feedback, under the store, not ./mlruns
        local = Path(mlflow.artifacts.download_artifacts(run_id=child.info.run_id, tracking_uri=uri))
        table = json.loads((local / "cases.json").read_text())
        assert {"case", "score", "passed", "compiled", "judge_score", "feedback"} <= set(table["columns"])
        assert len(table["data"]) == sum(r.suite == name for r in result.results)
        assert list((local / "cases").glob("*.feedback.txt"))
        assert list((local / "cases").glob("*.cairo"))
    parent_files = {Path(a.path).name for a in tracking.client_for(uri).list_artifacts(logged)}
    assert {"results.jsonl", "report.html", "summary.md"} <= parent_files
    assert (store / "mlartifacts" / tracking.MULTI_SUITE_EXPERIMENT).is_dir()
    assert not (Path.cwd() / "mlruns").exists() or not any((Path.cwd() / "mlruns").iterdir())


def test_prompts_are_registered_once_and_versioned_on_change(logged: str, uri: str) -> None:
    program = load_program(RAG)
    assert program.module is not None
    first = prompts.register_prompts(program.name, program.module, uri)
    names = {prompts.prompt_name(RAG, n) for n, _ in program.module.named_predictors()}
    assert set(first) == names and all(v >= 1 for v in first.values())
    # the same prompts again: no new version (log_run already registered them)
    assert prompts.register_prompts(program.name, program.module, uri) == first
    loaded = mlflow.genai.load_prompt(f"prompts:/{sorted(first)[0]}/{first[sorted(first)[0]]}")
    assert loaded.template  # the rendered chat messages

    program.module.generation.signature = program.module.generation.signature.with_instructions(
        "Answer in Cairo. Be brief."
    )
    changed = prompts.register_prompts(program.name, program.module, uri)
    bumped = {n for n in changed if changed[n] != first[n]}
    assert bumped == {prompts.prompt_name(RAG, "generation")}
    assert (
        changed[prompts.prompt_name(RAG, "generation")] == first[prompts.prompt_name(RAG, "generation")] + 1
    )


def test_rendered_prompt_is_what_the_chat_adapter_sends() -> None:
    program = load_program(RAG)
    assert program.module is not None
    rendered = prompts.render_prompts(program.module)
    msgs = rendered["generation"]
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert "expert Cairo and Starknet developer" in msgs[0]["content"]
    assert "[[ ## query ## ]]\n{{query}}" in msgs[1]["content"]
    # demos are sent as earlier user/assistant turns
    program.module.generation.demos = [
        dspy.Example(query="add two u8", chat_history="", context="", answer="```cairo\nfn f() {}\n```")
    ]
    with_demo = prompts.render_prompts(program.module)["generation"]
    assert [m["role"] for m in with_demo] == ["system", "user", "assistant", "user"]
    assert "add two u8" in with_demo[1]["content"]
    assert prompts.prompt_name("pkg:Prog v2", "a.b") == "pkg_Prog_v2.a.b"  # registry-safe characters
    # A saved program (an optimizer's output) names the same prompts: it is their next version.
    assert prompts.prompt_name("pkg.mod:Prog@out/p v1.json", "a.b") == "pkg.mod_Prog.a.b"


def test_unreachable_server_returns_none(
    run: tuple[Runner, RunResult], caplog: pytest.LogCaptureFixture
) -> None:
    runner, result = run
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="harness.tracking"):
        got = tracking.log_run(
            result,
            verdicts(result.suites, result.results),
            runner.opts,
            runner.programs,
            uri="http://127.0.0.1:9",
        )
    assert got is None
    assert time.monotonic() - start < 15
    assert "MLflow logging failed" in caplog.text
    assert (result.folder / "results.jsonl").is_file()


def test_log_saved_run_uploads_a_folder_later(run: tuple[Runner, RunResult], store: Path) -> None:
    _, result = run
    uri = f"sqlite:///{store}/later.db"
    # a folder from the CLI: `log RUN_ID --out ... --mlflow-uri ...`
    sub = argparse.ArgumentParser().add_subparsers()
    tracking.add_commands(sub)
    prompts.add_commands(sub)
    args = sub.choices["log"].parse_args(
        [result.run_id, "--out", str(result.folder.parent), "--mlflow-uri", uri]
    )
    assert args.func(args) == 0
    mlflow_id = tracking.find_logged(result.run_id, uri)
    assert mlflow_id is not None
    got = tracking.client_for(uri).get_run(mlflow_id)
    assert got.data.tags["cairo_evals.run_id"] == result.run_id
    assert "mean_score" in got.data.metrics
    # a second upload finds it and does not log again
    assert tracking.log_saved_run(result.run_id, str(result.folder.parent), uri) == mlflow_id
    assert len([r for r in _runs(uri, result.run_id) if "mlflow.parentRunId" not in r.data.tags]) == 1


def test_single_suite_run_goes_to_the_suite_experiment(run: tuple[Runner, RunResult], store: Path) -> None:
    runner, result = run
    uri = f"sqlite:///{store}/single.db"
    name = result.suites[0].name
    single = replace(result, results=[r for r in result.results if r.suite == name])
    mlflow_id = tracking.log_run(single, verdicts(result.suites, single.results), runner.opts, uri=uri)
    assert mlflow_id is not None
    client = tracking.client_for(uri)
    got = client.get_run(mlflow_id)
    assert client.get_experiment(got.info.experiment_id).name == name
    assert got.data.params["suite"] == name
    assert "cases.json" in {a.path for a in client.list_artifacts(mlflow_id)}
