"""The suite loader: valid files load into dataclasses; each kind of mistake is reported with
file, line, case id and field, and all mistakes of a file come out together."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.cli import main
from harness.suite import SuiteError, json_schema, load_suite, load_suites

REPO = Path(__file__).resolve().parents[1]

VALID = """\
suite: demo
description: A tiny suite.
scoring: {compile: 0.3, tests: 0.4, judge: 0.3}
thresholds:
  mean_score: 0.7
  tags:
    math: {mean_score: 0.5}
cases:
  - id: add-one
    query: "Write `add_one(x: u32) -> u32`."
    golden: golden/add_one.cairo
    tests: golden/add_one.tests.cairo
    kind: program
    tags: [math]
    split: train
    expect: {must_contain: ["fn add_one"], must_not_contain: ["usize"]}
  - id: inline
    query: "Write `two() -> u8`."
    golden: |
      fn two() -> u8 { 2 }
    kind: program
"""


ADD_ONE_TESTS = (
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n"
    "        assert_eq!(super::add_one(1), 2);\n    }\n}\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "suites").mkdir()
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden/add_one.cairo").write_text("pub fn add_one(x: u32) -> u32 { x + 1 }\n")
    (tmp_path / "golden/add_one.tests.cairo").write_text(ADD_ONE_TESTS)
    return tmp_path


def write(project: Path, text: str) -> Path:
    path = project / "suites" / "demo.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as e:
        load_suite(path)
    return [str(p) for p in e.value.problems]


def test_valid_suite_loads_into_frozen_dataclasses(project: Path) -> None:
    suite = load_suite(write(project, VALID))
    assert suite.name == "demo" and len(suite.cases) == 2
    first, inline = suite.cases
    assert first.golden.startswith("pub fn add_one") and first.golden_path == "golden/add_one.cairo"
    assert first.tests == ADD_ONE_TESTS
    assert first.tags == ("math",) and first.split == "train" and first.line == 9
    assert first.expect.must_not_contain == ("usize",)
    assert inline.golden == "fn two() -> u8 { 2 }\n" and inline.golden_path is None
    assert inline.split == "test"  # optimizers never see a case unless it says otherwise
    assert suite.thresholds.tags[0][0] == "math"
    with pytest.raises(AttributeError):
        first.id = "x"  # type: ignore[misc]


def test_unknown_field_names_line_case_and_suggestion(project: Path) -> None:
    path = write(project, VALID.replace('    query: "Write `add_one', '    quer: "Write `add_one'))
    found = problems(path)
    # One mistake, one error: the suggestion covers the then-missing 'query'.
    assert found == [f"{path}:10: case 'add-one': field 'quer': unknown field (did you mean 'query'?)"]


def test_unknown_field_without_a_close_match_lists_the_allowed_ones(project: Path) -> None:
    path = write(project, VALID.replace("    split: train", "    split: train\n    zzz: 1"))
    (found,) = problems(path)
    assert found.startswith(f"{path}:16: case 'add-one': field 'zzz': unknown field (allowed: id, query,")


def test_missing_required_field(project: Path) -> None:
    path = write(project, VALID.replace("    kind: program\n    tags", "    tags"))
    assert problems(path) == [f"{path}:9: case 'add-one': field 'kind': missing (required)"]


def test_duplicate_ids(project: Path) -> None:
    path = write(project, VALID.replace("id: inline", "id: add-one"))
    assert problems(path) == [f"{path}:17: case 'add-one': field 'id': duplicate id (first used on line 9)"]


def test_missing_golden_file(project: Path) -> None:
    path = write(project, VALID.replace("golden: golden/add_one.cairo", "golden: golden/nope.cairo"))
    (found,) = problems(path)
    assert found.startswith(f"{path}:11: case 'add-one': field 'golden': file not found: golden/nope.cairo")


def test_missing_tests_file(project: Path) -> None:
    path = write(project, VALID.replace("tests: golden/add_one.tests.cairo", "tests: golden/t.cairo"))
    (found,) = problems(path)
    assert found.startswith(f"{path}:12: case 'add-one': field 'tests': file not found")


# -- golden:/tests: files stay inside the suite's root ---------------------------------------------


@pytest.fixture
def fenced(tmp_path: Path) -> Path:
    """A project at tmp/proj (its root), with a Cairo file just outside it, at tmp/secret.cairo."""
    project = tmp_path / "proj"
    (project / "suites").mkdir(parents=True)
    (project / "golden").mkdir()
    (project / "golden/add_one.cairo").write_text("pub fn add_one(x: u32) -> u32 { x + 1 }\n")
    (project / "golden/add_one.tests.cairo").write_text(ADD_ONE_TESTS)
    (tmp_path / "secret.cairo").write_text("// not the suite's to read\nfn secret() {}\n")
    return project


def golden_problem(project: Path, value: str, key: str = "golden") -> tuple[Path, str]:
    old = {"golden": "golden: golden/add_one.cairo", "tests": "tests: golden/add_one.tests.cairo"}[key]
    path = write(project, VALID.replace(old, f"{key}: {value}"))
    (found,) = problems(path)
    return path, found


@pytest.mark.parametrize(
    "value",
    ["../secret.cairo", "golden/../../secret.cairo", "../../../../../../etc/passwd.cairo"],
    ids=["parent", "dotdot-in-the-middle", "etc-passwd"],
)
def test_a_relative_path_out_of_the_suite_root_is_an_error_at_its_line(fenced: Path, value: str) -> None:
    path, found = golden_problem(fenced, value)
    assert found.startswith(
        f"{path}:11: case 'add-one': field 'golden': {value} leads outside the suite's root ("
    )
    assert "through a symlink" not in found


def test_an_absolute_path_outside_the_root_is_an_error_and_one_inside_it_loads(fenced: Path) -> None:
    outside = fenced.parent / "secret.cairo"
    path, found = golden_problem(fenced, str(outside))
    assert found.startswith(f"{path}:11: case 'add-one': field 'golden': {outside} leads outside")
    inside = fenced / "golden" / "add_one.cairo"
    suite = load_suite(write(fenced, VALID.replace("golden: golden/add_one.cairo", f"golden: {inside}")))
    assert suite.cases[0].golden.startswith("pub fn add_one")


def test_a_symlink_that_leads_out_of_the_root_is_an_error(fenced: Path) -> None:
    (fenced / "golden" / "link.cairo").symlink_to(fenced.parent / "secret.cairo")
    (fenced / "golden" / "elsewhere").symlink_to(fenced.parent, target_is_directory=True)
    for value in ("golden/link.cairo", "golden/elsewhere/secret.cairo"):
        path, found = golden_problem(fenced, value)
        assert found.startswith(
            f"{path}:11: case 'add-one': field 'golden': {value} leads outside the suite's root"
        )
        assert "through a symlink" in found
    (fenced / "golden" / "alias.cairo").symlink_to(fenced / "golden" / "add_one.cairo")  # stays inside
    suite = load_suite(write(fenced, VALID.replace("golden/add_one.cairo", "golden/alias.cairo")))
    assert suite.cases[0].golden.startswith("pub fn add_one")


def test_a_tests_path_out_of_the_root_is_an_error_too(fenced: Path) -> None:
    path, found = golden_problem(fenced, "../secret.cairo", key="tests")
    assert found.startswith(f"{path}:12: case 'add-one': field 'tests': ../secret.cairo leads outside")


@pytest.mark.parametrize(
    "value", ["golden/add_one.txt", "golden/add_one", "add_one.cairo.bak", "notes.md", "C:\\golden\\x"]
)
def test_a_value_that_looks_like_a_path_but_is_not_a_cairo_file_is_an_error_not_inline_cairo(
    fenced: Path, value: str
) -> None:
    (fenced / "golden" / "add_one.txt").write_text("pub fn add_one(x: u32) -> u32 { x + 1 }\n")
    for key, line in (("golden", 11), ("tests", 12)):
        path, found = golden_problem(fenced, f"'{value}'", key=key)
        where = f"{path}:{line}: case 'add-one': field '{key}'"
        assert found.startswith(f"{where}: {value!r} looks like a file path but is not a .cairo file")


def test_one_line_inline_cairo_is_still_inline(fenced: Path) -> None:
    suite = load_suite(
        write(fenced, VALID.replace("golden: golden/add_one.cairo", "golden: 'fn f() -> u8 { 1 }'"))
    )
    assert suite.cases[0].golden == "fn f() -> u8 { 1 }" and suite.cases[0].golden_path is None


def test_validate_refuses_a_path_out_of_the_root_with_file_and_line(fenced: Path) -> None:
    path = write(fenced, VALID.replace("golden: golden/add_one.cairo", "golden: ../../etc/passwd.cairo"))
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"{path}:11: case 'add-one': field 'golden': ../../etc/passwd.cairo leads outside"
    )
    assert "Traceback" not in proc.stderr


def test_unknown_tag_in_thresholds(project: Path) -> None:
    path = write(project, VALID.replace("    math: {mean_score: 0.5}", "    maths: {mean_score: 0.5}"))
    assert problems(path) == [
        f"{path}:7: field 'thresholds.tags.maths': unknown tag 'maths': no case has it (did you mean 'math'?)"
    ]


def test_dependencies_with_a_path_or_git_source(project: Path) -> None:
    """CI without the registry: a dependency read from a checkout (relative to the suite's root) or
    from git; the manifest-ready spec carries the folder made absolute."""
    (project / "vendor/cairo-contracts").mkdir(parents=True)
    (project / "vendor/cairo-contracts/Scarb.toml").write_text('[package]\nname = "openzeppelin"\n')
    deps = (
        "dependencies:\n"
        "  openzeppelin: {version: '2.0.0', path: vendor/cairo-contracts}\n"
        "  alexandria_math: {git: 'https://example.org/alexandria.git', tag: v0.5.0}\n"
        "  starknet_plain: '2.12.1'\n"
    )
    suite = load_suite(write(project, VALID.replace("cases:\n", deps + "cases:\n", 1)))
    assert dict(suite.dependencies) == {
        "openzeppelin": f'{{ version = "2.0.0", path = "{project.resolve()}/vendor/cairo-contracts" }}',
        "alexandria_math": '{ git = "https://example.org/alexandria.git", tag = "v0.5.0" }',
        "starknet_plain": "2.12.1",
    }


def test_bad_dependency_sources_are_errors_at_their_lines(project: Path) -> None:
    deps = (
        "dependencies:\n"
        "  openzeppelin: {version: '2.0.0', path: vendor/missing}\n"
        "  a: {pth: vendor}\n"
        "  b: {path: vendor, git: 'https://example.org/b.git'}\n"
        "  c: {version: '2.0.0', tag: v1}\n"
        "  Bad-Name: '1.0'\n"
        "  d: {git: 'https://example.org/d.git\"\\n[scripts]'}\n"
        "  e: {}\n"
    )
    path = write(project, VALID.replace("cases:\n", deps + "cases:\n", 1))
    found = problems(path)
    where = project.resolve() / "vendor/missing"
    assert found == [
        f"{path}:9: field 'dependencies.openzeppelin.path': no Scarb.toml in vendor/missing (looked in "
        f"{where}): the path names the folder of the package's manifest, relative to the suite's root",
        f"{path}:10: field 'dependencies.a.pth': unknown field (did you mean 'path'?)",
        f"{path}:11: field 'dependencies.b': give either path or git, not both",
        f"{path}:11: field 'dependencies.b.path': no Scarb.toml in vendor (looked in {project.resolve()}"
        "/vendor): the path names the folder of the package's manifest, relative to the suite's root",
        f"{path}:12: field 'dependencies.c': tag needs git",
        f"{path}:13: field 'dependencies.Bad-Name.[key]': not a Scarb package name (lowercase letters, "
        "digits and _) (got 'Bad-Name')",
        f"{path}:14: field 'dependencies.d': git: empty, or holds a quote, backslash or control character",
        f"{path}:15: field 'dependencies.e': give a version, a path or a git source",
    ]


def test_threshold_outside_unit_interval(project: Path) -> None:
    path = write(project, VALID.replace("mean_score: 0.7", "mean_score: 1.5"))
    assert problems(path) == [f"{path}:5: field 'thresholds.mean_score': must be between 0 and 1 (got 1.5)"]


def test_bad_choice(project: Path) -> None:
    path = write(project, VALID.replace("kind: program\n    tags", "kind: contrct\n    tags"))
    (found,) = problems(path)
    assert found.startswith(
        f"{path}:13: case 'add-one': field 'kind': input should be 'contract' or 'program'"
    )


def test_yaml_syntax_error(project: Path) -> None:
    path = write(project, VALID.replace("  - id: inline", "  - id: [inline"))
    (found,) = problems(path)
    assert found.startswith(f"{path}:") and "YAML syntax error" in found


def test_empty_suite(project: Path) -> None:
    path = write(project, "suite: demo\ncases: []\n")
    assert problems(path) == [f"{path}:2: field 'cases': the suite has no cases"]


def test_not_a_mapping(project: Path) -> None:
    path = write(project, "- just\n- a list\n")
    assert problems(path) == [f"{path}:1: a suite is a mapping with 'suite:' and 'cases:'"]


def test_all_errors_of_a_file_are_collected(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = (
        VALID.replace("mean_score: 0.7", "mean_score: 7")
        .replace('    query: "Write `add_one', '    quer: "Write `add_one')
        .replace("golden: golden/add_one.cairo", "golden: golden/gone.cairo")
        .replace("id: inline", "id: add-one")
    )
    path = write(project, planted)
    assert main(["validate", str(path)]) == 2  # an invalid suite is a configuration error
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(":")[1] for line in lines] == ["5", "10", "11", "17"]  # 4 mistakes, 4 errors
    assert all(line.startswith(f"{path}:") for line in lines)


def test_errors_of_several_files_are_all_reported(project: Path) -> None:
    write(project, VALID.replace("mean_score: 0.7", "mean_score: -1"))
    (project / "suites" / "other.yaml").write_text("suite: other\ncases: []\n")
    with pytest.raises(SuiteError) as e:
        load_suites([project / "suites"])
    assert {Path(p.file).name for p in e.value.problems} == {"demo.yaml", "other.yaml"}


def test_published_schema_accepts_the_starter_suites_and_rejects_typos() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((REPO / "suites").glob("*.yaml")):
        # as an editor reads it: an unquoted `added: 2026-12-02` is a date string, not PyYAML's date
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert list(validator.iter_errors(data)) == [], path
        data["cases"][0]["quer"] = "typo"
        assert any("quer" in e.message for e in validator.iter_errors(data))


def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "query" in schema["$defs"]["CaseModel"]["properties"]


def test_starter_suites_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "suites")]) == 0
    out = capsys.readouterr().out
    assert "cairo-basics.yaml: ok" in out and "starknet-contracts.yaml: ok" in out


def test_validate_reports_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read suite file" in capsys.readouterr().err


def test_inline_golden_keeps_its_lines(project: Path) -> None:
    text = VALID + (
        "  - id: multi\n"
        "    query: Write two functions.\n"
        "    golden: |\n"
        "      fn a() {}\n"
        "      fn b() {}\n"
        "    kind: program\n"
    )
    suite = load_suite(write(project, text))
    assert suite.cases[-1].golden == "fn a() {}\nfn b() {}\n"


def test_committed_schema_is_current() -> None:
    """suites/*.yaml point editors at ../suite.schema.json: it must match the loader."""
    committed = json.loads((REPO / "suite.schema.json").read_text())
    assert committed == json_schema(), "run: cairo-evals schema > suite.schema.json"


# -- hostile and broken input: every one a file:line problem and exit 2, never a hang or a traceback

ALIAS_BOMB = (
    "suite: bomb\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "cases: *i\n"
)
CASE = "  - id: a\n    query: q\n    golden: |\n      fn a() {}\n    kind: program\n"


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("alias-bomb", ALIAS_BOMB.encode(), None, "aliases expand to more than 100,000 extra YAML nodes"),
        ("deep", ("suite: deep\ncases: " + "[" * 20000 + "]" * 20000 + "\n").encode(), 2, "nested deeper"),
        (
            "latin-1",
            "suite: s\ndescription: café\ncases: []\n".encode("latin-1"),
            2,
            "not UTF-8 text: byte 0xe9",
        ),
        (
            "duplicate-key",
            f"suite: s\ncases:\n{CASE}    kind: contract\n".encode(),
            8,
            "duplicate key 'kind'",
        ),
        (
            "infinite-weight",
            f"suite: s\ncases:\n{CASE}    weight: .inf\n".encode(),
            8,
            "not a finite number: .inf",
        ),
        ("nan-threshold", b"suite: s\nthresholds: {mean_score: .nan}\ncases: []\n", 2, "not a finite number"),
    ],
)
def test_hostile_suite_files_exit_2_with_file_and_line(
    tmp_path: Path, name: str, content: bytes, line: int | None, message: str
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    # A real process with a generous bound: before the limits, the bomb ran 10 minutes and the
    # deep nesting ended in a RecursionError traceback.
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (first, *_) = proc.stderr.strip().splitlines()
    assert first.startswith(f"{path}:{line or ''}"), first
    assert message in first


def test_a_suite_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as f:
        f.write("suite: s\ncases:\n")
        while f.tell() < 50 * 2**20:
            f.write(CASE)
    with pytest.raises(SuiteError) as e:
        load_suite(path)
    (problem,) = e.value.problems
    assert problem.line == 1 and "50.0 MiB; suite files are limited to 4 MiB" in problem.message


def test_numbers_given_as_strings_must_be_finite_too(project: Path) -> None:
    path = write(project, VALID.replace("mean_score: 0.7", 'mean_score: "inf"'))
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:5:") and "finite" in problem


def test_aliases_and_merge_keys_within_the_limits_still_work(project: Path) -> None:
    text = VALID.replace("    kind: program\n    tags: [math]", "    kind: program\n    tags: &t [math]", 1)
    suite = load_suite(write(project, text + "    tags: *t\n"))
    assert suite.cases[-1].tags == ("math",)
