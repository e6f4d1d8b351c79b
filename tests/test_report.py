"""The reports of a real offline run of the starter suites: report.html, summary.md, junit.xml
and results.json, plus an injected answer that tries to break out of the HTML."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from harness.gate import verdicts
from harness.metric import CaseResult
from harness.report import diff_html, histogram_svg, write_reports
from harness.runner import Runner, RunOptions, RunResult
from harness.suite import load_suites

EVIL = "</pre><script>alert(1)</script>"
STARTER_CASES = sum(len(s.cases) for s in load_suites())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    runner = Runner(RunOptions(out=str(tmp_path_factory.mktemp("reports"))))
    return asyncio.run(runner.run())


@pytest.fixture(scope="module")
def reports(run: RunResult) -> dict[str, Path]:
    return write_reports(run, verdicts(run.suites, run.results))


def test_the_run_has_passing_and_failing_cases(run: RunResult) -> None:
    assert len(run.results) == STARTER_CASES
    assert any(r.passed for r in run.results)
    assert any(not r.passed for r in run.results)


def test_writes_four_files_into_the_run_folder(run: RunResult, reports: dict[str, Path]) -> None:
    assert set(reports) == {"html", "markdown", "junit", "json"}
    for path in reports.values():
        assert path.parent == run.folder
        assert path.stat().st_size > 0


def test_junit_has_one_testcase_per_case_and_failures_for_the_unpassed(
    run: RunResult, reports: dict[str, Path]
) -> None:
    root = ET.parse(reports["junit"]).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert {s.get("name") for s in suites} == {s.name for s in run.suites}
    cases = root.iter("testcase")
    by_id = {(c.get("classname"), c.get("name")): c for c in cases}
    assert len(by_id) == STARTER_CASES
    assert set(by_id) == {(r.suite, r.case) for r in run.results}
    failed = {(c, n) for (c, n), tc in by_id.items() if tc.find("failure") is not None}
    assert failed == {(r.suite, r.case) for r in run.results if not r.passed and r.status == "ok"}
    # without snforge the starknet-snforge cases are skipped (no verdict), not failed, and say why
    skipped = {(c, n): tc.find("skipped") for (c, n), tc in by_id.items() if tc.find("skipped") is not None}
    assert set(skipped) == {(r.suite, r.case) for r in run.results if r.status == "skipped"}
    assert all("snforge" in (s.get("message") or "") for s in skipped.values())
    assert int(root.get("failures") or -1) == len(failed)
    for suite in suites:
        assert int(suite.get("tests") or 0) == len(suite.findall("testcase"))
        assert int(suite.get("failures") or 0) == len(suite.findall("testcase/failure"))
    for r in run.results:
        tc = by_id[(r.suite, r.case)]
        assert float(tc.get("time") or -1) == pytest.approx(r.duration_s, abs=1e-3)
        if not r.passed and r.status == "ok":
            failure = tc.find("failure")
            assert failure is not None
            assert failure.text == r.feedback
            assert f"score {r.score:.3f}" in (failure.get("message") or "")


def test_summary_md_has_the_suite_table_and_lowest_cases(run: RunResult, reports: dict[str, Path]) -> None:
    text = reports["markdown"].read_text()
    assert run.run_id in text
    assert "| suite | cases | mean | compile rate | tests pass rate | gates |" in text
    for v in verdicts(run.suites, run.results):
        row = next(line for line in text.splitlines() if line.startswith(f"| {v.suite.name} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == str(int(v.figures["cases"]))
        assert cells[2] == f"{v.figures['mean_score']:.3f}"
        assert f"{len(v.checks)}" in cells[5]
    assert "### Missed gates" in text
    assert "### Lowest scores" in text
    worst = min(run.results, key=lambda r: r.score)
    assert f"`{worst.suite}::{worst.case}` | {worst.score:.3f}" in text
    table = text.split("### Lowest scores")[1]
    assert all("\n" not in line for line in table.splitlines())  # one line per case


def test_report_html_has_every_case_the_histogram_and_diffs(run: RunResult, reports: dict[str, Path]) -> None:
    page = reports["html"].read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page  # no scripts at all, let alone external ones
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "<svg" in page and page.count("<rect") == 10
    for r in run.results:
        assert f"<code>{r.case}</code>" in page
    for v in verdicts(run.suites, run.results):
        for check in v.checks:
            assert check.describe() in page
    # a failing case whose code compiled differently from its golden: its diff is in the page
    failing = next(r for r in run.results if not r.passed and r.code)
    assert f'id="{failing.suite}--{failing.case}"' in page
    assert '<span class="add">+' in page
    assert '<span class="del">-' in page
    assert "width:" in page  # score bars


def test_html_escapes_answer_text(run: RunResult, tmp_path: Path) -> None:
    victim = next(r for r in run.results if not r.passed and r.code)
    evil = replace(
        victim,
        code=victim.code + "\n" + EVIL + "\n",
        feedback=EVIL,
        error=EVIL,
        judgement={"judge": EVIL, "score": 0.5, "feedback": EVIL},
        compile={
            "backend": "wasm",
            "diagnostics": [{"severity": "error", "message": EVIL, "file": "lib.cairo", "line": 1, "col": 1}],
            "tests": {"passed": 0, "failed": 1, "failures": [{"name": EVIL, "message": EVIL}]},
        },
    )
    results = [evil if r is victim else r for r in run.results]
    evil_run = replace(run, folder=tmp_path, results=results)
    paths = write_reports(evil_run, verdicts(run.suites, results))
    page = paths["html"].read_text()
    assert "<script" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "+&lt;/pre&gt;&lt;script&gt;" in page  # the injected line in the diff, as an added line
    ET.parse(paths["junit"])  # still valid XML
    assert "<script>" not in paths["markdown"].read_text()


def test_results_json_round_trips(run: RunResult, reports: dict[str, Path]) -> None:
    data = json.loads(reports["json"].read_text())
    assert data["run_id"] == run.run_id
    assert data["wall_s"] == pytest.approx(run.wall_s, abs=1e-3)
    assert [CaseResult.from_dict(d) for d in data["results"]] == run.results
    expected = json.loads(json.dumps([v.to_dict() for v in verdicts(run.suites, run.results)]))
    assert data["suites"] == expected


def test_repeats_are_averaged_into_one_testcase(run: RunResult, tmp_path: Path) -> None:
    first = run.results[0]
    second = replace(first, sample=1, score=0.0, passed=False, feedback="flaky", duration_s=1.0)
    results = [first, second, *run.results[1:]]
    paths = write_reports(replace(run, folder=tmp_path, results=results), verdicts(run.suites, results))
    root = ET.parse(paths["junit"]).getroot()
    assert len(list(root.iter("testcase"))) == STARTER_CASES
    tc = next(c for c in root.iter("testcase") if c.get("name") == first.case)
    failure = tc.find("failure")
    assert failure is not None and failure.text == "flaky"
    assert float(tc.get("time") or 0) == pytest.approx(first.duration_s + 1.0, abs=1e-3)


def test_histogram_bins_and_diff_helpers() -> None:
    svg = histogram_svg([0.0, 0.05, 0.95, 1.0, 1.0])
    assert svg.count("<rect") == 10
    assert "0.0–0.1: 2 case(s)" in svg and "0.9–1.0: 3 case(s)" in svg
    assert "identical" in diff_html("a\n", "a\n")
    assert "No code" in diff_html("a", None)
    diff = diff_html("fn a() {}\n", "fn b() {}\n")
    assert '<span class="del">-fn a() {}</span>' in diff
    assert '<span class="add">+fn b() {}</span>' in diff
