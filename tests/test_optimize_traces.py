"""Issue 21 item 5: every candidate an optimizer scores on the val cases is inspectable in MLflow
(a nested run with its val score, its prompt version and a trace per val case with the run's
assessments), and the baseline and optimised test-split runs compare case by case.

Real DSPy GEPA and MIPROv2 over real HTTP against the OpenAI-compatible stand-in
(`tests/openai_stand_in.py`: no model's weights exist here, so every test name says
"stand-in"), the real native compiler and a real sqlite MLflow store. Cases are small Cairo
programs (`f3() -> u32` returning 3) with a test each; a "wrong" answer does not compile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.demo import _propose
from harness.optimize import read_trail
from harness.prompts import prompt_name
from harness.tracking import PROMPT_RUNS_TAG
from tests.openai_stand_in import Call, OpenAIStandIn, Slow
from tests.test_live_http import LESSON, _environment, case_of, golden, learner, spec, stand_in, wrong  # noqa: F401

pytestmark = pytest.mark.native  # answers are scored by the native compiler, for real
REPO = Path(__file__).resolve().parents[1]
PROGRAM = "tests.programs_under_test:AsyncCoder"
PROMPT = prompt_name(PROGRAM, "generate")
VAL = {"c1", "c4"}
TEST = {"c2", "c5"}


def write_suite(folder: Path, n: int = 6) -> Path:
    """`n` cases, each with a test, split train/val/test in turn: train c0 c3, val c1 c4, test c2 c5."""
    lines = ["suite: candidates", "cases:"]
    for i in range(n):
        lines += [
            f"  - id: c{i}",
            f"    query: Write `f{i}() -> u32` returning {i}.",
            "    golden: |",
            f"      fn f{i}() -> u32 {{ {i} }}",
            "    tests: |",
            "      #[cfg(test)]",
            "      mod tests {",
            f"          use super::f{i};",
            "          #[test]",
            f"          fn returns_{i}() {{ assert(f{i}() == {i}, 'wrong number'); }}",
            "      }",
            "    kind: program",
            f"    split: {['train', 'val', 'test'][i % 3]}",
        ]
    path = folder / "candidates.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def optimize(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], srv: OpenAIStandIn, *args: str
) -> tuple[int, str, str, Path]:
    suite = write_suite(tmp_path)
    uri = f"sqlite:///{tmp_path}/mlruns.db"
    capsys.readouterr()
    code = main(
        ["optimize", str(suite), "--program", PROGRAM, "--lm", spec(srv, "openai/student"),
         "--reflection-lm", spec(srv, "openai/reflector"), "--threads", "2",
         "--out", str(tmp_path / "out"), "--mlflow-uri", uri, *args]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert srv.script_errors == []
    (folder,) = [p for p in (tmp_path / "out").iterdir() if (p / "optimize.json").is_file()]
    return code, out, err, folder


def traces_of(client: Any, run: Any) -> list[Any]:
    found = client.search_traces(locations=[run.info.experiment_id], run_id=run.info.run_id)
    return sorted(found, key=lambda t: t.info.tags["cairo_evals.case"])


def feedback(trace: Any, name: str) -> Any:
    (found,) = [a for a in trace.info.assessments if a.name == name]
    return found


def logged_runs(uri: str, opt_id: str) -> tuple[dict[str, Any], list[Any], Any]:
    import mlflow

    client = mlflow.MlflowClient(uri, registry_uri=uri)
    exp = client.get_experiment_by_name("candidates").experiment_id
    runs = client.search_runs([exp], f"tags.`cairo_evals.optimize_id` = '{opt_id}'")
    candidates = [r for r in runs if r.data.tags["cairo_evals.role"] == "candidate"]
    top = {r.data.tags["cairo_evals.role"]: r for r in runs if r not in candidates}
    return top, sorted(candidates, key=lambda r: int(r.data.tags["cairo_evals.candidate"])), client


def check_candidate(client: Any, run: Any, folder: Path, outcome: dict[str, Any]) -> tuple[list[Any], int]:
    """What every candidate run must hold; its traces and its prompt version."""
    index = int(run.data.tags["cairo_evals.candidate"])
    (entry,) = [c for c in outcome["candidates"] if c["index"] == index]
    traces = traces_of(client, run)
    # one trace per val case the candidate was scored on, nothing from train or test
    assert [t.info.tags["cairo_evals.case"] for t in traces] == sorted(VAL)
    for t in traces:
        if t.info.tags["cairo_evals.tier"] == "None":  # the program failed: no code to judge
            assert feedback(t, "score").value == 0.0 and not feedback(t, "compiled").value
            assert "the program failed" in feedback(t, "score").rationale
            continue
        assert {"score", "tier", "tests_passed", "compiled", "judge", "golden", "tests"} <= {
            a.name for a in t.info.assessments
        }
        assert feedback(t, "tests_passed").value in ("0/1", "1/1")
        names = [s.name for s in t.data.spans]
        assert {"extract", "compile", "judge", "score"} <= set(names)
        assert ("tests" in names) == feedback(t, "compiled").value  # each test's result, when run
        assert [s for s in t.data.spans if s.span_type == "CHAT_MODEL"]  # the student's LM call
    # the traces are the scores the optimizer chose by: their mean is the candidate's val score
    scores = [feedback(t, "score").value for t in traces]
    assert sum(scores) / len(scores) == pytest.approx(entry["val_score"], abs=1e-4)
    assert run.data.metrics["val_score"] == pytest.approx(entry["val_score"])
    # its prompt: a registered version holding its instructions, linked to the run
    version = int(run.data.tags[f"prompt.{PROMPT}"])
    registered = client.get_prompt_version(PROMPT, version)
    system = registered.template[0]["content"]  # DSPy indents the instructions' lines: compare words
    assert " ".join(system.split()).endswith(" ".join(entry["instructions"]["generate"].split()))
    assert run.info.run_id in (registered.tags.get(PROMPT_RUNS_TAG) or "").split(",")
    assert f'"name": "{PROMPT}", "version": "{version}"' in run.data.tags["mlflow.linkedPrompts"]
    # the trail on disk that the run came from (written while the optimizer ran)
    record = read_trail(folder, entry["key"])
    assert record is not None and {r.case for r in record.results} == VAL
    return traces, version


def check_baseline_and_optimized(out: str, top: dict[str, Any], client: Any) -> None:
    """The two test-split runs: traces that line up case by case, and the printed UI link."""
    base, best = top["baseline"], top["optimized"]
    by_case = {role: traces_of(client, top[role]) for role in ("baseline", "optimized")}
    for role, traces in by_case.items():
        assert [t.info.tags["cairo_evals.case"] for t in traces] == sorted(TEST), role
    assert [t.info.tags["cairo_evals.case"] for t in by_case["baseline"]] == [
        t.info.tags["cairo_evals.case"] for t in by_case["optimized"]
    ]
    link = re.search(r"MLflow comparison \(baseline vs optimized.*?: (\S+)", out)
    assert link, out
    assert link.group(1).endswith(
        f"/#/experiments/{best.info.experiment_id}/evaluation-runs/{best.info.run_id}"
        f"/traces?compareToRunUuid={base.info.run_id}"
    )


def test_gepa_candidates_over_the_stand_in_are_runs_with_prompt_versions_and_a_trace_per_val_case(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[..., OpenAIStandIn],  # noqa: F811 (the fixture imported above)
) -> None:
    refusal = "I would rather not write Cairo today."
    srv = stand_in(learner(refusals={4: refusal}))  # no answer field: DSPy cannot parse it
    code, out, err, folder = optimize(tmp_path, capsys, srv, "--max-metric-calls", "8")
    assert code == 0, err
    outcome = json.loads((folder / "optimizer.json").read_text())
    top, candidates, client = logged_runs(f"sqlite:///{tmp_path}/mlruns.db", folder.name)
    assert len(candidates) == len(outcome["candidates"]) == 2  # the seed and the reflector's
    assert {c.data.tags["mlflow.parentRunId"] for c in candidates} == {top["optimizer"].info.run_id}
    (seed_traces, seed_version), (best_traces, best_version) = (
        check_candidate(client, run, folder, outcome) for run in candidates
    )
    # each trace belongs to its candidate: the seed's answer to c1 does not compile, the new
    # one's passes; neither's reply to c4 parses, and each is still a trace scored 0: the seed's
    # evaluation raised (dspy.Evaluate), the new one's came back as GEPA's FailedPrediction,
    # which GEPA scores without the metric
    assert [feedback(t, "tier").value for t in seed_traces] == ["does-not-compile", "unknown"]
    assert [feedback(t, "tier").value for t in best_traces] == ["passes", "unknown"]
    for t in (seed_traces[1], best_traces[1]):
        assert feedback(t, "score").value == 0.0 and refusal in feedback(t, "score").rationale
    assert "AdapterParseError" in feedback(seed_traces[1], "score").rationale
    assert "could not be parsed" in feedback(best_traces[1], "score").rationale
    # the seed's prompt is the baseline run's version, the winner's the optimised run's
    assert seed_version == int(top["baseline"].data.tags[f"prompt.{PROMPT}"]) == 1
    assert best_version == int(top["optimized"].data.tags[f"prompt.{PROMPT}"]) == 2
    check_baseline_and_optimized(out, top, client)


def test_miprov2_candidates_over_the_stand_in_are_runs_with_prompt_versions_and_a_trace_per_val_case(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[..., OpenAIStandIn],  # noqa: F811 (the fixture imported above)
) -> None:
    rule = "Cairo has no `as` casts"  # what the proposer (harness.demo's) adds to the instruction

    def script(call: Call) -> Any:
        if call.model == "reflector":  # MIPROv2's prompt model: data summary, instruction proposals
            return _propose(call.prompt)
        i = case_of(call)
        assert i is not None, call.last_user
        return golden(i) if rule in call.prompt else wrong(i)

    srv = stand_in(script)
    code, out, err, folder = optimize(tmp_path, capsys, srv, "--optimizer", "miprov2", "--trials", "2")
    assert code == 0, err
    outcome = json.loads((folder / "optimizer.json").read_text())
    top, candidates, client = logged_runs(f"sqlite:///{tmp_path}/mlruns.db", folder.name)
    assert len(candidates) == len(outcome["candidates"]) >= 2
    checked = [check_candidate(client, run, folder, outcome) for run in candidates]
    tiers = {feedback(t, "tier").value for traces, _ in checked for t in traces}
    assert tiers == {"does-not-compile", "passes"}  # the default instruction fails, the rule passes
    versions = {v for _, v in checked}
    assert int(top["baseline"].data.tags[f"prompt.{PROMPT}"]) in versions
    assert int(top["optimized"].data.tags[f"prompt.{PROMPT}"]) in versions
    check_baseline_and_optimized(out, top, client)


def test_gepa_killed_mid_run_keeps_every_val_trace_and_resume_logs_them_with_the_stand_in(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[..., OpenAIStandIn],  # noqa: F811 (the fixture imported above)
) -> None:
    """kill -9 in GEPA's second iteration, after both candidates were scored on val: `--resume`
    reloads the new candidate from GEPA's checkpoint and never scores it on val again (GEPA does
    score the seed again as it starts), yet its run has its two traces, from the killed
    process's trail on disk."""
    phase = {"killing": True}
    held: list[int] = []  # train cases held back once both candidates were scored on val
    teach = learner()

    def script(call: Call) -> Any:
        answer = teach(call)
        if call.model == "reflector":
            return answer
        i = case_of(call)
        val_done = [c for c in srv.chat_calls("student") if case_of(c) in (1, 4) and LESSON in c.prompt]
        if phase["killing"] and i in (0, 3) and len(val_done) >= 2:
            held.append(i)
            return Slow(30, answer)  # iteration 2's minibatch: the process is killed while it waits
        return answer

    srv = stand_in(script)
    suite, out, uri = write_suite(tmp_path), tmp_path / "out", f"sqlite:///{tmp_path}/mlruns.db"
    with (tmp_path / "killed.log").open("w") as sink:
        killed = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "optimize", str(suite), "--program", PROGRAM,
             "--lm", spec(srv, "openai/student"), "--reflection-lm", spec(srv, "openai/reflector"),
             "--max-metric-calls", "14", "--threads", "2", "--out", str(out), "--mlflow-uri", uri],
            cwd=REPO, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and killed.poll() is None and not held:
        time.sleep(0.1)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    log = (tmp_path / "killed.log").read_text()
    assert held and "Iteration 2:" in log, log[-3000:]
    (folder,) = [p for p in out.iterdir() if (p / "optimize.json").is_file()]
    assert not (folder / "program.json").exists()  # killed before the optimizer finished
    trails = {json.loads((p / "candidate.json").read_text())["predictors"]["generate"]["instructions"]: p
              for p in (folder / "candidates").iterdir()}  # fmt: skip
    (new,) = [p / "results.jsonl" for text, p in trails.items() if LESSON in text]
    (seed,) = [p / "results.jsonl" for text, p in trails.items() if LESSON not in text]
    assert len(new.read_text().splitlines()) == len(seed.read_text().splitlines()) == 2  # on disk

    phase["killing"] = False
    before = len(srv.chat_calls("student"))
    capsys.readouterr()
    code = main(["optimize", "--resume", folder.name, "--out", str(out), "--mlflow-uri", uri])
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert "Iteration 0: Base program" not in err  # GEPA resumed from its checkpoint
    again = [c for c in srv.chat_calls("student")[before:] if case_of(c) in (1, 4) and LESSON in c.prompt]
    assert again == []  # the new candidate was not scored on val again: its traces are the killed run's
    assert len(new.read_text().splitlines()) == 2
    assert len(seed.read_text().splitlines()) == 4  # GEPA scored the seed again: the last one counts
    outcome = json.loads((folder / "optimizer.json").read_text())
    top, candidates, client = logged_runs(uri, folder.name)
    assert len(candidates) == len(outcome["candidates"]) == 2
    (seed_traces, _), (best_traces, _) = (check_candidate(client, r, folder, outcome) for r in candidates)
    assert {feedback(t, "tier").value for t in seed_traces} == {"does-not-compile"}
    assert {feedback(t, "tier").value for t in best_traces} == {"passes"}
    check_baseline_and_optimized(printed, top, client)


