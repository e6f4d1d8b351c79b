"""Tests files as people write them: every `#[test]` counted and run, the query checked for the
items the tests use, a tests file without a test refused, and a clash inside the tests file
blamed on the tests file, at its line."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.authoring import report, split_own_tests, used_items
from harness.cairo import Compiler, native
from harness.cli import main
from harness.suite import SuiteError, load_suite

needs_native = pytest.mark.skipif(not native.is_built(), reason="the native Cairo compiler is not built")

GOLDEN = """\
use starknet::ContractAddress;

pub fn double(x: u32) -> u32 {
    x * 2
}

pub fn triple(x: u32) -> u32 {
    x * 3
}

fn secret() -> u32 {
    7
}

#[starknet::interface]
pub trait ICounter<TContractState> {
    fn get(self: @TContractState) -> u32;
    fn increase(ref self: TContractState);
}

#[starknet::contract]
pub mod Counter {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};

    #[storage]
    struct Storage {
        value: u32,
    }

    #[abi(embed_v0)]
    impl CounterImpl of super::ICounter<ContractState> {
        fn get(self: @ContractState) -> u32 {
            self.value.read()
        }

        fn increase(ref self: ContractState) {
            self.value.write(self.value.read() + 1);
        }
    }
}

pub fn owner() -> ContractAddress {
    0x1.try_into().unwrap()
}
"""

# `mod test` (not `tests`), a second module with another name, `use super::*`, a bare test
# function at the top level and a helper: 4 tests run.
TESTS = """\
#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn doubles() {
        assert_eq!(double(21), 42);
    }
}

#[cfg(test)]
mod more_checks {
    use super::*;

    fn six() -> u32 {
        6
    }

    #[test]
    fn triples() {
        assert_eq!(triple(2), six());
    }

    #[test]
    fn sees_private_items() {
        assert_eq!(secret(), 7);
    }
}

#[test]
fn bare_test_function() {
    assert_eq!(double(triple(1)), 6);
}
"""


@pytest.fixture(scope="module")
def compiler() -> Iterator[Compiler]:
    with Compiler("native", cache=False) as c:
        yield c


def suite_with(tmp_path: Path, query: str, tests: str, golden: str = GOLDEN, extra: str = "") -> Path:
    (tmp_path / "golden").mkdir(exist_ok=True)
    (tmp_path / "suites").mkdir(exist_ok=True)
    (tmp_path / "golden" / "g.cairo").write_text(golden)
    (tmp_path / "golden" / "g.tests.cairo").write_text(tests)
    path = tmp_path / "suites" / "s.yaml"
    path.write_text(
        "suite: s\ncases:\n  - id: c\n"
        f"    query: {query!r}\n"
        "    golden: golden/g.cairo\n    tests: golden/g.tests.cairo\n    kind: contract\n" + extra
    )
    return path


IGNORED = "\n#[test]\n#[ignore]\nfn not_counted() {\n    assert!(false);\n}\n"


def test_every_test_of_the_file_is_counted(tmp_path: Path) -> None:
    case = load_suite(suite_with(tmp_path, "`double`, `triple` and `secret`", TESTS + IGNORED)).cases[0]
    r = report(case)
    assert (r.tests, r.ignored) == (4, 1)


@needs_native
def test_mod_test_two_modules_and_use_super_glob_all_run(tmp_path: Path, compiler: Compiler) -> None:
    case = load_suite(suite_with(tmp_path, "`double`, `triple` and `secret`", TESTS)).cases[0]
    result = compiler.compile(case.golden, "program", case.tests)
    assert result.ok and result.tests is not None, result.diagnostics
    assert (result.tests.passed, result.tests.failed) == (4, 0), result.tests.failures


@needs_native
def test_an_ignored_test_neither_runs_nor_counts(compiler: Compiler) -> None:
    result = compiler.compile(GOLDEN, "program", TESTS + IGNORED)
    assert result.tests is not None and (result.tests.passed, result.tests.failed) == (4, 0)


@needs_native
def test_a_test_that_fails_in_a_second_module_is_counted_as_failed(compiler: Compiler) -> None:
    tests = TESTS.replace("assert_eq!(triple(2), six())", "assert_eq!(triple(2), 7)")
    result = compiler.compile(GOLDEN, "program", tests)
    assert result.tests is not None and (result.tests.passed, result.tests.failed) == (3, 1)
    assert [f.name for f in result.tests.failures] == ["more_checks::triples"]


@needs_native
def test_a_clash_inside_the_tests_file_points_at_the_tests_file_line(compiler: Compiler) -> None:
    tests = (
        "use super::double;\n\n// clashes with the import above\nfn double(x: u32) -> u32 {\n    x + x\n}\n"
        "\n#[test]\nfn t() {\n    assert_eq!(double(2), 4);\n}\n"
    )
    result = compiler.compile(GOLDEN, "program", tests)
    assert result.ok, "the answer itself compiles"
    clash = [d for d in result.errors if "defined multiple times" in d.message]
    assert clash and (clash[0].file, clash[0].line) == ("tests.cairo", 4)


@needs_native
def test_the_answers_own_imports_and_test_module_do_not_clash_with_the_tests(compiler: Compiler) -> None:
    answer = (
        GOLDEN
        + "\n#[cfg(test)]\nmod test {\n    #[test]\n    fn own() {\n        assert!(false);\n    }\n}\n"
    )
    result = compiler.compile(answer, "program", TESTS)
    assert result.tests is not None and (result.tests.passed, result.tests.failed) == (4, 0)


def test_items_the_tests_use_that_the_query_does_not_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = """\
use starknet::syscalls::deploy_syscall;
use starknet::SyscallResultTrait;

