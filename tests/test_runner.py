"""The runner for real: the CLI in a subprocess killed with SIGKILL and resumed, retries of
rate-limited LM calls (a scripted engine that fails, since no provider is reachable here),
selection, shards and the gates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dspy
import pytest

from harness.gate import evaluate, verdicts
from harness.lm import ScriptedEngine, chat_adapter_reply
from harness.metric import CaseResult
from harness.runner import Runner, RunOptions, RunResult, UsageError, in_shard, read_results, select
from harness.suite import load_suites

REPO = Path(__file__).resolve().parents[1]
SUITES = load_suites()
BASICS = next(s for s in SUITES if s.name == "cairo-basics")
SLOW = "tests.programs_under_test:SlowGolden"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def scores(folder: Path) -> dict[str, float]:
    return {r.nodeid: r.score for r in read_results(folder / "results.jsonl")}


def run_scripted(engine: ScriptedEngine, tmp_path: Path, **options: Any) -> RunResult:
    """Run cairo-basics with AsyncCoder over `engine`, DSPy's own retries off (only the runner retries)."""
    runner = Runner(
        RunOptions(
            program="tests.programs_under_test:AsyncCoder",
            lm="scripted",
            out=str(tmp_path),
            backoff=0.01,
            **options,
        ),
        suites=[BASICS],
        lms={"scripted": engine.lm(num_retries=0)},
    )
    return asyncio.run(runner.run())


@pytest.mark.wasm
def test_kill_9_halfway_then_resume_gives_the_uninterrupted_results(tmp_path: Path) -> None:
    common = [
        "run",
        "suites/cairo-basics.yaml",
        "--program",
        SLOW,
        "--concurrency",
        "2",
        "--out",
        str(tmp_path),
        "--no-mlflow",
    ]
    whole = cli(*common, env={"CAIRO_EVALS_TEST_DELAY": "0"})
    # A third of the answers have no code, so the suite's gates miss: exit 1, saying which.
    assert whole.wait(timeout=1200) == 1
    assert "gate missed: cairo-basics: mean_score" in (whole.stderr.read() if whole.stderr else "")
    (uninterrupted,) = list(tmp_path.iterdir())

    killed = cli(*common, env={"CAIRO_EVALS_TEST_DELAY": "1.5"})
    deadline = time.monotonic() + 600
    folder = None
    while time.monotonic() < deadline:
        folders = [p for p in tmp_path.iterdir() if p != uninterrupted]
        if folders and len(read_results(folders[0] / "results.jsonl")) >= 3:
            folder = folders[0]
            break
        time.sleep(0.2)
    assert folder is not None, "the run never got halfway"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    partial = len(read_results(folder / "results.jsonl"))
    assert 3 <= partial < len(BASICS.cases)

    resumed = cli(
        "run",
        "--resume",
        folder.name,
        "--out",
        str(tmp_path),
        "--no-mlflow",
        env={"CAIRO_EVALS_TEST_DELAY": "0"},
    )
    assert resumed.wait(timeout=1200) == 1
    assert scores(folder) == scores(uninterrupted)
    assert len(read_results(folder / "results.jsonl")) == len(BASICS.cases)  # nothing ran twice
    assert 0.0 in scores(folder).values() and 1.0 in scores(folder).values()


@pytest.mark.wasm
def test_rate_limited_lm_calls_are_retried_and_counted(tmp_path: Path) -> None:
    goldens = {c.query: c.golden for c in BASICS.cases}

    def respond(request: object) -> str:
        from harness.lm import prompt_text

        text = prompt_text(request)
        query = next(q for q in goldens if q in text)
        return chat_adapter_reply(answer=f"```cairo\n{goldens[query]}```")

    engine = ScriptedEngine(respond, fail_first=2)  # each distinct request fails twice first
    result = run_scripted(engine, tmp_path, retries=3, concurrency=4)
    assert len(result.results) == len(BASICS.cases)
    assert all(r.error is None for r in result.results)
    assert all(r.retries == 2 for r in result.results)
    assert all(r.tokens > 0 for r in result.results)
    assert min(r.score for r in result.results) >= 0.9


def test_a_rate_limit_that_outlasts_the_retries_is_a_harness_fault_not_a_verdict(tmp_path: Path) -> None:
    engine = ScriptedEngine(lambda r: chat_adapter_reply(answer="x"), fail_first=100)
    result = run_scripted(engine, tmp_path, retries=1, cases=("loops", "strings"))
    assert [r.case for r in result.results] == ["loops", "strings"]
    for r in result.results:
        assert r.status == "error" and r.error is None and r.retries == 1
        assert r.fault and "RateLimit" in r.fault and "after 2 attempts" in r.fault


