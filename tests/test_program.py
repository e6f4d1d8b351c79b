"""The program stage: loading by spec, async/sync calling, per-call LMs. Real DSPy modules; the
LMs are dspy.utils.DummyLM (no model is reachable here)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import dspy
import pytest
from dspy.utils import DummyLM

from harness.extract import extract_cairo
from harness.program import ProgramError, load_program
from harness.suite import load_suites
from tests import programs_under_test as put

CASES = [c for s in load_suites() for c in s.cases]


def lm(text: str) -> DummyLM:
    return DummyLM([{"answer": text}] * 20)


def test_golden_answers_every_case_with_its_reference() -> None:
    program = load_program("golden")
    for case in CASES:
        answer = asyncio.run(program.answer(case))
        assert extract_cairo(answer.text or "").code == case.golden.rstrip() + "\n"


def test_empty_answers_without_code() -> None:
    answer = asyncio.run(load_program("empty").answer(CASES[0]))
    assert answer.text and extract_cairo(answer.text).code is None


@pytest.mark.parametrize(
    "spec",
    [
        "tests.programs_under_test:AsyncCoder",
        "tests.programs_under_test:make_coder",
        "tests.programs_under_test:INSTANCE",
    ],
)
def test_class_factory_and_instance_load(spec: str) -> None:
    program = load_program(spec)
    assert isinstance(program.module, put.AsyncCoder)


def test_async_program_is_awaited_on_the_loop_and_sync_one_runs_in_a_thread() -> None:
    async def both() -> tuple[str | None, str | None, int]:
        a = await load_program("tests.programs_under_test:AsyncCoder").answer(CASES[0], lm("from async"))
        s = await load_program("tests.programs_under_test:SyncCoder").answer(CASES[0], lm("from sync"))
        return a.text, s.text, threading.get_ident()

    a, s, loop_thread = asyncio.run(both())
    assert (a, s) == ("from async", "from sync")
    assert put.THREADS["async"] == loop_thread and put.THREADS["sync"] != loop_thread


def test_each_call_uses_its_own_lm_in_one_loop() -> None:
    program = load_program("tests.programs_under_test:AsyncCoder")

    async def run() -> list[str | None]:
        answers = await asyncio.gather(*(program.answer(CASES[i], lm(f"lm-{i}")) for i in range(6)))
        return [a.text for a in answers]

    assert asyncio.run(run()) == [f"lm-{i}" for i in range(6)]


def test_saved_program_is_applied_onto_the_named_module(tmp_path: Path) -> None:
    optimised = put.AsyncCoder()
    optimised.generate.signature = optimised.generate.signature.with_instructions("Answer in Cairo 2.8.")
    saved = tmp_path / "program.json"
    optimised.save(str(saved), save_program=False)
    program = load_program(f"tests.programs_under_test:AsyncCoder@{saved}")
    assert program.module.generate.signature.instructions == "Answer in Cairo 2.8."


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuchpkg.mod:Thing", "cannot import 'nosuchpkg.mod': No module named 'nosuchpkg'"),
        (
            "tests.programs_under_test:Missing",
            "module 'tests.programs_under_test' has no attribute 'Missing'",
        ),
        ("tests.programs_under_test:THREADS", "is a dict, expected a dspy.Module class, instance or factory"),
        ("tests.programs_under_test:not_a_module", "is a factory, but it returned str"),
        (
            "tests.programs_under_test:CodeOnly",
            "no predictor outputs 'answer' (outputs: code); set --answer-field",
        ),
        ("tests.programs_under_test:AsyncCoder@missing.json", "saved program not found: missing.json"),
        ("just-a-name", "expected 'golden', 'empty', 'package.module:attr'"),
    ],
)
def test_bad_program_specs_fail_before_any_case_runs(spec: str, message: str) -> None:
    with pytest.raises(ProgramError) as e:
        load_program(spec)
    assert message in str(e.value)


def test_answer_field_is_configurable() -> None:
    program = load_program("tests.programs_under_test:CodeOnly", answer_field="code")
    answer = asyncio.run(program.answer(CASES[0], DummyLM([{"code": "fn a() {}"}])))
    assert answer.text == "fn a() {}"


def test_usage_is_recorded_per_answer() -> None:
    answer = asyncio.run(load_program("tests.programs_under_test:AsyncCoder").answer(CASES[0], lm("x")))
    assert isinstance(answer.usage, dict)
    assert answer.extra == {}
    assert dspy.settings.lm is None  # nothing was configured globally


def test_inputs_are_checked_against_the_calling_convention_before_any_case_runs() -> None:
    """The harness calls program(query=…[, chat_history=[…]]): a method that cannot take that is a
    configuration error, found before the run, naming what the method accepts."""
    from dataclasses import replace

    plain = CASES[0]
    with_history = replace(plain, chat_history=(("user", "earlier question"),))
    load_program("tests.programs_under_test:SyncCoder").check_inputs([plain])
    load_program("tests.programs_under_test:AsyncCoder").check_inputs([plain])
    load_program("harness.rag:RagPipeline").check_inputs([plain, with_history])
    with pytest.raises(ProgramError, match=r"AsksQuestion\.forward\(question\) does not accept query="):
        load_program("tests.programs_under_test:AsksQuestion").check_inputs([plain])
    no_history = load_program("tests.programs_under_test:NoHistory")
    no_history.check_inputs([plain])  # fine while no case has earlier turns
    with pytest.raises(ProgramError, match=r"NoHistory\.forward\(query\) does not accept chat_history="):
        no_history.check_inputs([plain, with_history])
    bare = load_program("tests.programs_under_test:INSTANCE")
    bare.module = dspy.Predict("question -> answer")  # forward(**kwargs): its signature decides
    with pytest.raises(ProgramError, match=r"Predict with inputs \(question\) does not accept query="):
        bare.check_inputs([plain])


def test_a_hung_sync_program_runs_in_a_daemon_thread() -> None:
    """A sync program never returning must not keep the process alive: its thread is a daemon."""
    seen: list[threading.Thread] = []

    class Records(dspy.Module):
        def forward(self, query: str) -> dspy.Prediction:
            seen.append(threading.current_thread())
            return dspy.Prediction(answer="prose")

    from harness.program import Program

    asyncio.run(Program("records", Records()).answer(CASES[0]))
    assert seen and seen[0].daemon and seen[0] is not threading.main_thread()
