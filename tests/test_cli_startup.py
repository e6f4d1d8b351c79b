"""The quick commands stay quick: `validate`, `schema` and `doctor` import neither DSPy, LiteLLM,
MLflow nor scipy (together seconds of CPU before anything is checked). Each test runs the CLI in
a fresh interpreter and reads `sys.modules` afterwards; nothing here measures time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cairo import native

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("dspy", "litellm", "mlflow", "scipy")
ENV = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MLFLOW_DISABLE_TELEMETRY": "true"}

PROBE = """
import contextlib, io, json, sys
from harness.cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    code = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
print(json.dumps({"code": code, "heavy": heavy, "out": out.getvalue(), "err": err.getvalue()}))
""" % (HEAVY,)  # noqa: UP031 (the braces of the script)


def probe(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def valid_suite(folder: Path) -> Path:
    (folder / "golden").mkdir(parents=True)
    (folder / "golden" / "add.cairo").write_text("fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n")
    path = folder / "tiny.yaml"
    path.write_text(
        'suite: tiny\ncases:\n  - id: add\n    query: "Write `add(a: u32, b: u32) -> u32`."\n'
        "    golden: golden/add.cairo\n    kind: program\n"
    )
    return path


def test_validate_of_a_valid_suite_imports_no_dspy_litellm_mlflow_or_scipy(tmp_path: Path) -> None:
    found = probe("validate", str(valid_suite(tmp_path)))
    assert found["code"] == 0, found["err"]
    assert "tiny" in found["out"]
    assert found["heavy"] == []


def test_validate_of_the_starter_suites_imports_none_of_them_either() -> None:
    found = probe("validate")
    assert found["code"] == 0, found["err"]
    assert found["heavy"] == []


@pytest.mark.parametrize("command", [["schema"], ["doctor", "--json"]], ids=["schema", "doctor"])
def test_schema_and_doctor_import_none_of_them(command: list[str]) -> None:
    found = probe(*command)
    assert found["code"] in (0, 1)  # doctor: 1 when no compiler is usable on this machine
    assert found["heavy"] == []


def test_a_usage_error_of_a_command_that_imports_the_runner_is_still_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    """`UsageError` is no longer imported by the CLI module itself: it must still be exit 2."""
    found = probe("compare", "no-such-run-a", "no-such-run-b", "--out", str(tmp_path))
    assert found["code"] == 2
    assert found["err"].startswith("error: run 'no-such-run-a' not found")
    assert "Traceback" not in found["err"]


VERSION_PROBE = """
import json, sys
sys.argv = ["cairo-evals", "--version"]
import harness
code = harness.main() if "ENTRY" == "entry" else None
if code is None:
    from harness.cli import main
    try:
        main(["--version"])
    except SystemExit as e:
        code = e.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
print(json.dumps({"code": code, "cli": "harness.cli" in sys.modules, "heavy": heavy}))
"""


def version_probe(entry: str) -> tuple[str, dict]:
    script = VERSION_PROBE.replace("ENTRY", entry).replace("HEAVY", repr(HEAVY))
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    return lines[0], json.loads(lines[-1])


def test_version_is_answered_without_importing_the_cli_or_any_of_them() -> None:
    """`cairo-evals --version` (the console script calls `harness.main`) imports no command."""
    printed, found = version_probe("entry")
    assert printed == "cairo-evals 0.1.0"
    assert found == {"code": 0, "cli": False, "heavy": []}


def test_version_through_the_cli_module_parses_only_the_light_commands() -> None:
    """`harness.cli.main(["--version"])` (argparse's version action) builds the light parser."""
    printed, found = version_probe("cli")
    assert printed == "cairo-evals 0.1.0"
    assert found == {"code": 0, "cli": True, "heavy": []}


@pytest.mark.skipif(not native.is_built(), reason="the native Cairo compiler is not built")
def test_compile_with_its_own_tests_imports_none_of_them(tmp_path: Path) -> None:
    source = tmp_path / "add.cairo"
    source.write_text(
        "fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n"
        "    #[test]\n    fn adds() {\n        assert!(super::add(2, 3) == 5);\n    }\n}\n"
    )
    found = probe("compile", str(source), "--compiler", "native", "--no-cache")
    assert found["code"] == 0, found["err"] + found["out"]
    assert found["heavy"] == []