def test_shards_partition_the_cases_deterministically() -> None:
    ids = [c.nodeid for s in SUITES for c in s.cases]
    shards = [[i for i in ids if in_shard(i, f"{k}/3")] for k in (1, 2, 3)]
    assert sorted(i for shard in shards for i in shard) == sorted(ids)
    assert shards == [[i for i in ids if in_shard(i, f"{k}/3")] for k in (1, 2, 3)]
    with pytest.raises(UsageError):
        in_shard("x", "4/3")


def test_selection_by_tags_cases_and_split() -> None:
    # a tag selects across suites: starknet-snforge's ballot carries it too
    voting = {c.nodeid for _, c in select(SUITES, RunOptions(tags=("voting",)))}
    expected = {"starknet-contracts::ballot", "starknet-contracts::polls", "starknet-snforge::ballot-snforge"}
    assert voting == expected
    assert [c.id for _, c in select(SUITES, RunOptions(cases=("loops",)))] == ["loops"]
    assert all(c.split == "test" for _, c in select(SUITES, RunOptions(split="test")))
    with pytest.raises(UsageError, match="no case named nope"):
        select(SUITES, RunOptions(cases=("nope",)))


def test_program_that_needs_an_lm_without_one_is_a_usage_error(tmp_path: Path) -> None:
    no_lm = replace(BASICS, lm=None)
    runner = Runner(
        RunOptions(program="tests.programs_under_test:AsyncCoder", out=str(tmp_path)), suites=[no_lm]
    )
    with pytest.raises(UsageError, match="needs an LM"):
        asyncio.run(runner.run())


def test_torn_last_line_is_dropped_and_cut(tmp_path: Path) -> None:
    from harness.runner import ResultsLog

    path = tmp_path / "results.jsonl"
    good = CaseResult("s", "a", 1.0, "", True, True)
    path.write_text(json.dumps(good.to_dict()) + "\n" + '{"suite": "s", "ca')
    assert [r.case for r in read_results(path)] == ["a"]
    ResultsLog(path).append(CaseResult("s", "b", 0.5, "", False, True))
    assert [r.case for r in read_results(path)] == ["a", "b"]


def test_gates_report_which_threshold_missed_and_by_how_much() -> None:
    results = [CaseResult("cairo-basics", c.id, 0.5, "", False, True) for c in BASICS.cases]
    checks = {c.name: c for c in evaluate(BASICS, results)}
    gap = BASICS.thresholds.mean_score - 0.5
    assert not checks["mean_score"].ok and f"misses by {gap:.3f}" in checks["mean_score"].describe()
    assert checks["compile_rate"].ok and not checks["tests_pass_rate"].ok
    (v,) = verdicts([BASICS], results)
    assert not v.ok and v.pass_at_k == {1: 0.0}


def test_dspy_settings_untouched() -> None:
    assert dspy.settings.lm is None


def test_partial_runs_apply_case_bars_but_not_suite_or_tag_gates() -> None:
    some = [CaseResult("cairo-basics", c.id, 0.1, "", False, False) for c in BASICS.cases[:3]]
    checks = evaluate(BASICS, some)
    assert all(c.name.startswith("case ") for c in checks)  # only per-case min_score bars
    (v,) = verdicts([BASICS], some)
    assert v.partial == f"3 of {len(BASICS.cases)} cases ran: suite gates not applied"


def test_shard_runs_merge_into_the_unsharded_run(tmp_path: Path) -> None:
    from harness.runner import merge_runs

    def run(**options: Any) -> RunResult:
        return asyncio.run(Runner(RunOptions(program="empty", out=str(tmp_path), **options)).run())

    whole = run()
    shards = [run(shard=f"{i}/2") for i in (1, 2)]
    merged = merge_runs([s.run_id for s in shards], str(tmp_path), merged_id="nightly-merged")
    assert [(r.nodeid, r.score) for r in merged.results] == [(r.nodeid, r.score) for r in whole.results]
    assert len(read_results(tmp_path / "nightly-merged" / "results.jsonl")) == len(whole.results)
    with pytest.raises(UsageError, match="is in both"):
        merge_runs([shards[0].run_id, shards[0].run_id], str(tmp_path))
    with pytest.raises(UsageError, match="nightly-merged already exists"):
        merge_runs([s.run_id for s in shards], str(tmp_path), merged_id="nightly-merged")
