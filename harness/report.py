"""The report stage: a finished run written out for people and for CI, in the run's folder.

- `report.html`: one self-contained page (inline CSS and SVG, no scripts or external assets):
  the run's totals, a histogram of case scores, and per suite its figures, pass@k, gates and
  per-tag table, then one row per case (score bar, compiled/tests badges) that opens on the
  generated code as a unified diff against the golden, the compiler's diagnostics, the failed
  tests, the judge's feedback and the program's error. Every text from the run is escaped.
- `summary.md`: for CI job summaries and PR comments: a per-suite table, the missed gates and
  the lowest-scoring cases with one line of feedback each.
- `junit.xml`: one `<testsuite>` per suite and one `<testcase>` per case (samples averaged);
  a case that did not pass (in every sample) carries a `<failure>` with its feedback.
- `results.json`: the run id, wall time, every suite's verdict and every result, as JSON.

`write_reports(run, verdicts)` writes all four and returns their paths by name.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import statistics
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .gate import SuiteVerdict
from .metric import CaseResult
from .runner import RunResult, saved_toolchain
from .suite import Case, Suite

LOWEST = 10  # cases listed in summary.md's "lowest scores"
BINS = 10  # histogram bins over [0, 1]


@dataclass(frozen=True)
class CaseRow:
    """One case of a run: its samples and their averages (over the samples with a verdict)."""

    suite: str
    case: str
    samples: list[CaseResult]
    golden: Case | None

    @property
    def scored(self) -> list[CaseResult]:
        return [r for r in self.samples if r.status == "ok"]

    @property
    def status(self) -> str:
        """ "ok" when some sample has a verdict, else "error" (a harness fault) or "skipped"."""
        if self.scored:
            return "ok"
        return "error" if any(r.status == "error" for r in self.samples) else "skipped"

    @property
    def score(self) -> float:
        return statistics.fmean(r.score for r in self.scored) if self.scored else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.scored) and all(r.passed for r in self.scored)

    @property
    def compiled(self) -> bool:
        return bool(self.scored) and all(r.compiled for r in self.scored)

    @property
    def errored(self) -> bool:
        """The program under test failed in a sample (a verdict: score 0)."""
        return any(r.error for r in self.scored)

    @property
    def tier(self) -> str | None:
        return self.worst.tier

    @property
    def duration_s(self) -> float:
        return sum(r.duration_s for r in self.samples)

    @property
    def worst(self) -> CaseResult:
        return min(self.scored or self.samples, key=lambda r: r.score)

    @property
    def tests(self) -> tuple[int, int]:
        return sum(r.tests_passed for r in self.samples), sum(r.tests_total for r in self.samples)


def case_rows(run: RunResult) -> list[CaseRow]:
    """The run's results grouped by case, in the order they first appear."""
    cases = {(s.name, c.id): c for s in run.suites for c in s.cases}
    grouped: dict[tuple[str, str], list[CaseResult]] = {}
    for r in run.results:
        grouped.setdefault((r.suite, r.case), []).append(r)
    return [CaseRow(s, c, rs, cases.get((s, c))) for (s, c), rs in grouped.items()]


