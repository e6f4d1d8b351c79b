"""The LLM judge through DSPy: its signature, parsing, clamping, fallback and samples, and its
calibration from a replayed recording. The judge model is SCRIPTED (no model is reachable
here): it reads the code it is shown and marks down the flaws the mutants introduce."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from harness.calibrate import calibrate
from harness.judge import LLMJudge
from harness.lm import ScriptedEngine, chat_adapter_reply, current_case, prompt_text, recording_lm, replay_lm
from harness.suite import load_suites

SUITES = load_suites()
CONTRACTS = next(s for s in SUITES if s.name == "starknet-contracts")


def scripted_judge(request: object) -> str:
    code = re.findall(r"\[\[ ## generated_code ## \]\]\n(.*?)\n\n\[\[ ## ", prompt_text(request), re.S)[-1]
    golden = re.findall(
        r"\[\[ ## golden_reference ## \]\]\n(.*?)(?:\n\n\[\[ ## |\Z)", prompt_text(request), re.S
    )[-1]
    score, notes = 0.95, []
    if "_impl" in code:
        score, notes = score - 0.3, [*notes, "an item the query names is missing (renamed)"]
    if code.count("self.emit(") < golden.count("self.emit("):
        score, notes = score - 0.3, [*notes, "events are not emitted"]
    if "Vec<" in code or "usize" in code:
        score, notes = score - 0.4, [*notes, "Rust-isms: Vec/usize do not exist in Cairo"]
    return chat_adapter_reply(score=str(round(score, 2)), feedback="; ".join(notes) or "correct")


def test_calibration_with_a_replayed_llm_judge(tmp_path: Path) -> None:
    recording = tmp_path / "judge.jsonl"
    engine = ScriptedEngine(scripted_judge)
    recorder = LLMJudge(
        recording_lm(engine, engine.async_engine, recording, "scripted/judge", label="scripted judge")
    )
    with current_case("calibration"):
        recorded = asyncio.run(calibrate(CONTRACTS, recorder))
    replayed_judge = LLMJudge(replay_lm(recording))
    with current_case("calibration"):
        replayed = asyncio.run(calibrate(CONTRACTS, replayed_judge))
    assert replayed == recorded
    assert all(row.ok for row in replayed), [r for r in replayed if not r.ok]
    assert len(engine.requests) == sum(1 + len(r.variants) for r in recorded)  # replay asked nothing live


def test_out_of_range_scores_are_clamped_and_counted() -> None:
    engine = ScriptedEngine(lambda r: chat_adapter_reply(score="1.7", feedback="great"))
    j = asyncio.run(
        LLMJudge(engine.lm(num_retries=0)).judge(CONTRACTS.cases[0], CONTRACTS.cases[0].golden, None)
    )
    assert j.score == 1.0 and j.clamped == 1 and j.feedback == "great"


def test_unparsable_replies_are_retried_then_fall_back_to_the_heuristic_openly() -> None:
    engine = ScriptedEngine(lambda r: "I think it's fine.")
    case = CONTRACTS.cases[0]
    j = asyncio.run(LLMJudge(engine.lm(num_retries=0), retries=1).judge(case, case.golden, None))
    assert j.parse_failures == 2 and "fell back to heuristic" in j.judge
    assert "did not parse" in j.feedback and j.score == 1.0  # the heuristic's score of the golden


def test_judge_samples_report_mean_and_spread() -> None:
    scores = iter(["0.6", "0.8", "1.0"])
    engine = ScriptedEngine(lambda r: chat_adapter_reply(score=next(scores), feedback="ok"))
    case = CONTRACTS.cases[0]
    j = asyncio.run(LLMJudge(engine.lm(num_retries=0), samples=3).judge(case, case.golden, None))
    assert j.samples == (0.6, 0.8, 1.0)
    assert j.score == pytest.approx(0.8) and j.spread == pytest.approx(0.1633, abs=1e-3)
