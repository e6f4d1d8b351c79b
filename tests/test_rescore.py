"""`cairo-evals rescore RUN`, for real: a small run of two starter cases with the suite's replay LM
(the recorded sample answers; no LLM is reachable here) on the native compiler, then its saved
answers scored again into a new run, and `compare` on the two.

- nothing changed: identical scores, exit 0, the new run's run.json says what it rescored, and
  no LM is asked (the program is never loaded);
- a run scored by an older harness (simulated by editing its results lines: a lower score, a
  wrong extraction, no raw answer as older runs kept none, a fault, a skipped case, a program
  error): the rescore scores each saved answer with today's stages, and compare shows the delta;
- a rescore run is continued by `rescore --resume`, never by `run --resume` (which would ask
  the program).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli import main
from harness.metric import CaseResult
from harness.runner import ResultsLog, read_results

pytestmark = pytest.mark.native

REPO = Path(__file__).resolve().parents[1]
SUITE = str(REPO / "suites" / "cairo-basics.yaml")
CASES = "checked-factorial,span-utils"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run of two starter cases (replay LM, native compiler, no MLflow)."""
    out = tmp_path_factory.mktemp("reports")
    argv = ["run", SUITE, "--cases", CASES, "--compiler", "native", "--no-mlflow"]
    assert main([*argv, "--out", str(out), "--run-id", "base"]) in (0, 1)
    return out


def results_of(out: Path, run: str) -> dict[str, CaseResult]:
    return {r.case: r for r in read_results(out / run / "results.jsonl")}


def write_run(out: Path, run: str, like: str, results: list[CaseResult]) -> None:
    """A run folder with `like`'s run.json and these results (an "older" run)."""
    (out / run).mkdir()
    meta = json.loads((out / like / "run.json").read_text())
    (out / run / "run.json").write_text(json.dumps({**meta, "run_id": run}))
    log = ResultsLog(out / run / "results.jsonl")
    for r in results:
        log.append(r)