def test_mlflow_ui_shows_a_candidates_traces_its_prompt_version_and_the_before_after_comparison(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stand_in: Callable[..., OpenAIStandIn],  # noqa: F811 (the fixture imported above)
) -> None:
    """The same GEPA optimisation over the stand-in, logged to a real `mlflow server` (the
    tracking-server path), then MLflow 3.17's UI in headless Chromium: the winning candidate's
    val traces with their assessments, the Prompts page listing the runs that used its version,
    and the link `optimize` prints, comparing the optimised test run to the baseline case by case.
    The PNGs go to reports/screenshots/mlflow-optimize-*.png (git-ignored)."""
    from harness import ui
    from tests.chromium_cdp import screenshot
    from tests.test_mlflow_ui_screenshots import CLOSE_ASSISTANT, SHOTS, SHOW_ASSESSMENTS, _free_port
    from tests.test_report_screenshot import chromium

    def shoot(name: str, url: str, wait_for: list[str], js: str) -> tuple[str, Any]:
        shot = tmp_path / f"mlflow-optimize-{name}.png"
        text, done = screenshot(
            chromium(), tmp_path / f"chromium-{name}", url, shot, (2400, 1200), wait_for, js
        )
        assert shot.is_file() and shot.stat().st_size > 20_000, name
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SHOTS / shot.name)
        return text, done

    chromium()  # fail early, with the install hint
    srv = stand_in(learner())
    suite = write_suite(tmp_path)
    with ui.UIServer("127.0.0.1", _free_port(), f"sqlite:///{tmp_path / 'mlruns.db'}") as server:
        server.wait_ready()
        uri = server.url.rstrip("/")
        capsys.readouterr()
        code = main(
            ["optimize", str(suite), "--program", PROGRAM, "--lm", spec(srv, "openai/student"),
             "--reflection-lm", spec(srv, "openai/reflector"), "--threads", "2", "--max-metric-calls", "8",
             "--out", str(tmp_path / "out"), "--mlflow-uri", uri]
        )  # fmt: skip
        out, err = capsys.readouterr()
        assert code == 0, err
        (folder,) = [p for p in (tmp_path / "out").iterdir() if (p / "optimize.json").is_file()]
        top, candidates, client = logged_runs(uri, folder.name)
        outcome = json.loads((folder / "optimizer.json").read_text())
        for run in candidates:
            check_candidate(client, run, folder, outcome)
        check_baseline_and_optimized(out, top, client)
        best = candidates[1]
        exp = best.info.experiment_id

        # 1. the winning candidate's val cases, with their assessments
        text, picked = shoot(
            "candidate",
            f"{uri}/#/experiments/{exp}/evaluation-runs/{best.info.run_id}/traces",
            [best.info.run_name, "tr-"],
            SHOW_ASSESSMENTS,
        )
        assert picked == ["score", "tier", "tests_passed", "tests"]
        assert best.info.run_name == "candidate 1 · val 1.0"
        for shown in ("returning 1.", "returning 4.", "passes", "1/1", "golden", "judge"):  # c1, c4
            assert shown in text, shown

        # 2. the Prompts page: version 2 (the winner's) lists the candidate run and the optimised run
        text, _ = shoot(
            "prompts", f"{uri}/#/prompts/{PROMPT}", [PROMPT, "Version 2", "MLflow runs:"], CLOSE_ASSISTANT
        )
        assert best.info.run_name in text and top["optimized"].info.run_name in text

        # 3. the printed link: the optimised test run against the baseline, case by case
        (link,) = re.findall(r"MLflow comparison \(baseline vs optimized.*?: (\S+)", out)
        assert link.startswith(uri + "/#/")  # on the tracking server the runs were logged to
        text, _ = shoot("compare", link, [top["optimized"].info.run_name, "tr-"], SHOW_ASSESSMENTS)
        for shown in ("returning 2.", "returning 5.", "does-not-compile", "passes", "0/1", "1/1"):
            assert shown in text, shown


