"""The example CI workflows: actionlint passes them, and every cairo-evals command and pytest
option they use exists (a renamed flag would otherwise break users' nightlies silently)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def run_steps(path: Path) -> list[str]:
    jobs = yaml.safe_load(path.read_text())["jobs"]
    return [step["run"] for job in jobs.values() for step in job["steps"] if "run" in step]


def test_the_example_workflows_are_there() -> None:
    assert {p.name for p in WORKFLOWS} >= {"nightly.yml", "nightly-sharded.yml"}


@pytest.mark.skipif(
    ACTIONLINT is None, reason="actionlint missing: install the dev extras (pip install -e '.[dev]')"
)
def test_actionlint_passes_the_workflows_and_catches_a_planted_mistake(tmp_path: Path) -> None:
    assert ACTIONLINT is not None
    proc = subprocess.run([ACTIONLINT, *map(str, WORKFLOWS)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "nightly.yml"
    broken.write_text(
        (REPO / ".github/workflows/nightly.yml").read_text().replace("timeout-minutes", "timeout-minute")
    )
    proc = subprocess.run([ACTIONLINT, str(broken)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 1 and 'unexpected key "timeout-minute"' in proc.stdout


def test_the_nightly_runs_the_evals_like_the_issue_asks() -> None:
    nightly = REPO / ".github/workflows/nightly.yml"
    text = nightly.read_text()
    steps = "\n".join(run_steps(nightly))
    assert "pytest evals -n auto" in steps and "--gates-only" in steps and "--junitxml" in steps
    assert "secrets.OPENAI_API_KEY" in text  # the real model's key comes from secrets
    assert 'summary.md" >> "$GITHUB_STEP_SUMMARY"' in steps
    assert "cairo-evals compare" in steps and "gh run list --workflow nightly.yml --branch main" in steps
    assert "actions/upload-artifact" in text
    sharded = "\n".join(run_steps(REPO / ".github/workflows/nightly-sharded.yml"))
    assert "--shard" in sharded and "cairo-evals merge" in sharded and "cairo-evals log" in sharded


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_command_and_option_the_workflows_use_exists(path: Path, pytestconfig: pytest.Config) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    commands = sub.choices  # type: ignore[attr-defined]
    pytest_options = {
        opt for group in pytestconfig._parser._groups for o in group.options for opt in o.names()
    }
    for script in run_steps(path):
        for line in script.replace("\\\n", " ").splitlines():
            for name, rest in re.findall(r"cairo-evals (\w[\w-]*)((?: [^|;&]*)?)", line):
                assert name in commands, f"{path.name}: cairo-evals has no command {name!r}"
                known = {opt for a in commands[name]._actions for opt in a.option_strings}
                for flag in re.findall(r"(?<!\S)(--[\w-]+)", rest):
                    assert flag in known, f"{path.name}: cairo-evals {name} has no option {flag}"
            if "pytest evals" in line:
                for flag in re.findall(r"(?<!\S)(--[\w-]+)", line.split("pytest evals", 1)[1]):
                    assert flag in pytest_options, f"{path.name}: pytest has no option {flag}"