fn owner() -> u32 { 1 }  // a helper of the tests' own: not the golden's `owner`

#[test]
fn counts() {
    let (address, _) = deploy_syscall(Counter::TEST_CLASS_HASH, 0, array![].span(), false).unwrap_syscall();
    let counter = ICounterDispatcher { contract_address: address };
    counter.increase();
    assert_eq!(counter.get(), owner());
    assert_eq!(double(1), 2);
}
"""
    assert used_items(GOLDEN, tests) == ["Counter", "ICounter", "increase", "get", "double"]
    path = suite_with(
        tmp_path, "Write `ICounter` with `fn get(self: @T) -> u32` in contract `Counter`.", tests
    )
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "c  1 test" in out and "(1 cases, 1 tests)" in out
    assert "suites/s.yaml:3: case 'c': warning: the tests use `increase`, `double`, which the query" in err


def test_a_dispatcher_named_in_the_query_names_its_trait(tmp_path: Path) -> None:
    tests = (
        "#[test]\nfn t() {\n"
        "    let d = ICounterDispatcher { contract_address: 0x1.try_into().unwrap() };\n    d.get();\n}\n"
    )
    query = "Use `ICounterDispatcher` to call `get`."
    assert report(load_suite(suite_with(tmp_path, query, tests)).cases[0]).unnamed == ()


def test_a_tests_file_with_no_test_is_an_error(tmp_path: Path) -> None:
    only_ignored = "#[cfg(test)]\nmod tests {\n    #[test]\n    #[ignore]\n    fn later() {}\n}\n"
    for tests, said in [
        ("#[cfg(test)]\nmod tests {\n    fn helper() {}\n}\n", "has no #[test] function:"),
        (only_ignored, "has no #[test] function (1 marked #[ignore], which never run)"),
    ]:
        with pytest.raises(SuiteError) as e:
            load_suite(suite_with(tmp_path, "q", tests))
        (problem,) = e.value.problems
        assert problem.line == 6 and problem.field == "tests" and said in problem.message


def test_added_cairo_and_expect_verdict_fields(tmp_path: Path) -> None:
    extra = "    added: 2026-12-02\n    cairo: '>=2.12'\n    expect_verdict: tests_fail\n"
    case = load_suite(suite_with(tmp_path, "q", TESTS, extra=extra)).cases[0]
    assert case.added == datetime.date(2026, 12, 2) and case.cairo == ">=2.12"
    assert case.expect_verdict == "tests_fail"
    bad = "    added: 12/02/2026\n    cairo: 'two point twelve'\n    expect_verdict: fails\n"
    with pytest.raises(SuiteError) as e:
        load_suite(suite_with(tmp_path, "q", TESTS, extra=bad))
    messages = {p.field: p.message for p in e.value.problems}
    assert "YYYY-MM-DD" in messages["added"]
    assert "not a version requirement" in messages["cairo"]
    assert "does_not_compile" in messages["expect_verdict"]


FILE_WITH_TESTS = """\
pub fn double(x: u32) -> u32 {
    x * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles() {
        assert_eq!(double(2), 4);
    }
}

#[test]
fn wrong() {
    assert_eq!(double(2), 5);
}

mod inner {
    #[cfg(test)]
    mod tests {
        #[test]
        fn nested() {}
    }
}
"""


def test_split_own_tests_keeps_lines() -> None:
    own = split_own_tests(FILE_WITH_TESTS)
    assert own.count == 2 and own.nested == ("inner::tests::nested",)
    assert own.tests is not None
    assert own.tests.splitlines()[15] == "fn wrong() {" == FILE_WITH_TESTS.splitlines()[15]
    assert "fn doubles" not in own.code and "pub fn double" in own.code
    assert own.code.count("\n") == own.tests.count("\n") == FILE_WITH_TESTS.count("\n")


@needs_native
def test_compile_runs_the_files_own_tests_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "double.cairo"
    path.write_text(FILE_WITH_TESTS)
    assert main(["compile", str(path), "--compiler", "native", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "running the file's own tests: 2" in out and "inside other modules: inner::tests::nested" in out
    assert "tests: passed=1 failed=1" in out and "FAILED wrong:" in out
    assert main(["compile", str(path), "--compiler", "native", "--no-cache", "--no-tests"]) == 0
    assert "tests:" not in capsys.readouterr().out


@needs_native
def test_a_cairo_requirement_the_backend_does_not_meet_is_skipped_by_check_golden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = suite_with(tmp_path, "`double`, `triple` and `secret`", TESTS, extra="    cairo: '>=3.0'\n")
    assert main(["check-golden", str(path), "--compiler", "native", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "0/1 goldens as their cases expect" in out
    assert "skipped 1 (this backend cannot judge them):" in out
    assert "the case needs Cairo >=3.0; the native backend has Cairo 2.16.0" in out