def write_reports(run: RunResult, verdicts: Sequence[SuiteVerdict]) -> dict[str, Path]:
    """Write report.html, summary.md, junit.xml and results.json into `run.folder`."""
    folder = Path(run.folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = case_rows(run)
    paths = {
        "html": folder / "report.html",
        "markdown": folder / "summary.md",
        "junit": folder / "junit.xml",
        "json": folder / "results.json",
    }
    paths["html"].write_text(render_html(run, verdicts, rows), encoding="utf-8")
    paths["markdown"].write_text(render_markdown(run, verdicts, rows), encoding="utf-8")
    paths["junit"].write_bytes(render_junit(run, rows))
    paths["json"].write_text(render_json(run, verdicts), encoding="utf-8")
    return paths


# -- helpers ----------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def one_line(text: str | None, limit: int = 200) -> str:
    """Feedback squeezed to one line (whitespace collapsed, cut at `limit`)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def toolchain_text(run: RunResult) -> str | None:
    """The toolchain the run recorded (run.json), on one line: backend (version) · cairo … ."""
    tc = saved_toolchain(run.folder)
    if not tc:
        return None
    head = f"{tc.get('backend', '?')} ({tc['version']})" if "version" in tc else tc.get("backend", "?")
    return " · ".join([head, *(f"{k} {v}" for k, v in tc.items() if k not in ("backend", "version"))])


def _totals(run: RunResult, rows: Sequence[CaseRow]) -> dict[str, Any]:
    scored = [r for r in rows if r.status == "ok"]
    return {
        "cases": len(rows),
        "samples": len(run.results),
        "mean": statistics.fmean(r.score for r in scored) if scored else 0.0,
        "passed": sum(r.passed for r in rows),
        "compiled": sum(r.compiled for r in rows),
        "errors": sum(r.errored for r in rows),
        "harness_errors": sum(r.status == "error" for r in run.results),
        "skipped": sum(r.status == "skipped" for r in run.results),
        "tokens": sum(r.tokens for r in run.results),
        "cost": sum(r.cost for r in run.results),
    }


# -- results.json -----------------------------------------------------------------------------


def render_json(run: RunResult, verdicts: Sequence[SuiteVerdict]) -> str:
    data = {
        "run_id": run.run_id,
        "wall_s": round(run.wall_s, 3),
        "stopped": run.stopped,
        "suites": [v.to_dict() for v in verdicts],
        "results": [r.to_dict() for r in run.results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- junit.xml --------------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str | None) -> str:
    """Text XML 1.0 can hold (control characters from an answer would make the file invalid)."""
    return _NOT_XML.sub("\ufffd", text or "")


def render_junit(run: RunResult, rows: Sequence[CaseRow]) -> bytes:
    root = ET.Element("testsuites", name=f"cairo-evals {run.run_id}", time=f"{run.wall_s:.3f}")
    by_suite: dict[str, list[CaseRow]] = {}
    for row in rows:
        by_suite.setdefault(row.suite, []).append(row)
    all_tests = all_failures = 0
    all_errors = all_skipped = 0
    for suite, suite_rows in by_suite.items():
        failures = sum(r.status == "ok" and not r.passed for r in suite_rows)
        errors = sum(r.status == "error" for r in suite_rows)
        skipped = sum(r.status == "skipped" for r in suite_rows)
        all_tests += len(suite_rows)
        all_failures += failures
        all_errors += errors
        all_skipped += skipped
        ts = ET.SubElement(
            root,
            "testsuite",
            name=suite,
            tests=str(len(suite_rows)),
            failures=str(failures),
            errors=str(errors),
            skipped=str(skipped),
            time=f"{sum(r.duration_s for r in suite_rows):.3f}",
        )
        for row in suite_rows:
            tc = ET.SubElement(ts, "testcase", classname=suite, name=row.case, time=f"{row.duration_s:.3f}")
            props = ET.SubElement(tc, "properties")
            ET.SubElement(props, "property", name="score", value=f"{row.score:.4f}")
            ET.SubElement(props, "property", name="samples", value=str(len(row.samples)))
            if row.status != "ok":  # no verdict: a harness error or a case the backend cannot judge
                fault = row.samples[0].fault or row.samples[0].feedback
                tag = "error" if row.status == "error" else "skipped"
                ET.SubElement(tc, tag, message=_xml(one_line(fault))).text = _xml(fault)
            elif not row.passed:
                worst = row.worst
                failure = ET.SubElement(
                    tc,
                    "failure",
                    message=_xml(f"score {row.score:.3f}: {one_line(worst.feedback)}"),
                    type="error" if worst.error else "not-passed",
                )
                failure.text = _xml(worst.feedback)
    root.set("tests", str(all_tests))
    root.set("failures", str(all_failures))
    root.set("errors", str(all_errors))
    root.set("skipped", str(all_skipped))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- summary.md -------------------------------------------------------------------------------


def _md(text: str) -> str:
    """A table cell: one line, pipes and angle brackets escaped (GitHub would take `<x>` as HTML)."""
    return one_line(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(run: RunResult, verdicts: Sequence[SuiteVerdict], rows: Sequence[CaseRow]) -> str:
    t = _totals(run, rows)
    ok = all(v.ok for v in verdicts)
    out = [
        f"## cairo-evals run `{run.run_id}` {'✅' if ok else '❌'}",
        "",
        f"{t['cases']} cases ({t['samples']} samples) in {run.wall_s:.1f}s · mean score {t['mean']:.3f}"
        f" · {t['passed']} passed · {t['compiled']} compiled · {t['errors']} program errors"
        f" · {t['tokens']} tokens · ${t['cost']:.4f}",
        "",
        *([f"Compiler: {_md(tc)}", ""] if (tc := toolchain_text(run)) else []),
    ]
    if t["harness_errors"] or t["skipped"]:
        out += [
            f"**No verdict:** {t['harness_errors']} harness errors (kept out of every figure; redo them "
            f"with `cairo-evals run --resume {run.run_id}`) · {t['skipped']} skipped (the backend cannot "
            "judge them)",
            "",
        ]
        unjudged = [r for r in rows if r.status != "ok"][:LOWEST]
        out += [
            f"- `{_md(f'{r.suite}::{r.case}')}` ({r.status}): {_md(r.samples[0].fault or '')}"
            for r in unjudged
        ]
        out.append("")
    if run.stopped:
        out += [f"> ⚠️ stopped early: {_md(run.stopped)}", ""]
    out += [
        "| suite | cases | mean | compile rate | tests pass rate | gates |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for v in verdicts:
        f = v.figures
        gates = sum(c.ok for c in v.checks)
        mark = "✅" if v.ok else "❌"
        out.append(
            f"| {_md(v.suite.name)} | {int(f['cases'])} | {f['mean_score']:.3f} | {_pct(f['compile_rate'])}"
            f" | {_pct(f['tests_pass_rate'])} | {mark} {gates}/{len(v.checks)} |"
        )
    missed = [(v.suite.name, c) for v in verdicts for c in v.checks if not c.ok]
    out += ["", "### Missed gates", ""]
    if missed:
        out += [f"- **{_md(suite)}**: {_md(c.describe())}" for suite, c in missed]
    else:
        out.append("None: every gate is met.")
    lowest = sorted(
        (r for r in rows if r.status == "ok" and r.score < 1.0), key=lambda r: (r.score, r.suite, r.case)
    )[:LOWEST]
    out += ["", "### Lowest scores", ""]
    if lowest:
        out += ["| case | score | feedback |", "|---|---:|---|"]
        out += [
            f"| `{_md(f'{r.suite}::{r.case}')}` | {r.score:.3f} | {_md(r.worst.feedback)} |" for r in lowest
        ]
    else:
        out.append("Every case scored 1.0.")
    return "\n".join(out) + "\n"


# -- report.html ------------------------------------------------------------------------------

e = html.escape

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1200px;
 padding:1rem 1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1rem;margin:1rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0}th,td{padding:.25rem .6rem;border:1px solid #d0d7de;
 text-align:left;vertical-align:top}th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.totals span{display:inline-block;margin-right:1.2rem}.muted{color:#656d76}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:12px;font-weight:600;
 margin-right:.25rem;border:1px solid transparent}
.ok{background:#dafbe1;color:#116329;border-color:#8ddb9e}.bad{background:#ffebe9;color:#a40e26;border-color:#ff9aa2}
.warn{background:#fff8c5;color:#7d4e00;border-color:#eac54f}
.bar{display:inline-block;width:120px;height:10px;background:#eaeef2;border-radius:5px;vertical-align:middle;
 overflow:hidden}.bar>i{display:block;height:100%}
details.case{border:1px solid #d0d7de;border-radius:6px;margin:.3rem 0}
details.case>summary{cursor:pointer;padding:.35rem .6rem;list-style:none;display:grid;
 grid-template-columns:16rem 11rem 12rem 1fr;gap:.6rem;align-items:center}
details.case>summary::-webkit-details-marker{display:none}
details.case[open]>summary{background:#f6f8fa;border-bottom:1px solid #d0d7de}
.body{padding:.4rem .8rem}.fb{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;
 white-space:pre;margin:.3rem 0;max-height:40rem}
pre.text{white-space:pre-wrap}
.diff span{display:block}.diff .add{background:#dafbe1}.diff .del{background:#ffebe9}
.diff .hunk{color:#8250df;display:block}.diff .file{color:#656d76;display:block}
ul.gates{padding-left:1.2rem;margin:.3rem 0}svg text{font:11px system-ui,sans-serif;fill:#656d76}
"""


def _bar(score: float) -> str:
    colour = "#2da44e" if score >= 0.8 else "#d4a72c" if score >= 0.5 else "#cf222e"
    width = max(0.0, min(1.0, score)) * 100
    return f'<span class="bar"><i style="width:{width:.1f}%;background:{colour}"></i></span> {score:.3f}'


def _badge(text: str, kind: str) -> str:
    return f'<span class="badge {kind}">{e(text)}</span>'


def histogram_svg(scores: Sequence[float], bins: int = BINS) -> str:
    """An inline SVG histogram of scores in [0, 1]."""
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s * bins)))] += 1
    width, height, pad, bottom = 420, 160, 24, 20
    bar_w = (width - 2 * pad) / bins
    top = max(counts) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom}" '
        f'viewBox="0 0 {width} {height + bottom}" role="img" aria-label="case score histogram">'
    ]
    for i, n in enumerate(counts):
        h = (height - pad) * n / top
        x, y = pad + i * bar_w, height - h
        lo, hi = i / bins, (i + 1) / bins
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#54aeff">'
            f"<title>{lo:.1f}–{hi:.1f}: {n} case(s)</title></rect>"
        )
        if n:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{n}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height + 14}" text-anchor="middle">{lo:.1f}</text>')
    parts.append(f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#8c959f"/>')
    parts.append("</svg>")
    return "".join(parts)


def diff_html(golden: str | None, code: str | None) -> str:
    """The generated code against the golden as a coloured unified diff."""
    if code is None:
        return '<p class="muted">No code was extracted from the answer.</p>'
    if golden is None:
        return f'<p class="muted">No golden for this case; the generated code:</p><pre>{e(code)}</pre>'
    lines = list(
        difflib.unified_diff(golden.splitlines(), code.splitlines(), "golden", "generated", lineterm="", n=3)
    )
    if not lines:
        return '<p class="muted">The generated code is identical to the golden.</p>'
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        out.append(f'<span class="{kind}">{e(line) or " "}</span>')
    return '<pre class="diff">' + "".join(out) + "</pre>"  # block spans: one line each


def _diagnostics_html(compile: dict[str, Any] | None) -> str:
    if not compile:
        return ""
    diags = compile.get("diagnostics") or []
    backend = f"{compile.get('backend', '')} {compile.get('backend_version', '')}".strip()
    parts = [
        f'<h3>Compiler <span class="muted">{e(backend)} · '
        f"status {e(str(compile.get('status', '')))}</span></h3>"
    ]
    if diags:
        lines = []
        for d in diags:
            where = f"{d.get('file') or '?'}:{d.get('line') or 0}:{d.get('col') or 0}"
            code = f" [{d['code']}]" if d.get("code") else ""
            lines.append(f"{where}: {d.get('severity', 'error')}{code}: {d.get('message', '')}")
        parts.append(f'<pre class="text">{e(chr(10).join(lines))}</pre>')
    else:
        parts.append('<p class="muted">No diagnostics.</p>')
    tests = compile.get("tests") or {}
    failures = tests.get("failures") or []
    if failures:
        parts.append(f"<h3>Failed tests ({len(failures)})</h3><ul>")
        parts += [
            f"<li><code>{e(str(f.get('name', '')))}</code>: {e(str(f.get('message', '')))}</li>"
            for f in failures
        ]
        parts.append("</ul>")
    return "".join(parts)


def _sample_html(r: CaseResult, golden: Case | None, many: bool) -> str:
    parts = [f"<h3>Sample {r.sample}</h3>"] if many else []
    parts.append(
        f'<p class="muted">score {r.score:.3f} · tests {r.tests_passed}/{r.tests_total} · '
        f"judge {'—' if r.judge_score is None else f'{r.judge_score:.2f}'} · {r.tokens} tokens · "
        f"${r.cost:.4f} · {r.duration_s:.2f}s · {r.retries} retries</p>"
    )
    if r.error:
        parts.append(f'<h3>Error</h3><pre class="text">{e(r.error)}</pre>')
    parts.append(f'<h3>Feedback</h3><pre class="text">{e(r.feedback)}</pre>')
    parts.append("<h3>Generated vs golden</h3>" + diff_html(golden.golden if golden else None, r.code))
    if r.code is not None:
        parts.append(f"<details><summary>Generated code</summary><pre>{e(r.code)}</pre></details>")
    parts.append(_diagnostics_html(r.compile))
    if r.judgement:
        j = r.judgement
        parts.append(
            f'<h3>Judge <span class="muted">{e(str(j.get("judge", "")))} · '
            f"score {float(j.get('score') or 0):.2f}</span></h3>"
            f'<pre class="text">{e(str(j.get("feedback", "")))}</pre>'
        )
    return "".join(parts)


def _case_html(row: CaseRow) -> str:
    passed, total = row.tests
    badges = _badge("compiled", "ok") if row.compiled else _badge("no compile", "bad")
    if total:
        badges += _badge(f"tests {passed}/{total}", "ok" if passed == total else "bad")
    if row.errored:
        badges += _badge("program error", "warn")
    if row.status != "ok":
        badges = _badge("harness error" if row.status == "error" else "skipped", "warn")
    elif row.tier:
        badges += _badge(row.tier, "ok" if row.tier == "passes" else "bad")
    if len(row.samples) > 1:
        badges += _badge(f"{len(row.samples)} samples", "warn")
    body = []
    if row.golden is not None:
        body.append(
            f'<h3>Query</h3><pre class="text">{e(row.golden.query)}</pre>'
            f'<p class="muted">tags: {e(", ".join(row.golden.tags) or "—")} · kind {e(row.golden.kind)}</p>'
        )
    body += [_sample_html(r, row.golden, len(row.samples) > 1) for r in row.samples]
    status = "pass" if row.passed else "fail"
    return (
        f'<details class="case {status}" id="{e(row.suite)}--{e(row.case)}"><summary>'
        f"<code>{e(row.case)}</code><span>{_bar(row.score)}</span><span>{badges}</span>"
        f'<span class="fb muted">{e(one_line(row.worst.feedback, 160))}</span></summary>'
        f'<div class="body">{"".join(body)}</div></details>'
    )


def _figures_row(name: str, f: dict[str, float]) -> str:
    return (
        f"<tr><td>{e(name)}</td><td class=n>{int(f['cases'])}</td><td class=n>{f['mean_score']:.3f}</td>"
        f"<td class=n>{_pct(f['compile_rate'])}</td><td class=n>{_pct(f['tests_pass_rate'])}</td></tr>"
    )


FIGURES_HEAD = (
    "<tr><th>{}</th><th>cases</th><th>mean score</th><th>compile rate</th><th>tests pass rate</th></tr>"
)


def _suite_html(v: SuiteVerdict, rows: Sequence[CaseRow]) -> str:
    suite: Suite = v.suite
    status = _badge("gates met", "ok") if v.ok else _badge("gates missed", "bad")
    parts = [f'<section id="suite-{e(suite.name)}"><h2>{e(suite.name)} {status}</h2>']
    if suite.description:
        parts.append(f'<p class="muted">{e(suite.description)}</p>')
    pak = " · ".join(f"pass@{k} {p:.3f}" for k, p in sorted(v.pass_at_k.items()))
    parts.append(
        f"<table>{FIGURES_HEAD.format('suite')}{_figures_row(suite.name, v.figures)}</table><p>{e(pak)}</p>"
    )
    parts.append("<h3>Gates</h3>")
    if v.checks:
        parts.append('<ul class="gates">')
        parts += [
            f"<li>{_badge('ok', 'ok') if c.ok else _badge('missed', 'bad')} {e(c.describe())}</li>"
            for c in v.checks
        ]
        parts.append("</ul>")
    else:
        parts.append('<p class="muted">No thresholds set.</p>')
    if v.tags:
        parts.append(f"<h3>By tag</h3><table>{FIGURES_HEAD.format('tag')}")
        parts += [_figures_row(tag, f) for tag, f in sorted(v.tags.items())]
        parts.append("</table>")
    parts.append(f"<h3>Cases ({len(rows)})</h3>")
    parts += [_case_html(r) for r in sorted(rows, key=lambda r: (r.score, r.case))]
    parts.append("</section>")
    return "".join(parts)


def render_html(run: RunResult, verdicts: Sequence[SuiteVerdict], rows: Sequence[CaseRow]) -> str:
    t = _totals(run, rows)
    ok = all(v.ok for v in verdicts)
    by_suite: dict[str, list[CaseRow]] = {}
    for row in rows:
        by_suite.setdefault(row.suite, []).append(row)
    head = (
        f"<header><h1>cairo-evals run <code>{e(run.run_id)}</code> "
        f"{_badge('all gates met', 'ok') if ok else _badge('gates missed', 'bad')}</h1>"
        '<p class="totals">'
        f"<span>wall {run.wall_s:.1f}s</span><span>{t['cases']} cases ({t['samples']} samples)</span>"
        f"<span>mean score {t['mean']:.3f}</span><span>{t['passed']} passed</span>"
        f"<span>{t['compiled']} compiled</span><span>{t['errors']} program errors</span>"
        f"<span>{t['harness_errors']} harness errors</span><span>{t['skipped']} skipped</span>"
        f"<span>{t['tokens']} tokens</span><span>${t['cost']:.4f}</span></p>"
    )
    if run.stopped:
        head += f"<p>{_badge('stopped early', 'warn')} {e(run.stopped)}</p>"
    if tc := toolchain_text(run):
        head += f'<p class="muted">compiler: {e(tc)}</p>'
    head += "</header>"
    overview = [f"<h2>Overview</h2><table>{FIGURES_HEAD.format('suite')}"]
    overview += [_figures_row(v.suite.name, v.figures) for v in verdicts]
    overview.append("</table><h3>Case scores</h3>")
    overview.append(histogram_svg([r.score for r in rows]))
    suites = [_suite_html(v, by_suite.get(v.suite.name, [])) for v in verdicts]
    known = {v.suite.name for v in verdicts}
    for name, suite_rows in by_suite.items():  # results of a suite with no verdict
        if name not in known:
            suites.append(
                f"<section><h2>{e(name)}</h2>{''.join(_case_html(r) for r in suite_rows)}</section>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>cairo-evals {e(run.run_id)}</title>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{CSS}</style></head><body>{head}{''.join(overview)}{''.join(suites)}</body></html>\n"
    )


# -- an optimisation's summary ------------------------------------------------------------------

BEFORE_AFTER = ("program", "val score", "test mean", "compile rate", "tests pass rate", "prompt versions")


def before_after_rows(
    val: dict[str, float | None], figures: dict[str, dict[str, float]], prompts: dict[str, dict[str, int]]
) -> list[tuple[str, ...]]:
    """Rows (see BEFORE_AFTER) per role: the optimizer's val score, the test run's figures."""
    rows = []
    for role, f in figures.items():
        versions = ", ".join(f"{n.rsplit('.', 1)[-1]} v{v}" for n, v in sorted(prompts.get(role, {}).items()))
        score = val.get(role)
        rows.append(
            (
                role,
                "-" if score is None else f"{score:.3f}",
                f"{f['mean_score']:.3f}",
                f"{f['compile_rate']:.2f}",
                f"{f['tests_pass_rate']:.2f}",
                versions or "-",
            )
        )
    return rows


def render_optimization_markdown(
    title: str, rows: Sequence[tuple[str, ...]], deltas: Sequence[tuple[str, ...]], verdict: Sequence[str]
) -> str:
    """`summary.md` of an optimisation, for CI job summaries: the before/after table, the per-case
    deltas on the test split and the comparison's verdict lines."""
    out = [f"## {_md(title)}", "", "| " + " | ".join(BEFORE_AFTER) + " |", "|---|---:|---:|---:|---:|---|"]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    out += ["", "### Test split, case by case", "", "| case | baseline | optimized | delta | status |"]
    out += ["|---|---:|---:|---:|---|"] + ["| " + " | ".join(_md(c) for c in row) + " |" for row in deltas]
    out += [""] + [f"- {_md(line)}" for line in verdict]
    return "\n".join(out) + "\n"