def test_a_later_minibatch_score_cannot_replace_the_val_result_the_optimizer_recorded(tmp_path: Path) -> None:
    """A val case that is also a train case is scored again in GEPA's minibatches: the trace is
    the result whose score GEPA recorded on val, not the latest or the best; without GEPA's
    per-case scores, the latest. A torn last line (a kill mid-write) is skipped."""
    from harness.metric import CaseResult

    where = tmp_path / "candidates" / "k1"
    where.mkdir(parents=True)
    (where / "candidate.json").write_text(json.dumps({"key": "k1", "program": PROGRAM, "prompts": {}}))
    lines = [
        CaseResult("s", "c1", 0.1, "val: does not compile", False, False, tier="does-not-compile"),
        CaseResult("s", "c4", 0.9, "val", True, True, tier="passes"),
        CaseResult("s", "c1", 1.0, "minibatch, later: passes", True, True, tier="passes"),
    ]
    text = "".join(json.dumps(r.to_dict()) + "\n" for r in lines) + '{"suite": "s", "case": "c4", "sco'
    (where / "results.jsonl").write_text(text)
    recorded = read_trail(tmp_path, "k1", {"c1": 0.1, "c4": 0.9})
    assert recorded is not None
    assert [(r.case, r.score) for r in recorded.results] == [("c1", 0.1), ("c4", 0.9)]
    latest = read_trail(tmp_path, "k1")
    assert latest is not None and [(r.case, r.score) for r in latest.results] == [("c1", 1.0), ("c4", 0.9)]
    assert read_trail(tmp_path, "unknown") is None
