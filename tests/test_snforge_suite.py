"""starknet-snforge: the starter contracts tested the snforge way (issue 24, item 3).

Twelve of starknet-contracts' cases, with the same queries and the same golden files, and tests
written as Starknet teams write them for Starknet Foundry 0.49 (what Cairo Coder pins): `declare` and
`deploy`, cheated callers and block time, `spy_events`, `should_panic` with the contract's own panic.

- Without snforge (the embedded compilers), every case is skipped, saying why, and the suite's
  gates are not applied (nothing was judged);
- `test_real_*` (markers `scarb` and `snforge`, `pytest -m snforge`) run `cairo-evals
  check-golden` on the suite with the Scarb and snforge on PATH: every golden passes all its
  tests, and a do-nothing answer fails at least one test of every case. Without the scarbs.xyz
  registry, set $CAIRO_EVALS_SCARB_PATCH='snforge_std = { path = "<starknet-foundry checkout of
  the installed snforge's tag>/snforge_std" }' (what `--patch` sets): Scarb takes it from there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.cairotext import expected_tests
from harness.cli import main
from harness.gate import evaluate
from harness.metric import CaseResult
from harness.suite import load_suite

from .test_scarb_backend import real_snforge

REPO = Path(__file__).resolve().parents[1]
SUITE_FILE = REPO / "suites" / "starknet-snforge.yaml"
SUITE = load_suite(SUITE_FILE)
STARTER = load_suite(REPO / "suites" / "starknet-contracts.yaml")
SKIP_REASON = "the case's tests use snforge_std: they need Scarb and Starknet Foundry (snforge)"


def test_the_same_queries_and_goldens_with_snforge_tests() -> None:
    assert SUITE.test_runner == "snforge" and len(SUITE.cases) >= 10
    starter = {c.id: c for c in STARTER.cases}
    for case in SUITE.cases:
        assert case.id.endswith("-snforge"), case.id  # `--cases owned-counter` names one case
        twin = starter[case.id.removesuffix("-snforge")]
        assert case.kind == "contract" and case.query == twin.query and case.golden == twin.golden, case.id
        assert case.golden_path == twin.golden_path, case.id  # the golden file itself, not a copy
        assert case.tests_path == f"golden/starknet-snforge/{Path(twin.tests_path or '').name}", case.id
        tests = case.tests or ""
        assert "use snforge_std::" in tests and "declare(" in tests and ".deploy(@" in tests, case.id
        # nothing of the cairo-test way: no test class hash, no starknet::testing, no runner suffix
        for cairo_test_way in ("deploy_syscall", "TEST_CLASS_HASH", "starknet::testing", "ENTRYPOINT_FAILED"):
            assert cairo_test_way not in tests, (case.id, cairo_test_way)
        assert len(expected_tests(tests)) >= 3, case.id
    every = "".join(c.tests or "" for c in SUITE.cases)
    for cheat in ("start_cheat_caller_address", "start_cheat_block_timestamp", "spy_events"):
        assert every.count(cheat) >= 3, cheat
    assert re.search(r"#\[should_panic\(expected: '[^']+'\)\]", every)  # a contract's felt panic
    assert re.search(r'#\[should_panic\(expected: "[^"]+"\)\]', every)  # a ByteArray panic
    assert "Result::Err(panic_data)" in every  # a constructor's panic, handed back by deploy


@pytest.mark.native
def test_without_snforge_every_case_is_skipped_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-golden", str(SUITE_FILE), "--compiler", "native", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["case"] for r in rows] == [c.nodeid for c in SUITE.cases]
    for r in rows:
        assert r["outcome"] == "skipped" and r["status"] == "unsupported", r
        assert [d["message"] for d in r["diagnostics"]] == [SKIP_REASON], r


def test_a_suite_none_of_whose_cases_was_judged_does_not_miss_its_gates() -> None:
    """Where no snforge is installed every case is skipped: that shows nothing either way, so the
    suite's thresholds are not applied (a zero mean would fail every run on such a machine)."""
    skipped = [
        CaseResult(SUITE.name, c.id, 0.0, "", False, False, status="skipped", fault=SKIP_REASON)
        for c in SUITE.cases
    ]
    assert evaluate(SUITE, skipped) == []
    # one judged case and the suite's thresholds apply again, to the judged cases only
    judged = [CaseResult(SUITE.name, SUITE.cases[0].id, 0.0, "", False, False), *skipped[1:]]
    missed = {c.name for c in evaluate(SUITE, judged) if not c.ok}
    assert {"mean_score", "compile_rate", "tests_pass_rate"} <= missed


# -- the real tools (pytest -m snforge) ---------------------------------------------------------------


@pytest.mark.scarb
@pytest.mark.snforge
@real_snforge
def test_real_snforge_passes_every_golden_and_every_case_discriminates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the suite as committed: snforge_std from the registry, or from a checkout where
    # $CAIRO_EVALS_SCARB_PATCH (what --patch sets) says so
    argv = ["check-golden", str(SUITE_FILE), "--compiler", "scarb", "--test-runner", "snforge"]
    code = main([*argv, "--json", "--no-cache", "--timeout", "1800"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0, [r for r in rows if not r["ok"]]
    assert [r["case"] for r in rows] == [c.nodeid for c in SUITE.cases]
    for case, r in zip(SUITE.cases, rows, strict=True):
        assert r["ok"] and r["backend"] == "scarb" and r["verdict"] == "passes", r
        expected = len(expected_tests(case.tests or ""))
        assert (r["tests"]["passed"], r["tests"]["failed"]) == (expected, 0), r
        # a do-nothing answer (every body returns defaults, or only panics) fails at least one test
        assert len(r["nondiscriminating"] or {}) < expected, (case.id, r["nondiscriminating"])
