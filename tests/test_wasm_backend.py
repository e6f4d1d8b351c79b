"""The embedded wasm compiler, for real (wasm-cairo under Node).

Each compile takes 5–50 s, so the inputs are few and small, and verdicts are cached on disk
(the cache key includes this layer's source, so a change to it recompiles).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.cairo import Compiler, CompileResult
from harness.cairo.wasm import NO_DETAIL, WasmBackend, wasm_pool
from tests.cairo_sources import AVG_CODE, AVG_TESTS, COUNTER_CODE, COUNTER_TESTS

pytestmark = pytest.mark.wasm


ARTIFACTS = ("Unsupported attribute", "ContractState", "Ambiguous method call", "Plugin diagnostic")


@pytest.fixture(scope="module")
def compiler() -> Iterator[Compiler]:
    with Compiler("wasm", timeout=240) as c:
        yield c


def assert_no_artifacts(result: CompileResult) -> None:
    for d in result.diagnostics:
        assert not any(a in d.message for a in ARTIFACTS), d


def test_correct_contract_compiles_and_its_tests_pass(compiler: Compiler) -> None:
    result = compiler.compile(COUNTER_CODE, "contract", COUNTER_TESTS)
    assert result.ok and result.status == "ok" and result.diagnostics == ()
    assert result.tests is not None and (result.tests.passed, result.tests.failed) == (2, 0)
    assert result.backend == "wasm" and "0.10.2" in result.backend_version
    again = compiler.compile(COUNTER_CODE, "contract", COUNTER_TESTS)
    assert again.cached and again.tests == result.tests


def test_vec_in_contract_is_reported_by_name_and_line(compiler: Compiler) -> None:
    code = COUNTER_CODE.replace(
        "        fn get(self: @ContractState) -> u64 {",
        "        fn history(self: @ContractState) -> Vec<u64> {\n"
        "            let v: Vec<u64> = Vec::new();\n            v\n        }\n"
        "        fn get(self: @ContractState) -> u64 {",
    )
    result = compiler.compile(code, "contract")
    assert not result.ok and result.status == "ok"  # a verdict: it does not compile
    vec = [d for d in result.errors if "`Vec`" in d.message]
    assert vec and vec[0].file == "lib.cairo" and vec[0].line == 16 and vec[0].recovered
    assert_no_artifacts(result)


def test_contract_type_error_is_recovered_or_honestly_undetailed(compiler: Compiler) -> None:
    code = COUNTER_CODE.replace(
        "self.count.read()\n        }", "let wide: u128 = 7;\n            wide\n        }", 1
    )
    result = compiler.compile(code, "contract")
    assert not result.ok
    assert_no_artifacts(result)
    messages = [d.message for d in result.errors]
    assert any('Expected: "core::integer::u64", found: "core::integer::u128"' in m for m in messages) or (
        messages == [NO_DETAIL]
    )


def test_program_type_error_has_the_compilers_own_text_and_location(compiler: Compiler) -> None:
    code = AVG_CODE.replace("Option::Some(sum / values.len())", "let r: u64 = sum;\n    Option::Some(r)")
    result = compiler.compile(code, "program")
    assert not result.ok
    first = result.errors[0]
    assert first.message.startswith("Unexpected argument type.") and not first.recovered
    assert (first.file, first.line, first.col) == ("lib.cairo", 21, 18)


def test_broken_assertion_names_the_failing_test(compiler: Compiler) -> None:
    broken = AVG_TESTS.replace("Option::Some(5)", "Option::Some(6)")
    result = compiler.compile(AVG_CODE, "program", broken)
    assert result.ok and result.tests is not None
    assert (result.tests.passed, result.tests.failed) == (2, 1)
    (failure,) = result.tests.failures
    assert failure.name == "tests::averages"
    assert "Option::Some(6)" in failure.message and "no panic message" in failure.message


def test_tests_that_cannot_bind_fail_the_tests_not_the_compile(compiler: Compiler) -> None:
    renamed = AVG_CODE.replace("checked_average", "average_checked")
    result = compiler.compile(renamed, "program", AVG_TESTS)
    assert result.ok and result.tests is not None
    assert (result.tests.passed, result.tests.failed) == (0, 3)
    assert "`checked_average`" in result.tests.failures[0].message
    assert all(d.file == "tests.cairo" for d in result.diagnostics)
    assert not any("assert_eq" in d.message for d in result.diagnostics)  # test-only macro artifact


def test_answer_with_its_own_tests_module_does_not_clash(compiler: Compiler) -> None:
    own = (
        AVG_CODE
        + "\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn mine() {\n        assert!(false);\n    }\n}\n"
    )
    result = compiler.compile(own, "program", AVG_TESTS)
    assert result.ok and result.tests is not None
    assert (result.tests.passed, result.tests.failed) == (3, 0)  # only the case's tests ran


def test_executable_attribute_is_bridged_and_said(compiler: Compiler) -> None:
    code = "#[executable]\nfn main() -> u32 {\n    42\n}\n"
    result = compiler.compile(code, "program")
    assert result.ok
    assert any("#[executable]" in note for note in result.notes)


def test_runaway_loop_in_a_test_is_a_harness_fault_and_the_pool_goes_on(compiler: Compiler) -> None:
    """The embedded runner traps on a loop that never ends (it does not report out-of-gas): that
    is the runner failing, not a verdict, so it is a fault (never cached), and the trapped worker
    is retired. (The native backend runs the same test out of gas: a real verdict.)"""
    hang = AVG_TESTS.replace(
        "fn averages() {",
        "fn averages() {\n        let mut i: u64 = 0;\n        while i != 1 {\n            i += 2;\n        }"
        ";",
    )
    result = compiler.compile(AVG_CODE, "program", hang)
    assert result.status in ("crash", "timeout") and result.fault and not result.ok
    assert not compiler.compile(AVG_CODE, "program", hang).cached
    assert compiler.compile("fn two() -> u8 {\n    2\n}\n", "program").ok


def test_call_over_its_deadline_times_out_and_the_pool_keeps_working() -> None:
    """A compile that outlives its timeout (3 s here; a contract takes 5 s or more) is killed, run
    again alone on a fresh worker, killed again: then it is the code's verdict (it does not compile
    within the budget), and the pool keeps working."""
    backend = WasmBackend(wasm_pool(size=1))
    with Compiler(backend, cache=False, timeout=3) as compiler:
        start = time.monotonic()
        result = compiler.compile(COUNTER_CODE, "contract", COUNTER_TESTS)
        elapsed = time.monotonic() - start
        assert result.status == "ok" and not result.ok
        assert result.diagnostics[0].code == "compile-budget"
        assert elapsed <= 2 * (3 + 5)
        compiler.timeout = 240
        after = compiler.compile("fn one() -> u8 {\n    1\n}\n", "program")
        assert after.ok and after.status == "ok"
        assert backend.pool.started == 3  # both killed workers were replaced


def test_waiting_for_a_busy_worker_does_not_count_against_the_timeout() -> None:
    """Queued compiles whose wall time (queue included) passes the timeout still finish: the
    timeout bounds a compile's own worker time, so a busy pool does not manufacture timeouts."""
    backend = WasmBackend(wasm_pool(size=1))
    code = "fn f(x: u32) -> u32 {\n    x + %d\n}\n"
    with Compiler(backend, cache=False) as compiler:
        compiler.compile(code % 0, "program")  # start the worker
        start = time.monotonic()
        assert compiler.compile(code % 1, "program").ok
        one = time.monotonic() - start
        compiler.timeout = max(4 * one, 3.0)
        queued = int(compiler.timeout / one) + 3  # together well past the timeout
        with ThreadPoolExecutor(queued) as ex:
            start = time.monotonic()
            results = list(ex.map(lambda i: compiler.compile(code % (i + 2), "program"), range(queued)))
            wall = time.monotonic() - start
    assert wall > compiler.timeout
    assert [r.status for r in results] == ["ok"] * queued
