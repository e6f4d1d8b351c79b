"""`cairo-evals import`: suites from Scarb packages, Starklings and JSON lines, written next to
their goldens, validated, with what was skipped and why; `expect_verdict` makes check-golden a
check of the compiler. The material here is made up for the tests (the project ships none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import importers
from harness.cairo import native
from harness.cli import main
from harness.suite import load_suite

needs_native = pytest.mark.skipif(not native.is_built(), reason="the native Cairo compiler is not built")


def package(
    root: Path, rel: str, lib: str, manifest_extra: str = "", files: dict[str, str] | None = None
) -> None:
    folder = root / rel
    (folder / "src").mkdir(parents=True)
    name = rel.rsplit("/", 1)[-1]
    (folder / "Scarb.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024_07"\n{manifest_extra}\n'
        '[dependencies]\ncairo_execute = "2.20.0"\n'
    )
    (folder / "src" / "lib.cairo").write_text(lib)
    for path, text in (files or {}).items():
        (folder / "src" / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / "src" / path).write_text(text)


@pytest.fixture
def listings(tmp_path: Path) -> Path:
    root = tmp_path / "listings"
    package(
        root,
        "ch01-intro/listing_01_add",
        "// Adds two numbers.\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    use super::add;\n\n    #[test]\n    fn adds() {\n"
        "        assert_eq!(add(2, 3), 5);\n    }\n}\n",
    )
    package(
        root,
        "ch01-intro/listing_02_broken",
        "// TAG: does_not_compile\nfn main() {\n    let x: u8 = 300;\n}\n",
    )
    package(
        root,
        "ch01-intro/listing_03_failing_test",
        "//TAG: tests_fail\npub fn two() -> u8 {\n    2\n}\n\n"
        "#[test]\nfn wrong() {\n    assert_eq!(two(), 3);\n}\n",
    )
    package(
        root,
        "ch02-modules/listing_04_files",
        "mod shapes;\nmod inner {\n    pub mod more;\n}\n\npub fn area() -> u32 {\n"
        "    listing_04_files::shapes::square(3) + inner::more::one()\n}\n"
        "#[test]\nfn area_works() {\n    assert_eq!(area(), 10);\n}\n",
        files={
            "shapes.cairo": "pub fn square(x: u32) -> u32 {\n    x * x\n}\n",
            "inner/more.cairo": "pub fn one() -> u32 {\n    1\n}\n",
        },
    )
    package(
        root, "ch03-deps/listing_05_oz", "fn f() {}\n", '\n[dependencies.openzeppelin]\nversion = "2.0.0"\n'
    )
    package(
        root,
        "ch03-deps/listing_06_experimental",
        "fn f() {}\n",
        'experimental-features = ["negative_impls"]\n',
    )
    (root / "ch03-deps" / "no_lib").mkdir(parents=True)
    (root / "ch03-deps" / "no_lib" / "Scarb.toml").write_text(
        '[package]\nname = "no_lib"\nversion = "0.1.0"\n'
    )
    return root


def test_scarb_packages_become_cases_with_expected_verdicts(listings: Path) -> None:
    found = importers.scarb_packages(listings)
    cases = {c.id: c for c in found.cases}
    assert sorted(cases) == [
        "ch01-listing_01_add",
        "ch01-listing_02_broken",
        "ch01-listing_03_failing_test",
        "ch02-listing_04_files",
        "ch03-listing_05_oz",
    ]
    assert cases["ch03-listing_05_oz"].dependencies == (("openzeppelin", '"2.0.0"'),)
    add = cases["ch01-listing_01_add"]
    assert add.expect_verdict is None and add.kind == "program"
    assert add.tests is not None and "fn adds" in add.tests and "fn adds" not in add.golden
    assert "Adds two numbers." in add.query and "`pub fn add(a: u32, b: u32) -> u32`" in add.query
    assert cases["ch01-listing_02_broken"].expect_verdict == "does_not_compile"
    assert cases["ch01-listing_03_failing_test"].expect_verdict == "tests_fail"
    files = cases["ch02-listing_04_files"].golden
    assert "mod shapes {\npub fn square" in files and "pub mod more {\npub fn one" in files
    assert "crate::shapes::square" in files  # the package's own name is the crate
    reasons = dict(found.skipped)
    assert "ch03-deps/listing_05_oz" not in reasons  # imported, with its dependency (below)
    assert "experimental features negative_impls" in reasons["ch03-deps/listing_06_experimental"]
    assert reasons["ch03-deps/no_lib"] == "no src/lib.cairo"


def test_import_writes_a_valid_suite_and_says_what_it_skipped(
    listings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "project" / "suites" / "book.yaml"
    assert main(["import", "scarb-packages", str(listings), "--out", str(out), "--added", "2026-01-31"]) == 0
    printed = capsys.readouterr().out
    assert "imported 5 cases" in printed and "skipped 2:" in printed
    assert "1 × no src/lib.cairo (ch03-deps/no_lib)" in printed
    assert "book.yaml: ok (4 cases, 3 tests)" in printed
    # the listing with a dependency is a suite of its own, named by its dependency set
    assert "suite book-openzeppelin.yaml: 1 packages (ch03-deps/listing_05_oz): they share the " in printed
    assert "book-openzeppelin.yaml: ok (1 cases, 0 tests)" in printed
    oz = load_suite(out.with_name("book-openzeppelin.yaml"))
    assert oz.dependencies == (("openzeppelin", "2.0.0"),) and oz.name == "book-openzeppelin"
    suite = load_suite(out)
    assert suite.name == "book"
    case = suite.cases[0]
    assert case.golden_path == "golden/book/ch01-listing_01_add.cairo"
    assert (tmp_path / "project" / case.golden_path).is_file() and case.split == "test"
    assert str(case.added) == "2026-01-31"


@needs_native
def test_check_golden_checks_the_compiler_against_expected_verdicts(
    listings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "project" / "suites" / "book.yaml"
    assert main(["import", "scarb-packages", str(listings), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["check-golden", str(out), "--compiler", "native", "--no-cache", "--json"]) == 0
    checks = {c["case"].split("::")[1]: c for c in json.loads(capsys.readouterr().out)}
    assert {k: (c["expected"], c["verdict"], c["outcome"]) for k, c in checks.items()} == {
        "ch01-listing_01_add": ("passes", "passes", "ok"),
        "ch01-listing_02_broken": ("does_not_compile", "does_not_compile", "ok"),
        "ch01-listing_03_failing_test": ("tests_fail", "tests_fail", "ok"),
        "ch02-listing_04_files": ("passes", "passes", "ok"),
    }
    # a golden that compiles although its case says it does not: the check fails and says why
    text = out.read_text().replace("expect_verdict: tests_fail", "expect_verdict: does_not_compile")
    out.write_text(text)
    assert main(["check-golden", str(out), "--compiler", "native", "--no-cache"]) == 1
    captured = capsys.readouterr()
    assert "expected does_not_compile, got tests_fail" in captured.err
    assert "3/4 goldens as their cases expect" in captured.out


CONTRACT = (
    "#[starknet::contract]\nmod {name} {{\n    use openzeppelin_token::erc20::ERC20Component;\n"
    "    #[storage]\n    struct Storage {{}}\n}}\n"
)


def team_package(root: Path, name: str, deps: str, dev: str = "") -> None:
    """A package as a team keeps it: OpenZeppelin dependencies, snforge_std for its tests."""
    (root / name / "src").mkdir(parents=True)
    (root / name / "Scarb.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024_07"\n\n'
        f'[dependencies]\nstarknet = "2.12.1"\n{deps}\n'
        f'[dev-dependencies]\nassert_macros = "2.12.1"\n{dev}\n'
        "[[target.starknet-contract]]\nsierra = true\n"
    )
    (root / name / "src" / "lib.cairo").write_text(CONTRACT.format(name=name.title()))


def test_packages_sharing_a_dependency_set_make_one_suite_with_those_dependencies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "programs"
    oz = 'openzeppelin = "2.0.0"\nopenzeppelin_token = { version = "2.0.0" }\n'
    for name in ("counter", "token", "vault"):
        team_package(root, name, oz, 'snforge_std = "0.49.0"\n')
    out = tmp_path / "project" / "suites" / "team.yaml"
    assert main(["import", "scarb-packages", str(root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "imported 3 cases" in printed and "skipped" not in printed
    assert (
        "suite team.yaml: 3 packages (counter, token, vault): they share the dependencies openzeppelin "
        "2.0.0, openzeppelin_token 2.0.0; snforge_std is a dev-dependency, so the suite runs its tests "
        "with snforge" in printed
    )
    assert sorted(p.name for p in out.parent.iterdir()) == ["team.yaml"]
    suite = load_suite(out)
    assert suite.dependencies == (("openzeppelin", "2.0.0"), ("openzeppelin_token", "2.0.0"))
    assert suite.test_runner == "snforge"
    assert [c.id for c in suite.cases] == ["counter", "token", "vault"]
    assert {c.cairo for c in suite.cases} == {">=2.12.1"} and {c.kind for c in suite.cases} == {"contract"}


def test_packages_with_different_sets_make_a_suite_each_named_by_its_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "programs"
    (root / "vendor" / "alexandria").mkdir(parents=True)
    (root / "vendor" / "alexandria" / "Scarb.toml").write_text('[package]\nname = "alexandria_math"\n')
    (root / "Scarb.toml").write_text(
        '[workspace]\nmembers = ["*"]\n\n[workspace.dependencies]\n'
        'openzeppelin = { git = "https://example.org/cairo-contracts.git", tag = "v2.0.0" }\n'
    )
    team_package(root, "a_oz", "openzeppelin.workspace = true\n", 'snforge_std = "0.49.0"\n')
    team_package(root, "b_oz", "openzeppelin.workspace = true\n", 'snforge_std = "0.49.0"\n')
    team_package(root, "c_math", 'alexandria_math = { path = "../vendor/alexandria" }\n')
    team_package(root, "d_plain", "")
    team_package(root, "e_odd", 'weird = { version = "1.0.0", features = ["x"] }\n')
    team_package(root, "f_oz1", 'openzeppelin = "1.0.0"\n', 'snforge_std = "0.49.0"\n')  # same names
    found = importers.scarb_packages(root)
    assert dict(found.skipped) == {
        "e_odd": "a dependency a suite cannot express: weird: features (a suite's dependency gives "
        "version, path, git, tag, branch, rev)",
        ".": "a workspace manifest without [package]",
        "vendor/alexandria": "no src/lib.cairo",
    }
    out = tmp_path / "project" / "suites" / "team.yaml"
    assert main(["import", "scarb-packages", str(root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 × a dependency a suite cannot express (e_odd)" in printed
    names = sorted(p.name for p in out.parent.iterdir())
    (other,) = [n for n in names if n.startswith("team-openzeppelin-snforge-")]  # + the set's digest
    assert names == sorted(
        ["team-alexandria_math.yaml", "team-openzeppelin-snforge.yaml", other, "team.yaml"]
    )
    assert [c.id for c in load_suite(out.parent / other).cases] == ["f_oz1"]
    oz = load_suite(out.with_name("team-openzeppelin-snforge.yaml"))
    assert [c.id for c in oz.cases] == ["a_oz", "b_oz"] and oz.test_runner == "snforge"
    assert oz.dependencies == (
        ("openzeppelin", '{ git = "https://example.org/cairo-contracts.git", tag = "v2.0.0" }'),
    )
    math = load_suite(out.with_name("team-alexandria_math.yaml"))
    # the folder is written relative to the suite's root, and read back from there
    assert "path: ../programs/vendor/alexandria" in out.with_name("team-alexandria_math.yaml").read_text()
    assert math.dependencies == (
        ("alexandria_math", f'{{ path = "{(root / "vendor" / "alexandria").resolve()}" }}'),
    )
    plain = load_suite(out)
    assert [c.id for c in plain.cases] == ["d_plain"] and plain.dependencies == ()
    assert plain.test_runner == "auto"


@pytest.fixture
def starklings_checkout(tmp_path: Path) -> Path:
    root = tmp_path / "starklings"
    (root / "exercises" / "dict").mkdir(parents=True)
    (root / "solutions" / "dict").mkdir(parents=True)
    (root / "info.toml").write_text(
        '[[exercises]]\nname = "dict9"\npath = "exercises/dict/dict9.cairo"\nmode = "test"\n'
        'hint = """\nUse a Felt252Dict.\n"""\n\n'
        '[[exercises]]\nname = "intro9"\npath = "exercises/dict/intro9.cairo"\nmode = "run"\n'
        'hint = "No hints this time ;)"\n\n'
        '[[exercises]]\nname = "nosol"\npath = "exercises/dict/nosol.cairo"\nmode = "test"\nhint = ""\n'
    )
    tests = (
        "\n#[cfg(test)]\n#[test]\nfn test_get() {\n    let mut d = build();\n"
        "    assert!(d.get('a') == 1);\n}\n"
    )
    (root / "exercises/dict/dict9.cairo").write_text(
        "// Build a dictionary holding 'a' -> 1.\n\n// I AM NOT DONE\n\nfn build() -> Felt252Dict<u32> {\n"
        "    // TODO\n}\n" + tests.replace("assert!(d.get('a') == 1);", "// assert something")
    )
    (root / "solutions/dict/dict9.cairo").write_text(
        "// Build a dictionary holding 'a' -> 1.\n\nfn build() -> Felt252Dict<u32> {\n"
        "    let mut d: Felt252Dict<u32> = Default::default();\n    d.insert('a', 1);\n    d\n}\n" + tests
    )
    (root / "exercises/dict/intro9.cairo").write_text("// I AM NOT DONE\nfn main() {\n    let x = 5\n}\n")
    (root / "solutions/dict/intro9.cairo").write_text("fn main() {\n    let _x = 5;\n}\n")
    (root / "exercises/dict/nosol.cairo").write_text("fn f() {}\n")
    return root


def test_starklings_exercises_with_solutions(starklings_checkout: Path) -> None:
    found = importers.starklings(starklings_checkout)
    assert [c.id for c in found.cases] == ["dict9", "intro9"]
    assert found.skipped == [
        ("exercises/dict/nosol.cairo", "no solution (looked for solutions/dict/nosol.cairo)")
    ]
    dict9, intro9 = found.cases
    assert (
        "I AM NOT DONE" not in dict9.query
        and "// TODO" in dict9.query
        and "Hint: Use a Felt252Dict." in dict9.query
    )
    # the solution's tests (the exercise's were to be completed), and the solution without them
    assert dict9.tests is not None and "assert!(d.get('a') == 1);" in dict9.tests
    assert "fn test_get" not in dict9.golden and "d.insert('a', 1)" in dict9.golden
    assert "`fn build() -> Felt252Dict<u32>`" in dict9.query
    assert intro9.tests is None and "Hint" not in intro9.query and intro9.notes


def test_jsonl_with_a_field_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "dataset.jsonl"
    golden = (
        "pub fn one() -> u8 {\n    1\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn is_one() {\n"
        "        assert_eq!(super::one(), 1);\n    }\n}\n"
    )
    rows = [
        {"query": "Write `one`.", "expected": {"answer": f"Here:\n```cairo\n{golden}```\n"}, "name": "one"},
        {"query": "Write nothing.", "expected": {"answer": "no code here"}},
        "not an object",
        {"query": "", "expected": {"answer": "```cairo\nfn f() {}\n```"}},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    out = tmp_path / "suites" / "team.yaml"
    args = ["import", "jsonl", str(data), "--out", str(out), "--query-field", "query"]
    assert main([*args, "--golden-field", "expected.answer", "--id-field", "name"]) == 0
    printed = capsys.readouterr().out
    assert "imported 1 cases" in printed and "skipped 4:" in printed
    assert "no Cairo code in field 'expected.answer'" in printed and "not JSON" in printed
    (case,) = load_suite(out).cases
    assert case.id == "one" and case.tests is not None and "fn is_one" in case.tests
    assert "fn is_one" not in case.golden and case.query.startswith("Write `one`.")


def test_jsonl_needs_its_field_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text("{}\n")
    assert main(["import", "jsonl", str(data), "--out", str(tmp_path / "x.yaml")]) == 2
    assert "needs --query-field and --golden-field" in capsys.readouterr().err


def test_a_json_document_with_a_list_of_bare_code_records(tmp_path: Path) -> None:
    """Cairo Coder's datasets: `{"examples": [{"query": …, "reference": <bare code>}], "metadata": …}`."""
    data = tmp_path / "dataset.json"
    reference = (
        "// Make me compile!\n\nfn two() -> u8 {\n    2\n}\n\n"
        "#[cfg(test)]\n#[test]\nfn is_two() {\n    assert!(two() == 2);\n}\n"
    )
    data.write_text(
        json.dumps(
            {"examples": [{"query": "Fix `two`.", "reference": reference}, {"query": "x"}], "metadata": {}}
        )
    )
    found = importers.jsonl(data, "query", "reference")
    (case,) = found.cases
    assert case.id == "dataset-1" and case.tests is not None and "fn is_two" in case.tests
    assert case.golden.startswith("// Make me compile!") and "fn is_two" not in case.golden
    assert found.skipped == [("dataset.json[1]", "no Cairo code in field 'reference'")]


def test_check_golden_reports_a_tests_file_problem_at_the_tests_files_line() -> None:
    from harness.cairo import CompileResult, Diagnostic, TestFailure, TestRun
    from harness.goldens import GoldenCheck
    from harness.suite import Case

    case = Case(
        suite="s", id="c", query="q", golden="fn f() {}", kind="program", tests="#[test] fn t() {}",
        golden_path="golden/s/c.cairo", tests_path="golden/s/c.tests.cairo",
    )  # fmt: skip
    clash = Diagnostic("error", "The name `double` is defined multiple times.", "E2118", "tests.cairo", 4, 4)
    result = CompileResult(
        ok=True, backend="native", backend_version="v", duration_s=0.1, diagnostics=(clash,),
        tests=TestRun(0, 1, (TestFailure("<tests>", "do not compile"),), bound=False),
    )  # fmt: skip
    text = GoldenCheck(case, result).explain()
    assert "the tests file (golden/s/c.tests.cairo) does not compile against the golden" in text
    assert "golden/s/c.tests.cairo:4:4: error: [E2118] The name `double` is defined multiple times." in text
