"""The harness metric inside DSPy's own optimisers and evaluator, unchanged.

The program under test and GEPA's reflection LM are dspy.utils.DummyLM (scripted: no model is
reachable here); the compiler is the real wasm one (the goldens' verdicts are usually cached).
"""

from __future__ import annotations

import dspy
import pytest
from dspy.utils import DummyLM

from harness.cairo import Compiler
from harness.judge import HeuristicJudge
from harness.metric import Scorer, case_example, make_metric
from harness.suite import load_suites

pytestmark = pytest.mark.wasm

SUITE = next(s for s in load_suites() if s.name == "cairo-basics")
CASES = [c for c in SUITE.cases if c.id in ("checked-factorial", "loops")]
FEEDBACK_MARK = "review (heuristic): matches the reference"  # no apostrophe: prompts are repr'd


def answer_for(case):
    return f"Here you go:\n```cairo\n{case.golden.rstrip()}\n```"


@pytest.fixture(scope="module")
def metric():
    with Compiler("wasm") as compiler:
        yield make_metric(Scorer(compiler, HeuristicJudge()))


def program_lm() -> DummyLM:
    return DummyLM({case.query: {"answer": answer_for(case)} for case in CASES})


def test_metric_returns_score_and_feedback(metric) -> None:
    gold = case_example(CASES[0], SUITE.scoring)
    out = metric(gold, dspy.Prediction(answer=answer_for(CASES[0])))
    assert out.score >= 0.9 and FEEDBACK_MARK in out.feedback
    empty = metric(gold, dspy.Prediction(answer="no idea"))
    assert empty.score == 0.0 and "no Cairo code" in empty.feedback


def test_dspy_evaluate_accepts_the_metric(metric) -> None:
    devset = [case_example(c, SUITE.scoring) for c in CASES]
    with dspy.context(lm=program_lm()):
        result = dspy.Evaluate(devset=devset, metric=metric, num_threads=2)(dspy.Predict("query -> answer"))
    assert result.score >= 90.0
    assert all(FEEDBACK_MARK in r[2].feedback for r in result.results)


def test_gepa_runs_with_the_metric_and_its_reflection_prompt_gets_the_feedback(metric, tmp_path) -> None:
    examples = [case_example(c, SUITE.scoring) for c in CASES]
    reflection = DummyLM([{"new_instruction": "Write idiomatic Cairo 2.8 in one ```cairo block."}] * 50)
    gepa = dspy.GEPA(
        metric=metric,
        reflection_lm=reflection,
        max_metric_calls=8,  # a 2-step budget: the seed evaluation plus one reflective proposal
        reflection_minibatch_size=2,
        skip_perfect_score=False,
        use_merge=False,
        num_threads=1,
        log_dir=str(tmp_path / "gepa"),
    )
    with dspy.context(lm=program_lm()):
        optimised = gepa.compile(dspy.Predict("query -> answer"), trainset=examples, valset=examples)
    assert isinstance(optimised, dspy.Predict)
    prompts = [str(entry.get("prompt") or entry.get("messages")) for entry in reflection.history]
    assert prompts, "GEPA never called the reflection LM"
    assert any(FEEDBACK_MARK in p for p in prompts), (
        "the metric's feedback did not reach the reflection prompt"
    )
