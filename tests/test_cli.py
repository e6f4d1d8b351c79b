"""The command line, end to end, with the real embedded compiler where it compiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

REPO = Path(__file__).resolve().parents[1]
AVERAGE = REPO / "tests" / "cairo" / "checked_average.cairo"


@pytest.mark.native
def test_check_golden_passes_every_golden_of_the_starter_suites(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-golden", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # starknet-snforge's tests need snforge: skipped here, saying why (tests/test_snforge_suite.py)
    snforge = [r for r in rows if r["case"].startswith("starknet-snforge::")]
    rows = [r for r in rows if r not in snforge]
    assert len(rows) >= 14
    assert all(r["ok"] and r["tests"]["failed"] == 0 and r["tests"]["passed"] >= 2 for r in rows), [
        r["case"] for r in rows if not r["ok"]
    ]
    assert {r["case"].split("::")[0] for r in rows} == {"cairo-basics", "starknet-contracts"}
    assert len(snforge) >= 10
    for r in snforge:
        assert r["outcome"] == "skipped" and not r["ok"], r
        assert "they need Scarb and Starknet Foundry (snforge)" in r["diagnostics"][0]["message"], r


@pytest.mark.native
def test_check_golden_fails_on_a_golden_whose_test_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "suites").mkdir()
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "two.cairo").write_text("pub fn two() -> u8 {\n    3\n}\n")
    (tmp_path / "golden" / "two.tests.cairo").write_text(
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn is_two() {\n"
        "        assert_eq!(super::two(), 2);\n    }\n}\n"
    )
    suite = tmp_path / "suites" / "s.yaml"
    suite.write_text(
        "suite: s\ncases:\n  - id: two\n    query: Write `two() -> u8`.\n"
        "    golden: golden/two.cairo\n    tests: golden/two.tests.cairo\n    kind: program\n"
    )
    assert main(["check-golden", str(suite)]) == 1
    captured = capsys.readouterr()
    assert "0/1 goldens compile and pass their tests" in captured.out
    assert "s::two: golden reference (golden/two.cairo)" in captured.err
    # the panic's ByteArray decoded to its text, as every backend reports it
    assert "tests::is_two: assertion" in captured.err and "super::two(): 3" in captured.err


@pytest.mark.native
def test_compile_prints_json_and_exits_0_when_it_compiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(AVERAGE), "--json", "--no-tests", "--compiler", "native"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["backend"] == "native" and result["tests"] is None
    assert result["cairo"] == "2.16.0"


def test_invalid_suite_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("suite: s\ncases: []\n")
    assert main(["check-golden", str(bad)]) == 2
    assert f"{bad}:2: field 'cases': the suite has no cases" in capsys.readouterr().err


def test_missing_scarb_says_what_was_looked_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["compile", str(AVERAGE), "--compiler", "scarb"]) == 2
    err = capsys.readouterr().err
    assert "`scarb` was not found on PATH" in err and "--compiler native" in err


def test_no_toolchain_at_all_lists_every_backend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CAIRO_EVALS_CACHE_DIR", str(tmp_path))  # the native compiler is not built there
    assert main(["compile", str(AVERAGE)]) == 2
    err = capsys.readouterr().err
    assert "looked for `scarb` on PATH" in err and "`cargo`" in err and "`node`" in err


@pytest.mark.wasm
def test_compile_text_output_prints_verdict_and_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(AVERAGE), "--compiler", "wasm"]) == 0
    out = capsys.readouterr().out
    assert "compiles (wasm" in out and "note: embedded compiler" in out
