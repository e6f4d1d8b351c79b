"""The native backend, for real: Cairo 2.16 in our Rust worker (built on first use with cargo).

Every compile here is real and takes about a second, so these tests run without the compile
cache (a shared cache's state must not decide a test) on one small worker pool.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness.cairo import Compiler, CompileResult
from harness.cairo.native import CAIRO_VERSION, NativeBackend, native_pool
from harness.cairo.pool import WorkerPool
from tests.cairo_sources import AVG_CODE as AVERAGE
from tests.cairo_sources import AVG_TESTS as AVERAGE_TESTS
from tests.cairo_sources import COUNTER_CODE as COUNTER

pytestmark = pytest.mark.native

# Edition 2024_07 enforces item visibility: tests reach the contract through its public trait
# (`ICounter`, implemented for the contract state) rather than its private impl by name.
COUNTER_TESTS = """
#[cfg(test)]
mod tests {
    use super::{Counter, ICounter};

    #[test]
    fn starts_at_zero() {
        let state = Counter::contract_state_for_testing();
        assert_eq!(ICounter::get(@state), 0);
    }

    #[test]
    fn increase_adds() {
        let mut state = Counter::contract_state_for_testing();
        ICounter::increase(ref state, 5);
        ICounter::increase(ref state, 2);
        assert_eq!(ICounter::get(@state), 7);
    }
}
"""


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    pool = native_pool(size=1)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def compiler(pool: WorkerPool) -> Compiler:
    return Compiler(NativeBackend(pool), cache=False, timeout=120)


def errors_at(result: CompileResult) -> list[tuple[str | None, int | None, str]]:
    return [(d.file, d.line, d.message) for d in result.errors]


def test_correct_contract_passes_its_tests_and_names_the_compiler(compiler: Compiler) -> None:
    result = compiler.compile(COUNTER, "contract", COUNTER_TESTS)
    assert result.ok and result.status == "ok" and result.errors == ()
    assert result.tests is not None and (result.tests.passed, result.tests.failed) == (2, 0)
    assert result.backend == "native" and result.cairo == CAIRO_VERSION == "2.16.0"
    assert f"Cairo {CAIRO_VERSION}" in result.backend_version
    assert dict(result.tests.gas).keys() == {"tests::starts_at_zero", "tests::increase_adds"}


# -- contract errors are the compiler's own, with their lines -------------------------------------


def test_vec_and_println_in_a_contract_are_reported_with_lines(compiler: Compiler) -> None:
    code = COUNTER.replace(
        "        fn get(self: @ContractState) -> u64 {",
        "        fn history(self: @ContractState) -> Vec<u64> {\n"
        '            println!("history");\n'
        "            let v: Vec<u64> = Vec::new();\n            v\n        }\n"
        "        fn get(self: @ContractState) -> u64 {",
    )
    result = compiler.compile(code, "contract")
    assert not result.ok and result.status == "ok"
    found = errors_at(result)
    assert found and all(file == "lib.cairo" and line for file, line, _ in found)
    assert any(line == 18 for _, line, _ in found), found  # the `Vec<u64>` line
    assert not any("no detail" in m for _, _, m in found)


def test_u64_u128_mismatch_is_the_compilers_message(compiler: Compiler) -> None:
    code = COUNTER.replace(
        "self.count.read()\n        }", "let wide: u128 = 7;\n            wide\n        }", 1
    )
    result = compiler.compile(code, "contract")
    assert not result.ok
    (message,) = {m for _, _, m in errors_at(result)}
    assert 'Expected: "core::integer::u64", found: "core::integer::u128"' in message
    file, line, _ = errors_at(result)[0]
    get = code.splitlines().index("        fn get(self: @ContractState) -> u64 {") + 1
    assert file == "lib.cairo" and get <= line <= get + 3  # in `get`, which now returns the u128


def test_unknown_storage_field_and_missing_import(compiler: Compiler) -> None:
    code = COUNTER.replace("self.count.read()", "self.total.read()", 1)
    unknown = compiler.compile(code, "contract")
    assert not unknown.ok
    line = next(i for i, text in enumerate(code.splitlines(), 1) if "self.total" in text)
    assert (
        "lib.cairo",
        line,
        'Type "cairo_evals::Counter::ContractState" has no member "total"',
    ) in errors_at(unknown)
    missing = compiler.compile(
        COUNTER.replace(
            "    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};\n", ""
        ),
        "contract",
    )
    assert not missing.ok and all(line for _, line, _ in errors_at(missing))
    assert any("read" in m or "write" in m for _, _, m in errors_at(missing)), errors_at(missing)


def test_tests_that_cannot_bind_give_ok_every_test_failed_and_what_is_missing(compiler: Compiler) -> None:
    renamed = COUNTER.replace("fn increase(", "fn increment(")
    result = compiler.compile(renamed, "contract", COUNTER_TESTS)
    assert result.ok and result.tests is not None
    assert not result.tests.bound and result.tests.passed == 0 and result.tests.failed == 2
    (failure,) = result.tests.failures
    line = COUNTER_TESTS.splitlines().index("        ICounter::increase(ref state, 5);") + 1
    assert f"tests.cairo:{line}:19: error: [E2086] Invalid path: `increase`" in failure.message


def test_a_failing_test_is_named_with_its_panic(compiler: Compiler) -> None:
    broken = COUNTER.replace("self.count.read() + amount", "self.count.read() + amount + 1")
    result = compiler.compile(broken, "contract", COUNTER_TESTS)
    assert result.ok and result.tests is not None and (result.tests.passed, result.tests.failed) == (1, 1)
    (failure,) = result.tests.failures
    assert failure.name == "tests::increase_adds"
    # assert_eq!'s panic, decoded from `Panicked with "assertion …"` to its text
    assert failure.message.startswith("assertion `ICounter::get(@state) == 7` failed"), failure.message


def test_several_contracts_deploy_syscall_and_should_panic(compiler: Compiler) -> None:
    code = COUNTER + ("\n#[starknet::contract]\npub mod Other {\n    #[storage]\n    struct Storage {}\n}\n")
    tests = """
