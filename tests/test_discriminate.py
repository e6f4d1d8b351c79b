"""Do-nothing answers: derived from every starter golden, they compile, earn nothing and never pass.

The derivation itself (pure text) is checked on its own; then every starter case's do-nothing
answers are scored for real on the native compiler, as a model's answers would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from harness.cairo import Compiler
from harness.discriminate import default_expr, do_nothing_answers, panic_values
from harness.judge import HeuristicJudge
from harness.metric import Scorer
from harness.suite import load_suites

SUITES = load_suites()
CASES = [(s, c) for s in SUITES for c in s.cases]


def test_default_values_by_type() -> None:
    unknown = "Default::default()"
    assert default_expr("u64", unknown) == "0"
    assert default_expr("bool", unknown) == "false"
    assert default_expr("Option<u64>", unknown) == "Option::None"
    assert default_expr("Array<felt252>", unknown) == "array![]"
    assert default_expr("Span<u8>", unknown) == "array![].span()"
    assert default_expr("ByteArray", unknown) == '""'
    assert default_expr("(u8, bool)", unknown) == "(0, false)"
    assert default_expr("(u8)", unknown) == "(0,)"
    assert default_expr("", unknown) == "" and default_expr("()", unknown) == ""
    assert default_expr("ContractAddress", unknown) == unknown


def test_panic_values_come_from_the_tests_and_the_golden() -> None:
    tests = """
    #[test]
    #[should_panic(expected: ('Caller is not the owner', 'ENTRYPOINT_FAILED'))]
    fn a() {}
    #[test]
    #[should_panic(expected: "Insufficient balance")]
    fn b() {}
    """
    golden = "fn f() { assert(x, 'Zero amount'); } // 'not a message'\n"
    values = panic_values(golden, tests)
    assert values[0] == ("felts", ("'Caller is not the owner'",))  # the runner's suffix dropped
    assert ("bytes", ('"Insufficient balance"',)) in values
    assert ("felts", ("'Zero amount'",)) in values
    assert all("not a message" not in str(v) for v in values)  # comments are not messages
    assert values[-1] == ("felts", ("'do nothing'",))  # always one generic panic


def test_every_function_body_is_replaced_and_the_interface_kept() -> None:
    case = next(c for _, c in CASES if c.id == "owned-counter")
    answers = {a.label: a.code for a in do_nothing_answers(case)}
    defaults = answers["defaults"]
    assert "self.count.write" not in defaults and "assert_only_owner()" not in defaults
    assert "#[storage]" in defaults and "fn increase(ref self: ContractState, amount: u64)" in defaults
    panics = answers["panics 'Caller is not the owner'"]
    assert "fn constructor(ref self: ContractState, owner: ContractAddress) {  }" in panics
    assert "core::panics::panic(array!['Caller is not the owner'])" in panics
    assert "panics 'Caller is not the owner' (constructor too)" in answers


@pytest.fixture(scope="module")
def compiler() -> Iterator[Compiler]:
    with Compiler("native", timeout=180) as c:  # the project's compile cache: reruns are quick
        yield c


@pytest.mark.native
@pytest.mark.parametrize("suite,case", CASES, ids=[c.id for _, c in CASES])
def test_do_nothing_answers_score_below_half_and_never_pass(suite, case, compiler: Compiler) -> None:  # type: ignore[no-untyped-def]
    if suite.test_runner == "snforge":  # check-golden finds them under snforge (tests/test_snforge_suite.py)
        pytest.skip("the case's tests use snforge_std: the embedded compiler cannot run them")
    scorer = Scorer(compiler, HeuristicJudge(), suite.dependencies)

    async def go() -> list[tuple[str, object]]:
        out = []
        for answer in do_nothing_answers(case) + do_nothing_answers(case, unknown_panics=True)[:1]:
            text = f"Here you go:\n```cairo\n{answer.code}\n```\n"
            out.append((answer.label, await scorer.ascore(case, text, suite.scoring)))
        return out

    for label, r in asyncio.run(go()):
        assert r.status == "ok", (label, r.feedback)  # type: ignore[attr-defined]
        assert r.score < 0.5 and not r.passed, (label, r.score, r.tier, r.feedback)  # type: ignore[attr-defined]


@pytest.mark.native
def test_check_golden_and_validate_list_the_non_discriminating_tests(compiler: Compiler) -> None:
    from harness.authoring import describe
    from harness.goldens import discrimination_lines, verify

    suite, case = next((s, c) for s, c in CASES if c.id == "owned-counter")
    check = verify(case, compiler, suite.dependencies, discriminating=True)
    assert check.ok and check.discrimination is not None
    discriminating = ("tests::owner_can_increase", "tests::transfer_moves_rights")
    assert check.discrimination.discriminating == discriminating
    lines, warnings = discrimination_lines([check])
    assert lines == [
        "starknet-contracts::owned-counter: 2 of 4 tests pass with a do-nothing answer too: "
        "tests::stranger_cannot_increase (panics 'Caller is not the owner'), "
        "tests::stranger_cannot_transfer_ownership (panics 'Caller is not the owner')"
    ]
    assert warnings == []
    shown, _ = describe(suite)  # validate reads what check-golden found, compiling nothing
    assert any("non-discriminating" in line and "stranger_cannot_increase" in line for line in shown)


def test_a_case_whose_every_test_a_do_nothing_answer_passes_is_warned_about() -> None:
    from harness.cairo import CompileResult
    from harness.discriminate import Discrimination
    from harness.goldens import GoldenCheck, discrimination_lines

    case = next(c for _, c in CASES if c.id == "owned-counter")
    ok = CompileResult(ok=True, backend="native", backend_version="x", duration_s=0.0)
    everything = Discrimination(("tests::a",), {"tests::a": "defaults"})
    _, warnings = discrimination_lines([GoldenCheck(case, ok, everything)])
    assert warnings and "no test tells a working answer from a do-nothing one" in warnings[0]
