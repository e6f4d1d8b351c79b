"""MLflow 3.17's own UI on cairo-evals runs, in headless Chromium, through a real tracking server.

Two real offline runs of the RAG pipeline on four contract cases, driven by the scripted demo
student (`py:harness.demo:program_lm`, a stand-in for a model: no LLM is reachable here): the
shipped prompts (v1), then the pipeline with its generation instructions changed (v2 of that
prompt; the student fixes the ballot contract when told what its reviewer said). Both are
logged to `mlflow server` over HTTP (the tracking-server path; v1 after its run, v2 while it
runs, as the main command logs), then four pages are rendered and checked in the DOM:

- the evaluation run's per-case list with the assessments;
- the two evaluation runs compared case by case (the link `cairo-evals compare A B` prints);
- one case's trace, with its LM calls and the compile span;
- the Prompts page of the changed prompt, with the runs that used each version.

The PNGs are saved to reports/screenshots/mlflow-*.png (git-ignored). Chromium is required
(Debian package `chromium`); the test fails when it is missing.
"""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import shutil
import socket
from pathlib import Path

import pytest

from harness import tracking, ui
from harness.gate import verdicts
from harness.program import load_program
from harness.prompts import prompt_name
from harness.runner import Runner, RunOptions

from .chromium_cdp import screenshot
from .test_report_screenshot import chromium, png_size