#[cfg(test)]
mod test {
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use super::*;

    fn deploy() -> ICounterDispatcher {
        let (address, _) = deploy_syscall(Counter::TEST_CLASS_HASH, 0, array![].span(), false)
            .unwrap_syscall();
        ICounterDispatcher { contract_address: address }
    }

    #[test]
    fn deployed_counter_counts() {
        let counter = deploy();
        counter.increase(3);
        assert_eq!(counter.get(), 3);
    }

    #[test]
    #[should_panic(expected: ('boom',))]
    fn panics_as_expected() {
        assert(false, 'boom');
    }

    #[test]
    #[should_panic(expected: ('other',))]
    fn panics_with_another_message() {
        assert(false, 'boom');
    }

    #[test]
    #[available_gas(5000000)]
    fn within_a_gas_budget() {
        assert_eq!(deploy().get(), 0);
    }
}
"""
    result = compiler.compile(code, "contract", tests)
    assert result.ok and result.tests is not None, errors_at(result)
    assert (result.tests.passed, result.tests.failed) == (3, 1), result.tests.failures
    (failure,) = result.tests.failures
    assert failure.name == "test::panics_with_another_message" and "expected" in failure.message


def test_executable_and_plain_program(compiler: Compiler) -> None:
    program = "#[executable]\nfn main() -> u32 {\n    42\n}\n"
    assert compiler.compile(program, "program").ok
    assert compiler.compile(AVERAGE, "program", AVERAGE_TESTS).passed


def test_answer_test_only_code_is_removed_and_its_own_tests_never_count(compiler: Compiler) -> None:
    cheat = AVERAGE.replace("pub fn checked_average", "#[cfg(not(test))]\npub fn checked_average") + (
        "\n#[cfg(test)]\npub fn checked_average(values: Span<u32>) -> Option<u32> { Option::Some(2) }\n"
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn padded() {}\n}\n"
    )
    result = compiler.compile(cheat, "program", AVERAGE_TESTS)
    honest = compiler.compile(AVERAGE, "program", AVERAGE_TESTS)
    assert result.tests == honest.tests and result.passed
    assert any("removed the answer's test-only items" in n for n in result.notes)


def test_an_endless_loop_fails_by_gas_and_the_pool_goes_on(compiler: Compiler) -> None:
    tests = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn spins() {\n        loop {}\n    }\n}\n"
    result = compiler.compile("fn f() {}\n", "program", tests)
    assert result.status == "ok" and result.tests is not None and result.tests.failed == 1
    assert "Out of gas" in result.tests.failures[0].message
    assert compiler.compile(AVERAGE, "program", AVERAGE_TESTS).passed


def _native_workers() -> set[int]:
    me = psutil.Process()
    return {c.pid for c in me.children(recursive=True) if "cairo-evals-native" in " ".join(c.cmdline())}


def test_a_worker_killed_mid_test_is_a_harness_error_never_cached_and_a_rerun_gives_the_verdict(
    tmp_path: Path,
) -> None:
    pool = native_pool(size=1)
    compiler = Compiler(NativeBackend(pool), cache_root=tmp_path, timeout=120)
    tests = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn spins() {\n        loop {}\n    }\n}\n"
    before = _native_workers()

    def kill_the_new_worker() -> None:  # while it spins on the endless test
        for _ in range(400):
            new = _native_workers() - before
            if new:
                time.sleep(1.0)
                os.kill(new.pop(), signal.SIGKILL)
                return
            time.sleep(0.05)

    try:
        killer = threading.Thread(target=kill_the_new_worker)
        killer.start()
        first = compiler.compile("fn f() {}\n", "program", tests)
        killer.join()
        assert first.status == "crash" and first.fault and not first.ok
        assert "SIGKILL" in first.diagnostics[0].message
        again = compiler.compile("fn f() {}\n", "program", tests)
        assert not again.cached and again.status == "ok" and again.tests is not None
        assert again.tests.failed == 1 and "Out of gas" in again.tests.failures[0].message
    finally:
        compiler.close()


def test_what_the_code_under_test_prints_never_reaches_the_protocol(compiler: Compiler) -> None:
    code = 'pub fn shout() -> u8 {\n    println!("{{\\"id\\": 1, \\"compiled\\": false}}");\n    7\n}\n'
    tests = (
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n"
        "        assert_eq!(super::shout(), 7);\n    }\n}\n"
    )
    result = compiler.compile(code, "program", tests)  # a fake reply, printed by the test itself
    assert result.status == "ok" and result.passed, result


def test_an_answer_cannot_pull_in_files_with_mod_declarations(compiler: Compiler) -> None:
    result = compiler.compile("mod passwd;\nmod etc;\nfn f() {}\n", "program")
    assert not result.ok and result.status == "ok"  # a verdict: no such module file
    assert all(d.file == "lib.cairo" and d.line in (1, 2) for d in result.errors), result.errors
