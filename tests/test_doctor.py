"""`cairo-evals doctor`: what it finds on a machine, what it hints, when it exits 1.

Each test builds the machine it needs: a PATH with only the tools it puts there (small shell
scripts that print what the real tools print: the fixtures in tests/fixtures/scarb/) and an
empty cache folder (no native compiler, no wasm-cairo).
"""

from __future__ import annotations

import importlib.util
import json
import stat
from pathlib import Path

import pytest

from harness import doctor
from harness.cli import main as cli_main

FIXTURES = Path(__file__).parent / "fixtures" / "scarb"
Capture = pytest.CaptureFixture[str]
MonkeyPatch = pytest.MonkeyPatch


def _stdout(fixture: str) -> str:
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    return text.split("--- stdout\n", 1)[1]


def _tool(bindir: Path, name: str, stdout: str = "", exit_code: int = 0) -> None:
    script = bindir / name
    body = stdout.replace("'", "'\\''")
    script.write_text(f"#!/bin/sh\nprintf '%s' '{body}'\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty machine: PATH holds only `bin/` (empty), the cache folder is empty."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("CAIRO_EVALS_CACHE_DIR", str(tmp_path / "cache"))
    for var in (
        "CAIRO_EVALS_DSN",
        "MLFLOW_TRACKING_URI",
        "CAIRO_EVALS_WASM_CAIRO_DIR",
        "CAIRO_EVALS_TEST_RUNNER",
    ):
        monkeypatch.delenv(var, raising=False)
    return bindir


def _finding(report: doctor.Report, name: str) -> doctor.Finding:
    return next(f for f in report.compilers + report.tools + report.services if f.name == name)


def test_nothing_usable_exits_1_with_a_hint_for_each_piece(
    machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "No compiler is usable" in out
    for hint in ("docs.swmansion.com/scarb", "starknet-foundry", "rustup.rs", "apt-get install nodejs npm"):
        assert hint in out
    report = doctor.gather()
    assert not report.usable
    assert {f.name: f.ok for f in report.compilers} == {
        "scarb": False,
        "snforge": False,
        "native": False,
        "wasm": False,
    }
    assert report.auto == "wasm"  # what auto falls back to, and why it will fail
    assert "no scarb and no cargo" in report.auto_why


def test_scarb_and_snforge_found_with_their_versions(
    machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tool(machine, "scarb", _stdout("version_scarb_2.20.1.txt"))
    _tool(machine, "snforge", _stdout("version_snforge_0.63.0.txt"))
    assert cli_main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "Scarb 2.20.1 (Cairo 2.20.1)" in out and "snforge 0.63.0" in out
    assert "--compiler auto picks: scarb" in out
    assert "snforge for tests that use snforge_std" in out
    report = doctor.gather()
    assert report.usable and report.auto == "scarb"
    assert not _finding(report, "native").ok  # no cargo, not built
    assert _finding(report, "native").hint


def test_a_broken_scarb_is_reported_not_trusted(machine: Path) -> None:
    _tool(machine, "scarb", "error: no toolchain selected\n", exit_code=1)
    report = doctor.gather()
    scarb = _finding(report, "scarb")
    assert not scarb.ok and "--version" in scarb.detail
    assert report.auto == "scarb" and "does not work" in report.auto_why
    assert not report.usable


def test_cargo_makes_native_usable_and_node_without_wasm_cairo(machine: Path) -> None:
    _tool(machine, "cargo", "cargo 1.95.0 (f2d3ce0bd 2026-03-21)\n")
    _tool(machine, "node", "v20.20.2\n")
    report = doctor.gather()
    native = _finding(report, "native")
    assert native.ok and "not built yet" in native.detail and "first compile builds it" in native.detail
    assert _finding(report, "cargo").detail.startswith("cargo 1.95.0")
    wasm = _finding(report, "wasm")
    assert not wasm.ok and "npm" in wasm.detail  # node but no npm and nothing installed
    assert report.auto == "native" and report.usable


def test_installed_wasm_cairo_is_found(
    machine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tool(machine, "node", "v20.20.2\n")
    pkg = tmp_path / "wasm-cairo"
    pkg.mkdir()
    (pkg / "wasm-cairo_bg.wasm").write_bytes(b"\0asm")
    monkeypatch.setenv("CAIRO_EVALS_WASM_CAIRO_DIR", str(pkg))
    wasm = _finding(doctor.gather(), "wasm")
    assert wasm.ok and str(pkg) in wasm.detail


def test_services_are_named_not_contacted(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRO_EVALS_DSN", "postgresql://evals:s3cret@db.internal:5432/evals")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://user:hunter2@mlflow.internal")
    report = doctor.gather()
    pg, ml = _finding(report, "Postgres"), _finding(report, "MLflow")
    assert pg.ok and "db.internal" in pg.detail and "s3cret" not in pg.detail and "not contacted" in pg.detail
    assert ml.ok and "mlflow.internal" in ml.detail and "hunter2" not in ml.detail


def test_default_stores(machine: Path) -> None:
    report = doctor.gather()
    ml = _finding(report, "MLflow")
    assert ml.detail.startswith("sqlite:///") and "default" in ml.detail
    pg = _finding(report, "Postgres")
    assert pg.ok == (importlib.util.find_spec("pgserver") is not None)


def test_json_output(machine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tool(machine, "scarb", _stdout("version_scarb_2.12.1.txt"))
    assert cli_main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["usable"] is True and data["auto"] == "scarb"
    assert data["compilers"][0] == {
        "name": "scarb",
        "ok": True,
        "detail": f"Scarb 2.12.1 (Cairo 2.12.1) at {machine / 'scarb'}",
        "hint": "",
    }


def test_runs_on_this_machine_without_building_anything(tmp_path: Path) -> None:
    """On the real PATH and cache: it finishes, and changes nothing in the cache folder."""
    cache = doctor.cache_dir()
    before = sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []
    report = doctor.gather()
    assert report.auto in ("scarb", "native", "wasm")
    after = sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []
    assert before == after