def test_a_rescore_of_an_unchanged_harness_gives_identical_scores(
    base: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = results_of(base, "base")
    assert sorted(before) == ["checked-factorial", "span-utils"]
    assert all(r.answer and r.status == "ok" for r in before.values())  # the raw answer is kept
    # no program and no LM is loaded: a rescore asks nothing of the model
    monkeypatch.setattr("harness.runner.load_program", lambda *a, **k: pytest.fail("program loaded"))
    monkeypatch.setattr("harness.runner.make_lm", lambda *a, **k: pytest.fail("LM made"))
    code = main(["rescore", "base", "--out", str(base), "--run-id", "same", "--no-mlflow"])
    assert code in (0, 1)
    assert "cairo-evals compare base same" in capsys.readouterr().out
    after = results_of(base, "same")
    for case, old in before.items():
        new = after[case]
        assert (new.score, new.tier, new.passed, new.code, new.answer) == (
            old.score,
            old.tier,
            old.passed,
            old.code,
            old.answer,
        )
        assert (new.tokens, new.cost) == (old.tokens, old.cost)  # what the answer cost is the run's
    meta = json.loads((base / "same" / "run.json").read_text())
    assert meta["rescore_of"] == "base" and meta["toolchain"]["backend"] == "native"
    assert main(["compare", "base", "same", "--out", str(base)]) == 0
    assert "+0.000" in capsys.readouterr().out
    # a second rescore into the same id is refused; run --resume never continues a rescore
    assert main(["rescore", "base", "--out", str(base), "--run-id", "same", "--no-mlflow"]) == 2
    assert main(["run", "--resume", "same", "--out", str(base), "--no-mlflow"]) == 2
    assert "cairo-evals rescore base --resume same" in capsys.readouterr().err


def test_a_rescore_shows_per_case_what_todays_scoring_changes(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An "older" run: each line as an older harness could have left it."""
    now = results_of(base, "base")
    factorial, spans = now["checked-factorial"], now["span-utils"]
    golden = (REPO / "golden" / "cairo-basics" / "checked_factorial.cairo").read_text()
    old = [
        # scored by an older extraction: it took the wrong block, so tier no-code; the raw answer
        # (a draft, then the golden) is kept, and today's extraction finds the golden
        replace(
            factorial,
            answer=f"A first try:\n```cairo\nfn nope() {{}}\n```\nThe fix:\n```cairo\n{golden}```\n",
            code="fn nope() {}",
            score=0.0,
            passed=False,
            tier="no-code",
        ),
        # an older run kept no raw answer: the rescore uses its code and says so
        replace(spans, answer=None, score=0.2, tier="unbound"),
    ]
    write_run(base, "older", "base", old)
    assert main(["rescore", "older", "--out", str(base), "--run-id", "today", "--no-mlflow"]) in (0, 1)
    capsys.readouterr()
    today = results_of(base, "today")
    assert today["checked-factorial"].score == 1.0 and today["checked-factorial"].passed
    assert today["span-utils"].score == spans.score and today["span-utils"].answer is None
    assert "rescored from the run's extracted code" in today["span-utils"].feedback
    assert main(["compare", "older", "today", "--out", str(base)]) == 0
    shown = capsys.readouterr().out
    assert "cairo-basics::checked-factorial" in shown and "+1.000" in shown and "fixed" in shown
    assert f"{spans.score - 0.2:+.3f}" in shown


def test_faults_and_skipped_cases_are_scored_again_program_errors_stay(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = results_of(base, "base")
    factorial, spans = now["checked-factorial"], now["span-utils"]
    crashed = "the compiler crashed"
    fault = replace(factorial, score=0.0, passed=False, tier=None, status="error", fault=crashed)
    program_error = replace(
        spans, score=0.0, passed=False, answer=None, code=None, tier=None, error="the program raised"
    )
    write_run(base, "faulted", "base", [fault, program_error])
    assert main(["rescore", "faulted", "--out", str(base), "--run-id", "refaulted", "--no-mlflow"]) in (0, 1)
    again = results_of(base, "refaulted")
    assert again["checked-factorial"].status == "ok" and again["checked-factorial"].score == factorial.score
    assert again["span-utils"] == program_error  # the verdict on the program stands, as it was

    skipped = replace(factorial, score=0.0, passed=False, status="skipped", fault="needs Scarb")
    write_run(base, "skipped", "base", [skipped, spans])
    assert main(["rescore", "skipped", "--out", str(base), "--run-id", "unskipped", "--no-mlflow"]) in (0, 1)
    assert results_of(base, "unskipped")["checked-factorial"].passed
    capsys.readouterr()


def test_an_interrupted_rescore_is_continued_by_rescore_resume(base: Path) -> None:
    """Results are appended as they finish: a rescore stopped after one case keeps it, and
    `rescore RUN --resume ID` does the rest (the folder copied as a crash would leave it)."""
    assert main(["rescore", "base", "--out", str(base), "--run-id", "full", "--no-mlflow"]) in (0, 1)
    shutil.copytree(base / "full", base / "half")
    meta = json.loads((base / "half" / "run.json").read_text())
    (base / "half" / "run.json").write_text(json.dumps({**meta, "run_id": "half"}))
    lines = (base / "half" / "results.jsonl").read_text().splitlines(keepends=True)
    (base / "half" / "results.jsonl").write_text(lines[0])
    assert main(["rescore", "base", "--out", str(base), "--resume", "half", "--no-mlflow"]) in (0, 1)
    assert len((base / "half" / "results.jsonl").read_text().splitlines()) == 2
    scores = {case: (r.score, r.tier) for case, r in results_of(base, "half").items()}
    assert scores == {case: (r.score, r.tier) for case, r in results_of(base, "full").items()}
    assert main(["rescore", "older-is-not-it", "--out", str(base), "--resume", "half"]) == 2
