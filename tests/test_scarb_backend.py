"""The Scarb backend against a stand-in `scarb`.

Scarb cannot be installed on these machines, so every test named `test_stand_in_scarb_*`
runs the real backend code against a small Python script named `scarb`, put first on PATH,
that replays recorded-shape Scarb output from `tests/fixtures/scarb/` (see its README for
where each shape comes from) and records its argv, environment and the package it was given.
What these tests show is that the backend writes the right package, calls Scarb safely and
reads Scarb's formats correctly; they do not show that real Scarb accepts the manifest.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness.cairo import _types
from harness.cairo._types import CompileRequest, CompilerNotFound
from harness.cairo.diagnostics import join_sources
from harness.cairo.scarb import (
    ScarbBackend,
    ScarbVersion,
    decode_panic,
    parse_output,
    parse_test_output,
    parse_version_output,
    render_manifest,
)
from harness.cairo.scarb import _Source as ScarbSource

FIXTURES = Path(__file__).parent / "fixtures" / "scarb"

STAND_IN = r'''#!/usr/bin/env python3
"""Stand-in `scarb` for tests: replays recorded-shape output; it compiles nothing."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

plan = json.loads(os.environ.get("STAND_IN_SCARB_PLAN", "{}"))
fixtures = Path(os.environ["STAND_IN_SCARB_FIXTURES"])
argv = sys.argv[1:]


