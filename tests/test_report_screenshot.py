"""report.html of a real offline run, rendered by headless Chromium: a screenshot of the page
with the first failing case opened (saved to reports/screenshots/report.png, git-ignored), and
the rendered DOM checked for the run's summary and that case's diff lines.

Chromium is required (Debian package `chromium`); the test fails when it is missing."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import difflib
import html
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.gate import verdicts
from harness.report import write_reports
from harness.runner import Runner, RunOptions

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "reports" / "screenshots" / "report.png"
WIDTH, HEIGHT = 1400, 2400
INSTALL = "apt-get update && apt-get install -y chromium"


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.fail(f"headless Chromium is required for the report screenshot test: install it with `{INSTALL}`")


def run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_report_renders_summary_and_a_failing_case_diff_in_chromium(tmp_path: Path) -> None:
    chromium()  # fail early, with the install hint, before the run
    run = asyncio.run(Runner(RunOptions(out=str(tmp_path / "runs"))).run())
    paths = write_reports(run, verdicts(run.suites, run.results))
    page = paths["html"].read_text(encoding="utf-8")

    # the first failing case on the page whose generated code differs from its golden
    cases = {(s.name, c.id): c for s in run.suites for c in s.cases}
    failing = {
        f"{r.suite}--{r.case}": r
        for r in run.results
        if not r.passed and r.code and cases[(r.suite, r.case)].golden.strip() != r.code.strip()
    }
    ids = re.findall(r'<details class="case fail" id="([^"]+)">', page)
    case_id = next(i for i in ids if html.unescape(i) in failing)
    result = failing[html.unescape(case_id)]
    golden = cases[(result.suite, result.case)].golden
    diff = list(difflib.unified_diff(golden.splitlines(), result.code.splitlines(), lineterm="", n=3))
    added = [d for d in diff if d.startswith("+") and not d.startswith("+++") and d[1:].strip()]
    removed = [d for d in diff if d.startswith("-") and not d.startswith("---") and d[1:].strip()]
    assert added and removed

    # a copy with that case opened
    tag = f'<details class="case fail" id="{case_id}">'
    opened = tmp_path / "report-open.html"
    opened.write_text(page.replace(tag, tag[:-1] + " open>", 1), encoding="utf-8")
    url = opened.resolve().as_uri()

    dom = run_chromium(tmp_path, "--dump-dom", url).stdout
    text = html.unescape(re.sub(r"<[^>]+>", "", dom))
    # the summary: run id, totals and every suite in the overview
    assert f"cairo-evals run {run.run_id}" in text
    passed = len({(r.suite, r.case) for r in run.results if r.passed})
    assert f"{len(cases)} cases ({len(run.results)} samples)" in text
    assert f"{passed} passed" in text
    assert "Overview" in text and "Case scores" in text
    for s in run.suites:
        assert s.name in text
    # the opened case, with its diff lines rendered as added / removed spans
    m = re.search(rf'<details class="case fail" id="{re.escape(case_id)}" open="?"?>', dom)
    assert m, "the failing case is not opened in the rendered DOM"
    section = dom[m.end() : dom.index("</details>", dom.index('<div class="body">', m.end()))]
    section_text = html.unescape(section)
    assert "Generated vs golden" in section_text
    for line in added[:5]:
        assert f'<span class="add">{line}' in section_text, line
    for line in removed[:5]:
        assert f'<span class="del">{line}' in section_text, line

    shot = tmp_path / "report.png"
    run_chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.is_file() and shot.stat().st_size > 20_000, "screenshot missing or trivially small"
    assert png_size(shot) == (WIDTH, HEIGHT)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
    print(f"report screenshot: {SCREENSHOT} (case {html.unescape(case_id)} opened)")
