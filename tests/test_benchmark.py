"""The starter benchmark: big enough to measure a change, every case dated and fully specified,
every case with a labelled demo answer; `--added-after` keeps the cases newer than a date.
(The goldens themselves are checked by `cairo-evals check-golden --compiler native`.)"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from pathlib import Path

import pytest

from harness.authoring import report
from harness.runner import RunOptions, UsageError, select
from harness.suite import load_suites

REPO = Path(__file__).resolve().parents[1]
# The suites the embedded compiler judges. starknet-snforge asks 12 of starknet-contracts' queries
# again, judged by snforge: not new tasks (tests/test_snforge_suite.py checks it).
SUITES = [s for s in load_suites() if s.test_runner != "snforge"]
CASES = [c for s in SUITES for c in s.cases]
OUTCOME = re.compile(r"expected outcome: (pass|fails-tests|compile-error|unbound|no-code) — ")


def test_the_benchmark_is_big_enough_to_measure_a_change() -> None:
    assert len(CASES) >= 60
    splits = Counter(c.split for c in CASES)
    assert splits["test"] >= 20 and splits["train"] >= 10 and splits["val"] >= 10
    assert {s.name: Counter(c.kind for c in s.cases) for s in SUITES} == {
        "cairo-basics": {"program": len(SUITES[0].cases)},
        "starknet-contracts": {"contract": len(SUITES[1].cases)},
    }


def test_every_case_is_dated_tested_and_names_what_its_tests_use() -> None:
    for case in CASES:
        r = report(case)
        assert isinstance(case.added, datetime.date), case.nodeid
        assert r.tests and r.tests >= 2, case.nodeid
        assert r.unnamed == (), (case.nodeid, r.unnamed)


def test_the_benchmark_covers_what_assistants_get_wrong() -> None:
    tags = Counter(t for c in CASES for t in c.tags)
    for area in [
        "arrays", "spans", "dict", "bytearray", "result", "option", "traits", "generics", "iterators",
        "overflow", "casts", "storage", "map", "vec", "events", "components", "access-control", "erc20",
        "upgradeability", "l1-handler", "dispatcher", "deploy",
    ]:  # fmt: skip
        assert tags[area] >= 1, area
    contracts_tests = "".join(c.tests or "" for c in CASES if c.kind == "contract")
    assert contracts_tests.count("deploy_syscall(") >= 20  # contracts are deployed, their ABI called


def test_every_case_has_a_labelled_demo_answer() -> None:
    outcomes = Counter()
    for case in CASES:
        sample = REPO / "suites" / "samples" / case.suite / f"{case.id}.md"
        header = sample.read_text().splitlines()[0]
        assert header.startswith("<!-- sample response written for the demo; "), case.nodeid
        found = OUTCOME.search(header)
        assert found, case.nodeid
        outcomes[found[1]] += 1
    # a real spread: right answers, wrong ones of every kind
    assert outcomes["pass"] < len(CASES) * 0.6
    assert all(outcomes[k] >= 1 for k in ("fails-tests", "compile-error", "unbound", "no-code"))


def test_added_after_keeps_the_newer_cases() -> None:
    newest = max(c.added for c in CASES if c.added)
    older = [c for c in CASES if c.added and c.added < newest]
    assert older, "the benchmark has cases of more than one date"
    cutoff = max(c.added for c in older)
    picked = [c for _, c in select(SUITES, RunOptions(added_after=cutoff.isoformat()))]
    assert picked and all(c.added > cutoff for c in picked)
    assert len(picked) == sum(1 for c in CASES if c.added > cutoff)
    assert select(SUITES, RunOptions(added_after=newest.isoformat())) == []
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        select(SUITES, RunOptions(added_after="yesterday"))
