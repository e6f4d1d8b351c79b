"""`cairo-evals optimize`, offline: GEPA and MIPROv2 on the starter suite with the real wasm
compiler, the real RAG pipeline (pgserver) and a real MLflow store.

No model is reachable here, so the program's LM and the reflection LM are the SCRIPTED demo ones
(`py:harness.demo:program_lm`, `py:harness.demo:reflection_lm`): the student makes its sample's
mistake until its instructions quote the review that names it; the reflector adds the feedback
lines it is shown to the instruction. Tests that use them say "scripted" in their names.
"""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import atexit
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dspy
import pytest
import yaml

from harness.cairo import Compiler
from harness.cli import main
from harness.demo import LESSONS, program_lm, reflection_lm, sample_answer
from harness.judge import make_judge
from harness.lm import prompt_text
from harness.metric import Scorer
from harness.optimize import Optimization, OptimizeOptions, describe, restrict, split_cases
from harness.runner import UsageError
from harness.suite import load_suite

pytestmark = pytest.mark.wasm

REPO = Path(__file__).resolve().parents[1]
# The eight cases the scripted demo models were written around (4 train, 2 val, 2 test), copied
# out of the starter suite: its other cases make a 20-call GEPA budget say nothing.
ORIGINAL_EIGHT = (
    "checked-factorial", "span-utils", "shapes", "robot-commands",
    "parse-number", "loops", "strings", "generics",
)  # fmt: skip