def record(entry):
    with open(os.environ["STAND_IN_SCARB_RECORD"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def emit(name, stream, pkg):
    if name:
        stream.write((fixtures / name).read_text(encoding="utf-8").replace("{PKG}", pkg))
        stream.flush()


if argv == ["--version"]:
    record({"argv": argv})
    step = plan.get("--version", {})
    emit(step.get("stdout", "version.txt"), sys.stdout, "")
    sys.exit(step.get("exit", 0))

values, rest, i = {}, [], 0
while i < len(argv):
    if argv[i] in ("--manifest-path", "--target-dir"):
        values[argv[i]] = argv[i + 1]
        i += 2
    else:
        rest.append(argv[i])
        i += 1
command = next(a for a in rest if not a.startswith("-"))
manifest = Path(values["--manifest-path"])
pkg = str(manifest.parent)
step = plan.get(command)
entry = {
    "argv": argv,
    "command": command,
    "cwd": os.getcwd(),
    "pkg": pkg,
    "target": values.get("--target-dir"),
    "scarb_cache": os.environ.get("SCARB_CACHE"),
    "manifest": manifest.read_text(encoding="utf-8"),
    "lib": (manifest.parent / "src" / "lib.cairo").read_text(encoding="utf-8"),
}
if step is None:
    record(entry)
    sys.stderr.write(f"stand-in scarb: no plan for {command!r}\n")
    sys.exit(2)
if step.get("spawn_child"):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    entry["pids"] = [os.getpid(), child.pid]
record(entry)
time.sleep(step.get("sleep", 0))
emit(step.get("stdout"), sys.stdout, pkg)
emit(step.get("stderr"), sys.stderr, pkg)
sys.exit(step.get("exit", 0))
'''

COUNTER = """\
#[starknet::interface]
pub trait ICounter<TContractState> {
    fn get(self: @TContractState) -> u64;
    fn increment(ref self: TContractState);
}

#[starknet::contract]
pub mod Counter {
    #[storage]
    struct Storage {
        value: u64,
    }

    #[abi(embed_v0)]
    impl CounterImpl of super::ICounter<ContractState> {
        fn get(self: @ContractState) -> u64 {
            self.value.read()
        }

        fn increment(ref self: ContractState) {
            self.value.write(self.value.read() + 1);
        }
    }
}
"""
COUNTER_BROKEN = COUNTER.replace("self.value.read() + 1", "self.value.read() + step")

COUNTER_TESTS = """\
#[cfg(test)]
mod tests {
    use super::Counter;
    use super::ICounter;

    #[test]
    fn test_initial_value() {
        let state = Counter::contract_state_for_testing();
        assert(state.get() == 0, 'initial value');
    }

    #[test]
    fn test_set_and_get() {
        let mut state = Counter::contract_state_for_testing();
        state.increment();
        assert(state.get() == 2, 'wrong value');
    }

    #[test]
    fn test_counter_eq() {
        let mut state = Counter::contract_state_for_testing();
        state.increment();
        assert_eq!(state.get(), 2);
    }
}
"""
# The fixtures place this error at line 40, column 31 of the joined file (tests.cairo:16).
COUNTER_TESTS_UNBOUND = COUNTER_TESTS.replace(
    "state.get() == 2, 'wrong value'", "state.get() == EXPECTED, 'wrong value'"
)

PROGRAM = """\
fn hello() -> felt252 {
    let a = 41;
    let b = 42;
    b
}
"""


class StandIn:
    """The stand-in `scarb` of one test: its plan, its records and a backend using it."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        self.record = root / "record.jsonl"
        self.work = root / "work"

    def plan(self, **steps: dict[str, Any]) -> None:
        """What each subcommand prints (fixture names), how it exits, whether it sleeps."""
        plan = {key.replace("_", "-"): value for key, value in steps.items()}
        self.monkeypatch.setenv("STAND_IN_SCARB_PLAN", json.dumps(plan))

    def calls(self, command: str | None = None) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        calls = [json.loads(line) for line in self.record.read_text().splitlines()]
        return [c for c in calls if command is None or c.get("command") == command]

    def backend(self, **kw: Any) -> ScarbBackend:
        return ScarbBackend(work_root=self.work, **kw)


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "scarb"
    script.write_text(STAND_IN, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # `#!/usr/bin/env python3` finds this interpreter first (no slow version-manager shim).
    (bindir / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("STAND_IN_SCARB_FIXTURES", str(FIXTURES))
    monkeypatch.setenv("STAND_IN_SCARB_RECORD", str(tmp_path / "record.jsonl"))
    monkeypatch.delenv("STAND_IN_SCARB_PLAN", raising=False)
    return StandIn(tmp_path, monkeypatch)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie awaiting its reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


# -- the stand-in runs -----------------------------------------------------------------------


def test_stand_in_scarb_success(stand_in: StandIn) -> None:
    stand_in.plan(
        build={"stdout": "build_ok.ndjson"},
        cairo_test={"stdout": "cairo_test_ok.txt"},
    )
    backend = stand_in.backend()
    req = CompileRequest(COUNTER, "contract", tests=COUNTER_TESTS, dependencies=(("openzeppelin", "2.0.0"),))
    result = backend.compile(req)

    assert result.ok and result.passed
    assert result.status == "ok"
    assert result.backend == "scarb"
    assert result.backend_version == "2.12.1 (cairo 2.12.1)"
    assert result.diagnostics == ()
    assert result.tests is not None
    assert (result.tests.passed, result.tests.failed, result.tests.failures) == (3, 0, ())
    assert result.duration_s >= 0

    build, test = stand_in.calls("build")[0], stand_in.calls("cairo-test")[0]
    # Our own manifest, for the installed Scarb 2.12.1.
    manifest = build["manifest"]
    for line in (
        'name = "answer"',
        'edition = "2024_07"',
        'starknet = "2.12.1"',
        'openzeppelin = "2.0.0"',
        'cairo_test = "2.12.1"',
        'assert_macros = "2.12.1"',
        "[lib]",
        "[[target.starknet-contract]]",
        "sierra = true",
    ):
        assert line in manifest
    assert manifest.index("[dependencies]") < manifest.index("openzeppelin")
    assert manifest.index("[dev-dependencies]") < manifest.index("cairo_test")
    # The answer and the renamed test module are the package's only source.
    assert build["lib"] == join_sources(COUNTER, COUNTER_TESTS)[0]
    assert "mod cairo_evals_tests" in build["lib"]
    # Safe, cache-sharing invocations.
    pkg = Path(build["pkg"])
    assert build["argv"][:2] == ["--json", "--offline"] and build["argv"][-1] == "build"
    assert test["argv"][-3:] == ["cairo-test", "--filter", "cairo_evals_tests::"]
    assert "--offline" in test["argv"]
    for call in (build, test):
        assert Path(call["cwd"]) == pkg
        assert call["scarb_cache"] == str(stand_in.work / "cache")
        assert Path(call["target"]).parent == stand_in.work / "target"
        assert not any("Counter" in a or "\n" in a for a in call["argv"])
    assert pkg.parent == stand_in.work / "tmp"
    assert not pkg.exists()  # deleted after the call


def test_stand_in_scarb_error_has_code_and_location(stand_in: StandIn) -> None:
    stand_in.plan(build={"stdout": "build_type_error.ndjson", "exit": 1})
    result = stand_in.backend().compile(CompileRequest(COUNTER_BROKEN, "contract", tests=COUNTER_TESTS))

    assert not result.ok and result.status == "error"
    assert result.tests is None
    assert len(result.errors) == 1  # the "could not compile" summary is not a diagnostic
    err = result.errors[0]
    assert (err.code, err.file, err.line, err.col) == ("E0006", "lib.cairo", 21, 50)
    assert err.message == "Identifier not found."
    assert err.render() == "lib.cairo:21:50: error: [E0006] Identifier not found."
    assert stand_in.calls("cairo-test") == []  # no test run on a broken answer


def test_stand_in_scarb_warning_still_compiles(stand_in: StandIn) -> None:
    stand_in.plan(build={"stdout": "build_warning.ndjson"})
    result = stand_in.backend().compile(CompileRequest(PROGRAM, "program"))

    assert result.ok and result.status == "ok" and result.tests is None
    (warning,) = result.diagnostics
    assert warning.severity == "warning"
    assert (warning.code, warning.file, warning.line, warning.col) == ("E0001", "lib.cairo", 2, 9)
    assert warning.message.startswith("Unused variable.")
    manifest = stand_in.calls("build")[0]["manifest"]
    assert "starknet" not in manifest  # a program: no Starknet dependency or contract target
    assert "[lib]" in manifest
    assert stand_in.calls("cairo-test") == []


def test_stand_in_scarb_manifest_error_is_a_clear_error(stand_in: StandIn) -> None:
    stand_in.plan(build={"stdout": "manifest_error.ndjson", "exit": 1})
    result = stand_in.backend().compile(CompileRequest(COUNTER, "contract"))

    assert not result.ok
    assert result.status == "crash"  # Scarb stopped before compiling: not the answer's fault
    (err,) = result.diagnostics
    assert err.severity == "error" and err.code == "scarb-setup" and err.line is None
    assert err.message.startswith("failed to parse manifest at: ")
    assert "Caused by:" in err.message and "TomlDependency" in err.message
    assert any("not the answer" in n or "says nothing about the answer" in n for n in result.notes)


def test_stand_in_scarb_failure_without_any_output_is_not_lost(stand_in: StandIn) -> None:
    stand_in.plan(build={"stderr": "cairo_test_compile_error.stderr.txt", "exit": 101})
    result = stand_in.backend().compile(CompileRequest(COUNTER, "contract"))

    assert not result.ok and result.status == "crash"
    (err,) = result.errors
    assert err.code == "no-detail"
    assert "exit code 101" in err.message and "exited with error" in err.message


def test_stand_in_scarb_timeout_kills_the_process_group(stand_in: StandIn) -> None:
    stand_in.plan(build={"sleep": 60, "spawn_child": True, "stdout": "build_ok.ndjson"})
    backend = stand_in.backend()
    backend.version()  # outside the timed part, as a Compiler does once
    start = time.monotonic()
    result = backend.compile(CompileRequest(COUNTER, "contract", tests=COUNTER_TESTS), timeout=2)
    elapsed = time.monotonic() - start

    assert elapsed < 2 + 5
    assert not result.ok and result.status == "timeout"
    assert result.diagnostics[0].code == "timeout"
    assert result.diagnostics[0].message == "scarb did not finish within 2 s; killed"
    (call,) = stand_in.calls("build")
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in call["pids"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in call["pids"]), "scarb or its child outlived the call"
    assert not Path(call["pkg"]).exists()


def test_stand_in_scarb_timeout_during_tests_keeps_the_build(stand_in: StandIn) -> None:
    stand_in.plan(build={"stdout": "build_ok.ndjson"}, cairo_test={"sleep": 60})
    result = stand_in.backend().compile(CompileRequest(COUNTER, "contract", tests=COUNTER_TESTS), timeout=3)

    assert result.ok and result.status == "timeout" and not result.passed
    assert result.tests is not None and (result.tests.passed, result.tests.failed) == (0, 3)
    assert result.tests.failures[0].name == "<tests>"
    assert any(d.code == "timeout" for d in result.diagnostics)


def test_stand_in_scarb_failing_tests_are_named_with_messages(stand_in: StandIn) -> None:
    stand_in.plan(
        build={"stdout": "build_ok.ndjson"},
        cairo_test={"stdout": "cairo_test_failed.txt", "stderr": "cairo_test_failed.stderr.txt", "exit": 1},
    )
    result = stand_in.backend().compile(CompileRequest(COUNTER, "contract", tests=COUNTER_TESTS))

    assert result.ok and result.status == "ok" and not result.passed
    assert result.tests is not None
    assert (result.tests.passed, result.tests.failed) == (1, 2)
    assert result.tests.failures == (
        _types.TestFailure("test_set_and_get", "wrong value"),
        _types.TestFailure("test_counter_eq", "assertion `state.get() == 2` failed.\nstate.get(): 1\n2: 2"),
    )
    assert result.diagnostics == ()
    assert any("deprecated" in n for n in result.notes)  # Scarb's remark, kept as a note


def test_stand_in_scarb_tests_that_do_not_compile(stand_in: StandIn) -> None:
    stand_in.plan(
        build={"stdout": "build_ok.ndjson"},
        cairo_test={
            "stdout": "cairo_test_compile_error.txt",
            "stderr": "cairo_test_compile_error.stderr.txt",
            "exit": 1,
        },
    )
    result = stand_in.backend().compile(CompileRequest(COUNTER, "contract", tests=COUNTER_TESTS_UNBOUND))

    assert result.ok and result.status == "ok" and not result.passed
    assert result.tests is not None
    assert (result.tests.passed, result.tests.failed) == (0, 3)
    (failure,) = result.tests.failures
    assert failure.name == "<tests>"
    assert failure.message.startswith("the case's tests do not compile against this answer: ")
    assert "tests.cairo:16:31" in failure.message and "Identifier not found." in failure.message
    (err,) = result.errors
    assert (err.code, err.file, err.line, err.col) == ("E0006", "tests.cairo", 16, 31)


def test_stand_in_scarb_tests_that_break_the_build(stand_in: StandIn) -> None:
    """Tests outside `#[cfg(test)]` are compiled by `scarb build` itself: errors only in
    them still mean the answer is fine and the tests do not bind to it."""
    stand_in.plan(build={"stdout": "build_tests_error.ndjson", "exit": 1})
    result = stand_in.backend().compile(CompileRequest(COUNTER, "contract", tests=COUNTER_TESTS_UNBOUND))

    assert result.ok and result.tests is not None
    assert (result.tests.passed, result.tests.failed) == (0, 3)
    assert result.errors[0].file == "tests.cairo" and result.errors[0].line == 16
    assert stand_in.calls("cairo-test") == []


@pytest.mark.parametrize(
    ("fixture", "scarb", "cairo", "edition", "dev"),
    [
        ("version.txt", "2.12.1", "2.12.1", "2024_07", {"cairo_test": "2.12.1", "assert_macros": "2.12.1"}),
        ("version_2_8_4.txt", "2.8.4", "2.8.4", "2024_07", {"cairo_test": "2.8.4", "assert_macros": "2.8.4"}),
        ("version_2_6_5.txt", "2.6.5", "2.6.4", "2023_11", {}),
    ],
)
def test_stand_in_scarb_manifest_follows_the_installed_version(
    stand_in: StandIn, fixture: str, scarb: str, cairo: str, edition: str, dev: dict[str, str]
) -> None:
    stand_in.plan(**{"--version": {"stdout": fixture}}, build={"stdout": "build_ok.ndjson"})
    backend = stand_in.backend()
    result = backend.compile(CompileRequest(COUNTER, "contract"))

    assert backend.version() == scarb and backend.cairo_version == cairo
    assert result.backend_version == f"{scarb} (cairo {cairo})"
    manifest = stand_in.calls("build")[0]["manifest"]
    assert f'edition = "{edition}"' in manifest
    assert f'starknet = "{cairo}"' in manifest
    for name in ("cairo_test", "assert_macros"):
        if name in dev:
            assert f'{name} = "{dev[name]}"' in manifest
        else:
            assert name not in manifest
    assert ("[dev-dependencies]" in manifest) == bool(dev)


def test_stand_in_scarb_version_runs_once(stand_in: StandIn) -> None:
    stand_in.plan(build={"stdout": "build_ok.ndjson"})
    backend = stand_in.backend()
    assert backend.version() == "2.12.1"
    backend.compile(CompileRequest(PROGRAM, "program"))
    backend.compile(CompileRequest(PROGRAM, "program"))
    assert len([c for c in stand_in.calls() if c["argv"] == ["--version"]]) == 1


def test_stand_in_scarb_broken_version_raises_compiler_not_found(stand_in: StandIn) -> None:
    stand_in.plan(**{"--version": {"stdout": "version_broken.txt", "exit": 1}})
    with pytest.raises(CompilerNotFound) as info:
        stand_in.backend().version()
    assert "--version" in str(info.value) and "unrecognized subcommand" in str(info.value)
    assert "Install Scarb" in str(info.value)


def test_scarb_missing_raises_compiler_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    backend = ScarbBackend(work_root=tmp_path / "work")
    with pytest.raises(CompilerNotFound) as info:
        backend.compile(CompileRequest(PROGRAM, "program"))
    message = str(info.value)
    assert "`scarb` on PATH" in message and str(empty) in message
    assert "Install Scarb" in message and "https://docs.swmansion.com/scarb" in message

    with pytest.raises(CompilerNotFound, match="the path"):
        ScarbBackend(str(tmp_path / "nowhere" / "scarb"), work_root=tmp_path).version()


def test_stand_in_scarb_parallel_calls_use_separate_target_slots(stand_in: StandIn) -> None:
    stand_in.plan(build={"stdout": "build_ok.ndjson", "sleep": 1.0})
    backend = stand_in.backend()
    backend.version()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(backend.compile(CompileRequest(PROGRAM, "program"))))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and all(r.ok for r in results)
    targets = {Path(c["target"]) for c in stand_in.calls("build")}
    assert targets == {stand_in.work / "target" / "0", stand_in.work / "target" / "1"}

    stand_in.plan(build={"stdout": "build_ok.ndjson"})
    backend.compile(CompileRequest(PROGRAM, "program"))  # a lone call reuses slot 0
    assert Path(stand_in.calls("build")[-1]["target"]) == stand_in.work / "target" / "0"


def test_stand_in_scarb_rejects_unsafe_dependency(stand_in: StandIn) -> None:
    backend = stand_in.backend()
    bad = CompileRequest(
        COUNTER, "contract", dependencies=(("openzeppelin", '2.0.0"\n[scripts]\nbuild = "rm"'),)
    )
    with pytest.raises(ValueError, match="dependency"):
        backend.compile(bad)
    assert stand_in.calls("build") == []


# -- the parsers on their own (no process) ----------------------------------------------------


def test_version_output_parsing() -> None:
    text = (FIXTURES / "version.txt").read_text()
    assert parse_version_output(text) == ScarbVersion("2.12.1", "2.12.1")
    assert parse_version_output("scarb: 2.9.0-rc.1\ncairo: 2.9.0-rc.1\n") == ScarbVersion(
        "2.9.0-rc.1", "2.9.0-rc.1"
    )
    assert parse_version_output("scarb 2.12.1\n") is None


def test_manifest_for_scarb_2_7_uses_the_old_assert_macros_version() -> None:
    manifest = render_manifest("program", (), ScarbVersion("2.7.1", "2.7.1"))
    assert 'cairo_test = "2.7.1"' in manifest and 'assert_macros = "0.1.0"' in manifest
    assert 'edition = "2024_07"' in manifest and "starknet" not in manifest


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("Panicked with 0x77726f6e672076616c7565 ('wrong value').", "wrong value"),
        ("Panicked with (0x61 ('a'), 0x62 ('b')).", "a, b"),
        ('Panicked with "balance is too low".', "balance is too low"),
        (
            "panicked with [1725643816656041371866211894343434536761780588 ('Make this test fail'), ].",
            "Make this test fail",
        ),
        ("Panicked with 0x1.", "Panicked with 0x1."),
        ("expected panic but finished successfully.", "expected panic but finished successfully."),
    ],
)
def test_panic_messages_are_decoded(raw: str, decoded: str) -> None:
    assert decode_panic(raw) == decoded


def test_test_output_without_gas_and_with_ignored_tests() -> None:
    lines = parse_test_output(
        "running 3 tests\n"
        "test answer::cairo_evals_tests::a ... ok\n"
        "test answer::cairo_evals_tests::b ... ignored\n"
        "test answer::cairo_evals_tests::c ... failed to run\n"
        "failures:\n"
        "   answer::cairo_evals_tests::c - Failed setting up runner.\n"
    )
    assert lines.passed == ["answer::cairo_evals_tests::a"]
    assert lines.failed == ["answer::cairo_evals_tests::c"]
    assert lines.reasons == {"answer::cairo_evals_tests::c": "Failed setting up runner."}


def test_structured_json_diagnostic_span_is_mapped(tmp_path: Path) -> None:
    source, answer_lines = join_sources(COUNTER_BROKEN, COUNTER_TESTS)
    lib = tmp_path / "src" / "lib.cairo"
    offset = len(source[: source.index("step")].encode())
    line = json.dumps(
        {
            "type": "diagnostic",
            "severity": "error",
            "message": "Identifier not found.",
            "code": "E0006",
            "file": str(lib),
            "span": {"start": offset, "end": offset + 4},
        }
    )
    parsed = parse_output(line + "\n", "", ScarbSource(lib, answer_lines, source))
    (diag,) = parsed.diagnostics
    assert (diag.code, diag.file, diag.line, diag.col) == ("E0006", "lib.cairo", 21, 50)


def test_diagnostics_in_other_files_keep_their_path(tmp_path: Path) -> None:
    source, answer_lines = join_sources(COUNTER, None)
    lib = tmp_path / "src" / "lib.cairo"
    dep = "/cache/registry/openzeppelin/src/lib.cairo"
    line = json.dumps({"type": "error", "message": f"Oops.\n --> {dep}:3:7\n", "code": "E9"})
    (diag,) = parse_output(line, "", ScarbSource(lib, answer_lines, source)).diagnostics
    assert (diag.file, diag.line, diag.col) == (dep, 3, 7)