mlflow = pytest.importorskip("mlflow")

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "reports" / "screenshots"
CASES = ("owned-counter", "scoreboard", "treasury", "ballot")
STUDENT = "py:harness.demo:program_lm"
TOLD = "Type not found: `Map`"  # what the ballot sample is fixed by being told
SUITE = "starknet-contracts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# what a person does in the per-case table: show every assessment (MLflow 3.17 shows the first
# ten columns, here two of our five assessments), then close the assistant panel
SHOW_ASSESSMENTS = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const columns = [...document.querySelectorAll('button')]
    .find(b => b.innerText.trim().startsWith('Columns'));
  columns.click(); await sleep(1000);
  const picked = [];
  for (const name of ['score', 'tier', 'tests_passed', 'tests']) {
    const item = [...document.querySelectorAll('[role=option]')].find(e => e.innerText.trim() === name);
    if (item) { item.click(); picked.push(name); await sleep(400); }
  }
  document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
  await sleep(300);
  const close = document.querySelector('button[aria-label=Close]');
  if (close) close.click();
  return picked;
})()"""
CLOSE_ASSISTANT = (
    "(() => { const b = document.querySelector('button[aria-label=Close]'); if (b) b.click(); })()"
)


def _shoot(tmp: Path, name: str, url: str, wait_for: list[str], script: str | None = None):
    shot = tmp / f"mlflow-{name}.png"
    profile = tmp / f"chromium-{name}"  # a fresh profile each page: the UI remembers column choices
    text, done = screenshot(chromium(), profile, url, shot, (2400, 1200), wait_for, script)
    assert shot.is_file() and shot.stat().st_size > 20_000, f"{name}: screenshot missing or trivially small"
    assert png_size(shot) == (2400, 1200)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SHOTS / shot.name)
    return text, done


def test_mlflow_ui_shows_cases_comparison_trace_and_prompts(tmp_path: Path) -> None:
    chromium()  # fail early, with the install hint
    port = _free_port()
    with ui.UIServer("127.0.0.1", port, f"sqlite:///{tmp_path / 'mlruns.db'}") as server:
        server.wait_ready()
        uri = server.url.rstrip("/")

        # v1: the shipped prompts; v2: the generation instructions with the reviewer's words
        program = load_program("harness.rag:RagPipeline")
        generation = program.module.generation
        generation.signature = generation.signature.with_instructions(
            generation.signature.instructions + f"\n\nReviewers said: {TOLD}."
        )
        saved = tmp_path / "told.json"
        program.module.save(str(saved))
        logged = {}
        for role, spec in (("v1", "harness.rag:RagPipeline"), ("v2", f"harness.rag:RagPipeline@{saved}")):
            opts = RunOptions(out=str(tmp_path / "runs"), cases=CASES, lm=STUDENT, program=spec)
            runner = Runner(opts)
            if role == "v1":  # logged after the run, as `cairo-evals log` does
                result = asyncio.run(runner.run())
                found = tracking.log_run(
                    result, verdicts(result.suites, result.results), opts, runner.programs, uri=uri
                )
            else:  # logged while it runs, each case's trace as it finishes, as `cairo-evals run` does
                runner.prepare()
                live = tracking.start_logging(runner, uri)
                result = asyncio.run(runner.run())
                found = live.finish(result, verdicts(result.suites, result.results))
            assert found is not None
            logged[role] = (found, result)
        client = tracking.client_for(uri)
        a, b = logged["v1"][0], logged["v2"][0]
        name_b = client.get_run(b).info.run_name
        assert name_b.endswith("prompts v1/v1/v2 · native (Cairo 2.16.0)"), name_b
        exp = client.get_run(b).info.experiment_id
        v1 = {r.case: r for r in logged["v1"][1].results}
        v2 = {r.case: r for r in logged["v2"][1].results}
        assert v2["ballot"].score > v1["ballot"].score  # told what was wrong, the student fixed it

        # 1. the evaluation run's cases with their assessments
        text, picked = _shoot(
            tmp_path,
            "evaluation-run",
            f"{uri}/#/experiments/{exp}/evaluation-runs/{b}/traces",
            [name_b, "tr-"],
            SHOW_ASSESSMENTS,
        )
        assert picked == ["score", "tier", "tests_passed", "tests"]
        for column in ("golden", "compiled", "judge", "score", "tests_passed", "tier"):
            assert column in text, column
        for r in v2.values():
            assert f"{r.tests_passed}/{r.tests_total}" in text and r.tier in text

        # 2. the two runs compared case by case: the link `cairo-evals compare A B` prints
        [link] = tracking.compare_links(logged["v1"][1].run_id, logged["v2"][1].run_id, uri)
        assert link == f"{uri}/#/experiments/{exp}/evaluation-runs/{b}/traces?compareToRunUuid={a}"
        text, picked = _shoot(tmp_path, "compare", link, [name_b, "tr-"], SHOW_ASSESSMENTS)
        assert picked == ["score", "tier", "tests_passed", "tests"]
        for r in (v1["ballot"], v2["ballot"]):  # 0/5 beside 5/5
            assert f"{r.tests_passed}/{r.tests_total}" in text
        for case in ("ballot", "owned-counter"):  # both runs' tiers of the case, side by side
            assert v1[case].tier in text and v2[case].tier in text

        # 3. one case's trace: the LM calls and the compile span
        mlflow.set_tracking_uri(uri)
        traces = mlflow.search_traces(run_id=b, locations=[exp], return_type="list")
        assert len(traces) == len(CASES)
        ballot = next(t for t in traces if t.info.tags["cairo_evals.case"] == "ballot")
        text, _ = _shoot(
            tmp_path,
            "trace",
            f"{uri}/#/experiments/{exp}/traces?selectedEvaluationId={ballot.info.trace_id}",
            ["compile", "LM scripted/demo", "retrieve", "judge"],
            CLOSE_ASSISTANT,
        )
        assert "Predict(query, chat_history, context -> answer)" in text

        # 4. the Prompts page: the changed prompt's versions, and the runs that used the version shown
        name = prompt_name("harness.rag:RagPipeline", "generation")
        text, _ = _shoot(
            tmp_path,
            "prompts",
            f"{uri}/#/prompts/{name}",
            [name, "Version 2", "MLflow runs:"],
            CLOSE_ASSISTANT,
        )
        assert name_b in text  # version 2 (shown first) was used by the run that was told