def _small_suite() -> str:
    """suites/cairo-basics.yaml with only ORIGINAL_EIGHT, and their goldens, in a temporary root."""
    root = Path(tempfile.mkdtemp(prefix="cairo-evals-optimize-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    data = yaml.safe_load((REPO / "suites" / "cairo-basics.yaml").read_text())
    data["cases"] = [c for c in data["cases"] if c["id"] in ORIGINAL_EIGHT]
    data["thresholds"] = {}
    for case in data["cases"]:
        for key in ("golden", "tests"):
            if case.get(key):
                (root / case[key]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO / case[key], root / case[key])
    (root / "suites").mkdir()
    (root / "suites" / "cairo-basics.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return str(root / "suites" / "cairo-basics.yaml")


SUITE = _small_suite()
PROGRAM_LM = "py:harness.demo:program_lm"
REFLECTION_LM = "py:harness.demo:reflection_lm"
GENERATION = "harness.rag_RagPipeline.generation"
TINY_GEPA = [
    SUITE,
    "--lm", PROGRAM_LM,
    "--reflection-lm", REFLECTION_LM,
    "--predictors", "generation",
    "--val-split", "train,val",  # the scripted lessons are case-specific: val must see train cases
    "--max-metric-calls", "20",
    "--threads", "2",
]  # fmt: skip


@pytest.fixture(scope="module")
def verdicts_compiled_without_a_deadline() -> None:
    """Every answer the scripted student can give (its sample, or the golden once told) is scored
    once before any optimisation, through the metric's own path but with a compile deadline no
    loaded machine misses. The optimisations below then read these verdicts from the compile
    cache instead of racing a 180 s deadline on a busy machine: a compile that timed out under
    load made GEPA accept no candidate (and the optimised prompt stay at version 1)."""
    suite = load_suite(SUITE)
    answers = [(c, sample_answer(REPO, c)) for c in suite.cases]
    answers += [
        (c, f"Here is a corrected solution.\n\n```cairo\n{c.golden.rstrip()}\n```\n") for c in suite.cases
    ]

    async def score_all() -> list:
        with Compiler(suite.compiler, timeout=3600) as compiler:
            scorer = Scorer(compiler, make_judge("heuristic"), suite.dependencies)
            return await asyncio.gather(*(scorer.ascore(c, text, suite.scoring) for c, text in answers))

    results = asyncio.run(score_all())
    faults = [(r.case, r.fault) for r in results if r.status != "ok"]
    assert not faults, f"the compile layer failed on answers the tests rely on: {faults}"


@pytest.fixture(scope="module")
def gepa_run(tmp_path_factory: pytest.TempPathFactory, verdicts_compiled_without_a_deadline: None) -> dict:
    """One tiny offline GEPA optimisation through the CLI, logged to a fresh MLflow store."""
    root = tmp_path_factory.mktemp("optimize")
    uri = f"sqlite:///{root}/mlruns.db"
    out = root / "reports"
    code = main(["optimize", *TINY_GEPA, "--out", str(out), "--mlflow-uri", uri])
    (opt_id,) = [p.name for p in out.iterdir() if (p / "optimize.json").is_file()]
    return {"code": code, "out": out, "uri": uri, "id": opt_id, "folder": out / opt_id}


def test_scripted_gepa_run_completes_and_writes_the_optimised_program(gepa_run: dict) -> None:
    assert gepa_run["code"] == 0
    folder = gepa_run["folder"]
    saved = json.loads((folder / "program.json").read_text())
    assert set(saved) >= {"query_processor", "retrieval_judge", "generation"}  # frozen ones kept
    assert LESSONS in saved["generation"]["signature"]["instructions"]
    assert "index_of_max_first_occurrence" in saved["generation"]["signature"]["instructions"]
    outcome = json.loads((folder / "optimizer.json").read_text())
    assert outcome["changed"] == ["generation"]
    assert outcome["best_val_score"] > outcome["seed_val_score"]
    assert (folder / "gepa" / "gepa_state.bin").is_file()  # GEPA's checkpoint, resumable
    summary = (folder / "summary.md").read_text()  # for CI job summaries
    seed = f"{outcome['seed_val_score']:.3f}"
    assert f"| baseline | {seed} |" in summary and "generation v2" in summary
    assert "| cairo-basics::generics | 1.000 | 1.000 | +0.000 | pass |" in summary
    for role in ("baseline", "optimized"):
        results = [
            json.loads(x) for x in (gepa_run["out"] / f"{gepa_run['id']}-{role}" / "results.jsonl").open()
        ]
        assert sorted(r["case"] for r in results) == ["generics", "parse-number"]  # the test split only


def test_scripted_gepa_run_is_three_linked_mlflow_runs_with_different_prompt_versions(gepa_run: dict) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=gepa_run["uri"], registry_uri=gepa_run["uri"])
    exps = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(exps, f"tags.`cairo_evals.optimize_id` = '{gepa_run['id']}'")
    candidates = [r for r in runs if r.data.tags["cairo_evals.role"] == "candidate"]
    by_role = {r.data.tags["cairo_evals.role"]: r for r in runs if r not in candidates}
    assert sorted(by_role) == ["baseline", "optimized", "optimizer"]
    optimizer = by_role["optimizer"]
    # each candidate GEPA scored on the val cases: a nested run with its score and instructions
    assert len(candidates) >= 2
    assert {c.data.tags["mlflow.parentRunId"] for c in candidates} == {optimizer.info.run_id}
    scores = [c.data.metrics["val_score"] for c in candidates]
    assert max(scores) == pytest.approx(optimizer.data.metrics["val_best_score"])
    assert any(LESSONS in c.data.params.get("instructions.generation", "") for c in candidates)
    assert optimizer.data.tags["cairo_evals.baseline_run"] == by_role["baseline"].info.run_id
    assert optimizer.data.tags["cairo_evals.optimized_run"] == by_role["optimized"].info.run_id
    assert by_role["baseline"].data.tags[f"prompt.{GENERATION}"] == "1"
    assert by_role["optimized"].data.tags[f"prompt.{GENERATION}"] == "2"
    frozen = "prompt.harness.rag_RagPipeline.query_processor"
    assert by_role["baseline"].data.tags[frozen] == by_role["optimized"].data.tags[frozen] == "1"
    assert optimizer.data.tags[f"prompt.{GENERATION}"] == "2"
    assert optimizer.data.tags[f"baseline_prompt.{GENERATION}"] == "1"
    metrics = optimizer.data.metrics
    assert metrics["val_best_score"] > metrics["val_seed_score"]
    assert {"test_baseline_mean", "test_optimized_mean", "test_delta"} <= set(metrics)
    assert "test_ci_low" not in metrics  # 2 test cases: too few for an interval, so none is logged
    assert optimizer.data.params["optimizer"] == "gepa"
    assert optimizer.data.params["test_cases"] == "parse-number,generics"  # suite order
    artifacts = {a.path for a in client.list_artifacts(optimizer.info.run_id)}
    assert {"program.json", "optimizer.json", "optimize.json"} <= artifacts
    version = client.get_prompt_version(GENERATION, 2)
    assert LESSONS in json.dumps(version.template)


def test_scripted_gepa_resume_redoes_nothing_and_logs_nothing_twice(
    gepa_run: dict, capsys: pytest.CaptureFixture
) -> None:
    from mlflow.tracking import MlflowClient

    program = (gepa_run["folder"] / "program.json").read_text()
    code = main(
        [
            "optimize",
            "--resume",
            gepa_run["id"],
            "--out",
            str(gepa_run["out"]),
            "--mlflow-uri",
            gepa_run["uri"],
        ]
    )
    assert code == 0
    assert (gepa_run["folder"] / "program.json").read_text() == program
    printed = capsys.readouterr().out
    assert (
        "before / after" in printed and "cairo-basics::generics" in printed and "not enough cases" in printed
    )
    client = MlflowClient(tracking_uri=gepa_run["uri"])
    exps = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(exps, f"tags.`cairo_evals.optimize_id` = '{gepa_run['id']}'")
    top = [r for r in runs if r.data.tags["cairo_evals.role"] != "candidate"]
    assert len(top) == 3  # baseline, optimized, optimizer: each once
    candidates = [r for r in runs if r.data.tags["cairo_evals.role"] == "candidate"]
    assert len(candidates) == len({r.data.tags["cairo_evals.candidate"] for r in candidates})  # none twice


def test_compare_prints_the_baseline_and_optimised_table(
    gepa_run: dict, capsys: pytest.CaptureFixture
) -> None:
    a, b = (f"{gepa_run['id']}-{role}" for role in ("baseline", "optimized"))
    assert main(["compare", a, b, "--out", str(gepa_run["out"])]) == 0
    printed = capsys.readouterr().out
    assert a in printed and "(A)" in printed
    assert "cairo-basics::parse-number" in printed and "not enough cases" in printed  # 2 test cases


@pytest.mark.usefixtures("verdicts_compiled_without_a_deadline")
def test_scripted_optimizer_never_sees_a_test_case(tmp_path: Path) -> None:
    """The student's every request during GEPA is about a train or val case, never a test one."""
    student, reflector = program_lm(), reflection_lm()
    opts = OptimizeOptions(
        suite=SUITE,
        lm="student",
        reflection_lm="reflector",
        predictors=("generation",),
        max_metric_calls=12,
        threads=2,
        out=str(tmp_path),
    )
    opt = Optimization(opts, lms={"student": student, "reflector": reflector})
    opt.optimize()
    asked = [m.text or "" for r in student.engine.requests for m in r.messages[-1:]]  # type: ignore[attr-defined]
    assert asked
    for case in opt.splits.test:
        assert not any(case.query in text for text in asked), f"test case {case.id} reached the optimizer"
    assert any(case.query in text for case in opt.splits.train for text in asked)
    assert any("examples_with_feedback" in prompt_text(r) for r in reflector.engine.requests)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("verdicts_compiled_without_a_deadline")
def test_scripted_miprov2_run_completes(tmp_path: Path) -> None:
    code = main(
        [
            "optimize", SUITE, "--optimizer", "miprov2", "--trials", "2",
            "--lm", PROGRAM_LM, "--reflection-lm", REFLECTION_LM, "--predictors", "generation",
            "--threads", "2", "--out", str(tmp_path), "--no-mlflow",
        ]
    )  # fmt: skip
    assert code in (0, 1)  # 1 would be an honest regression on the test split
    (folder,) = [p for p in tmp_path.iterdir() if (p / "optimize.json").is_file()]
    outcome = json.loads((folder / "optimizer.json").read_text())
    assert outcome["optimizer"] == "miprov2" and 0.0 <= outcome["seed_val_score"] <= 1.0
    assert (folder / "program.json").is_file()


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--train-split", "train,test"), ("--train-split", "test"), ("--val-split", "val,test")],
)
def test_test_split_in_the_optimizer_is_refused(flag: str, value: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["optimize", SUITE, "--lm", PROGRAM_LM, flag, value, "--no-mlflow"]) == 2
    err = capsys.readouterr().err
    assert f"{flag} {value}: the test split is held out" in err
    assert "parse-number, generics" in err  # it names the held-out cases


def test_a_suite_without_test_cases_cannot_be_optimised(tmp_path: Path) -> None:
    suite = load_suite(SUITE)
    from dataclasses import replace

    no_test = replace(suite, cases=tuple(replace(c, split="train") for c in suite.cases))
    with pytest.raises(UsageError, match="no case has split test"):
        split_cases(no_test, ("train",), ("val",))
    with pytest.raises(UsageError, match="expected train and/or val"):
        split_cases(suite, ("training",), ("val",))


def test_no_val_cases_fall_back_to_train_with_a_note() -> None:
    suite = load_suite(SUITE)
    from dataclasses import replace

    no_val = replace(
        suite, cases=tuple(replace(c, split="train") if c.split == "val" else c for c in suite.cases)
    )
    splits = split_cases(no_val, ("train",), ("val",))
    assert splits.val == splits.train and "no val cases" in (splits.note or "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--lm", "replay:suites/recordings/cairo-basics.jsonl"],
            "a replay recording answers only the prompts",
        ),
        (
            ["--lm", PROGRAM_LM, "--predictors", "nope"],
            "no predictor named nope (the program has: query_processor",
        ),
        (["--lm", PROGRAM_LM, "--program", "golden"], "golden has no DSPy predictors"),
        (["--lm", "py:nosuch.module:lm"], "cannot import 'nosuch.module'"),
    ],
)
def test_bad_optimize_options_fail_before_any_work(
    args: list[str], message: str, capsys, tmp_path: Path
) -> None:
    assert main(["optimize", SUITE, *args, "--out", str(tmp_path), "--no-mlflow"]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing started


@pytest.mark.parametrize("optimizer", ["gepa", "miprov2"])
def test_a_reflection_lm_without_its_api_key_fails_before_any_work(optimizer: str, tmp_path: Path) -> None:
    """The reflection LM (MIPROv2's prompt model) is checked like the evaluation LMs: a LiteLLM
    model whose key is not set is exit 2 naming the variable, before the optimizer starts."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "optimize", SUITE, "--lm", PROGRAM_LM, "--optimizer", optimizer,
         "--reflection-lm", "openai/gpt-4o-mini", "--out", str(tmp_path), "--no-mlflow"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: --reflection-lm openai/gpt-4o-mini: OPENAI_API_KEY is not set")
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing started


def test_restrict_shows_optimizers_only_the_chosen_predictors_and_saves_all() -> None:
    module = dspy.ChainOfThought("query -> answer")
    pair = dspy.Module()
    pair.first, pair.second = dspy.Predict("query -> answer"), dspy.Predict("query -> answer")
    original = restrict(pair, ["second"])
    assert [n for n, _ in pair.named_predictors()] == ["second"]
    assert [n for n, _ in pair.deepcopy().named_predictors()] == ["second"]  # copies keep the view
    pair.__class__ = original
    assert [n for n, _ in pair.named_predictors()] == ["first", "second"]
    with pytest.raises(UsageError, match="no predictor named x"):
        restrict(module, ["x"])


@pytest.mark.usefixtures("verdicts_compiled_without_a_deadline")
def test_scripted_gepa_killed_halfway_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    """kill -9 during GEPA, then --resume: GEPA reloads its saved state instead of starting over."""
    out = tmp_path / "reports"
    args = [*TINY_GEPA, "--lm", "py:tests.programs_under_test:slow_demo_lm", "--out", str(out), "--no-mlflow"]

    def start(*cli_args: str, delay: str, log: Path) -> subprocess.Popen:
        with log.open("w") as sink:
            return subprocess.Popen(
                [sys.executable, "-m", "harness.cli", "optimize", *cli_args],
                cwd=REPO,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, "CAIRO_EVALS_TEST_DELAY": delay},
                start_new_session=True,
            )

    killed = start(*args, delay="0.3", log=tmp_path / "killed.log")
    deadline = time.monotonic() + 600
    # GEPA saves its state as each iteration starts: once iteration 2 began, iteration 1's
    # accepted candidate is on disk.
    while time.monotonic() < deadline and killed.poll() is None:
        if "Iteration 2:" in (tmp_path / "killed.log").read_text():
            break
        time.sleep(0.1)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    before = (tmp_path / "killed.log").read_text()
    assert "Iteration 1: Accepted candidate" in before, before[-3000:]
    (state,) = out.glob("*/gepa/gepa_state.bin")
    folder = state.parent.parent
    assert not (folder / "program.json").exists()  # killed before the optimizer finished

    resumed = start(
        "--resume", folder.name, "--out", str(out), "--no-mlflow", delay="0", log=tmp_path / "resumed.log"
    )
    assert resumed.wait(timeout=1200) == 0, (tmp_path / "resumed.log").read_text()[-3000:]
    log = (tmp_path / "resumed.log").read_text()
    assert "Loading gepa state from run dir" in log
    # A fresh GEPA run logs "Iteration 0: Base program …"; a resumed one the iteration it reloaded.
    assert "Iteration 0: Base program" not in log and re.search(r"Iteration [1-9]\d*: Base program", log)
    assert "Iteration 1: Proposed new text" not in log  # iteration 1 was not done again
    assert "Selected program 1 " in log  # its accepted candidate came back from the checkpoint
    outcome = json.loads((folder / "optimizer.json").read_text())
    assert outcome["changed"] == ["generation"] and (folder / "program.json").is_file()


def test_the_plan_warns_when_the_test_split_is_too_small_to_tell(tmp_path: Path) -> None:
    opts = OptimizeOptions(suite=SUITE, lm=PROGRAM_LM, predictors=("generation",), out=str(tmp_path))
    lines = describe(Optimization(opts))
    assert any("warning: the test split has 2 case(s)" in line for line in lines)
