"""Run comparison: per-case deltas, pass→fail flips (McNemar's exact test), the weighted t interval
and its verdicts (regression, no regression, inconclusive, not enough cases), loading."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from harness.compare import COLUMNS, compare, load_results
from harness.metric import CaseResult

N = 10


def run(scores: list[float], passed: list[bool] | None = None, suite: str = "s") -> list[CaseResult]:
    passed = passed if passed is not None else [True] * len(scores)
    return [
        CaseResult(suite, f"c{i}", score, "", ok, ok)
        for i, (score, ok) in enumerate(zip(scores, passed, strict=True))
    ]


def base() -> list[CaseResult]:
    return run([1.0] * N)


def test_one_case_crosses_pass_to_fail() -> None:
    a = base()
    b = list(a)
    b[3] = replace(b[3], score=0.5, passed=False)
    cmp = compare(a, b)
    assert cmp.new_failures == ["s::c3"]
    assert cmp.fixed == []
    assert cmp.mean_delta == pytest.approx(-0.5 / N)
    assert cmp.ci_low is not None and cmp.ci_high is not None
    assert cmp.ci_low <= -0.5 / N <= cmp.ci_high
    # one flip alone is not significant (McNemar exact p = 0.5), and the interval admits no drop
    # as well as a big one: inconclusive, and said so; but a case went from pass to fail, which is
    # what the gate fails on (the statistics are information beside it)
    assert cmp.flips_p == pytest.approx(0.5) and cmp.verdict == "inconclusive"
    assert cmp.regression
    assert any("s::c3" in r and "not significant" in r and "information" in r for r in cmp.reasons)
    rows = cmp.table()
    assert rows[0] == ("s::c3", "1.000", "0.500", "-0.500", "new failure")
    assert all(len(row) == len(COLUMNS) for row in rows)
    assert len(rows) == N
    d = cmp.to_dict()
    assert json.loads(json.dumps(d))["new_failures"] == ["s::c3"]
    assert d["cases"][0]["status"] == "new failure"


def test_identical_runs() -> None:
    a = run([0.2 * (i % 5) for i in range(N)], [i % 2 == 0 for i in range(N)])
    cmp = compare(a, list(a))
    assert cmp.mean_delta == 0.0
    assert (cmp.ci_low, cmp.ci_high) == (0.0, 0.0) and cmp.verdict == "no regression"
    assert not cmp.regression
    assert cmp.new_failures == cmp.fixed == cmp.only_a == cmp.only_b == []
    assert "no regression" in cmp.reasons[0]


def test_small_noise_is_not_a_regression() -> None:
    a = run([0.8] * N)
    b = run([0.8 + (0.01 if i % 2 else -0.01) for i in range(N)])
    cmp = compare(a, b, margin=0.02)
    assert not cmp.regression and cmp.verdict == "no regression"
    assert cmp.ci_low is not None and cmp.ci_high is not None
    assert -0.02 <= cmp.ci_low <= cmp.ci_high <= 0.02


def test_small_drop_within_margin_is_not_a_regression() -> None:
    cmp = compare(run([0.8] * N), run([0.79] * N), margin=0.02)
    assert not cmp.regression and cmp.verdict == "no regression"


def test_two_cases_with_the_same_small_drop_are_not_enough_to_tell() -> None:
    """No zero-spread shortcut: two identical deltas of -0.03 say nothing about the spread."""
    cmp = compare(run([0.9, 0.8]), run([0.87, 0.77]))
    assert cmp.verdict == "not enough cases" and not cmp.regression
    assert cmp.ci_low is None and "not enough cases to tell" in cmp.reasons[0]


def test_a_big_mixed_change_on_two_cases_says_how_unsure_it_is() -> None:
    cmp = compare(run([0.9, 0.5]), run([0.4, 0.55]))
    assert cmp.verdict == "not enough cases"
    assert not any(r.startswith("no regression") for r in cmp.reasons)
    assert "not enough cases to tell" in cmp.reasons[0] and "-0.225" in cmp.reasons[0]


def test_cases_are_weighted_as_the_gates_weigh_them() -> None:
    a, b = run([1.0] * N), run([0.0] + [1.0] * (N - 1), [False] + [True] * (N - 1))
    heavy = compare(a, b, weights={"s::c0": 9.0})
    assert heavy.mean_delta == pytest.approx(-9 / (9 + N - 1))
    assert compare(a, b).mean_delta == pytest.approx(-1 / N)


def test_many_flips_are_a_regression_by_mcnemar() -> None:
    a = run([1.0] * 12)
    b = run([0.3] * 6 + [1.0] * 6, [False] * 6 + [True] * 6)
    cmp = compare(a, b, margin=0.5)  # a margin wide enough that the mean alone would not flag it
    assert cmp.flips_p == pytest.approx(0.5**6) and cmp.regression


def test_with_repeats_one_flaky_sample_is_not_a_failure() -> None:
    a = [CaseResult("s", f"c{i}", 1.0, "", True, True, sample=k) for i in range(N) for k in range(3)]
    b = [*a[:-1], CaseResult("s", f"c{N - 1}", 0.4, "", False, True, sample=2)]
    cmp = compare(a, b)
    assert cmp.new_failures == [] and not cmp.regression
    assert {c.nodeid: c.pass_rate_b for c in cmp.cases}[f"s::c{N - 1}"] == pytest.approx(2 / 3)


def fault(case: str, sample: int = 0) -> CaseResult:
    return CaseResult("s", case, 0.0, "", False, False, sample=sample, status="error", fault="crash")


def test_a_fault_against_a_verdict_counts_against_the_run_with_the_fault() -> None:
    """Failing by a harness fault costs what failing costs: never a silent drop."""
    a = base()
    b = [*a[:-1], fault(f"c{N - 1}")]
    cmp = compare(a, b)
    last = f"s::c{N - 1}"
    assert cmp.unscored == [] and len(cmp.cases) == N
    assert cmp.new_failures == [last] and cmp.regression and cmp.faulted_b == [last]
    assert cmp.mean_delta == pytest.approx(-1 / N)
    assert any(last in r and "harness fault in B" in r and "--resume" in r for r in cmp.reasons)
    row = next(r for r in cmp.table() if r[0] == last)
    assert row[1:] == ("1.000", "0.000", "-1.000", "new failure (B: 1 fault(s) counted as 0)")
    # the other way round: a fault in the baseline is counted against the baseline
    back = compare(b, a)
    assert back.fixed == [last] and back.faulted_a == [last] and not back.regression


def test_a_faulted_sample_among_repeats_counts_as_a_failed_sample() -> None:
    a = [CaseResult("s", f"c{i}", 1.0, "", True, True, sample=k) for i in range(N) for k in range(2)]
    b = [*a[:-1], fault(f"c{N - 1}", sample=1)]
    case = {c.nodeid: c for c in compare(a, b).cases}[f"s::c{N - 1}"]
    assert (case.b, case.pass_rate_b, case.samples_b, case.faults_b) == (0.5, 0.5, 2, 1)


def test_cases_without_a_verdict_in_either_run_or_skipped_are_listed_not_compared() -> None:
    a = [*base()[:-2], fault(f"c{N - 2}"), CaseResult("s", f"c{N - 1}", 1.0, "", True, True)]
    skipped = CaseResult("s", f"c{N - 1}", 0.0, "", False, False, status="skipped", fault="needs Scarb")
    b = [*base()[:-2], fault(f"c{N - 2}"), skipped]
    cmp = compare(a, b)
    assert cmp.unscored == [f"s::c{N - 2}", f"s::c{N - 1}"] and len(cmp.cases) == N - 2
    assert cmp.new_failures == [] and not cmp.regression
    assert any("without a verdict in either run or skipped" in r for r in cmp.reasons)


def test_different_toolchains_are_warned_about() -> None:
    cmp = compare(
        base(),
        base(),
        toolchains=({"backend": "native", "cairo": "2.16.0"}, {"backend": "scarb", "cairo": "2.12.1"}),
    )
    assert cmp.warnings and "native → scarb" in cmp.warnings[0] and "2.16.0 → 2.12.1" in cmp.warnings[0]


def test_broad_drop_is_a_regression_by_the_interval() -> None:
    a = run([0.9 - 0.01 * i for i in range(N)])
    b = run([r.score - 0.2 - (0.02 if i % 3 == 0 else 0.0) for i, r in enumerate(a)])
    cmp = compare(a, b)
    assert cmp.new_failures == []  # every case passes in both: only the interval flags it
    assert cmp.ci_high < -0.02
    assert cmp.regression
    assert "interval" in cmp.reasons[0]


def test_improvement_and_fixed() -> None:
    a = run([0.5] * N, [False] * N)
    b = run([0.5] * (N - 1) + [1.0], [False] * (N - 1) + [True])
    cmp = compare(a, b)
    assert cmp.fixed == [f"s::c{N - 1}"]
    assert not cmp.regression
    assert cmp.mean_delta > 0


def test_samples_are_averaged_and_unmatched_cases_reported() -> None:
    a = [*run([1.0, 1.0]), CaseResult("s", "c0", 0.5, "", True, True, sample=1), *run([1.0], suite="t")]
    b = [*run([0.75, 1.0]), *run([1.0], suite="u")]
    cmp = compare(a, b)
    by_id = {c.nodeid: c for c in cmp.cases}
    assert by_id["s::c0"].a == pytest.approx(0.75)
    assert by_id["s::c0"].samples_a == 2
    assert by_id["s::c0"].delta == 0.0
    assert cmp.only_a == ["t::c0"]
    assert cmp.only_b == ["u::c0"]
    statuses = [row[-1] for row in cmp.table()]
    assert statuses[-2:] == ["only in A", "only in B"]


def test_a_case_failing_in_most_samples_fails() -> None:
    a = run([1.0])
    b = [*run([1.0]), *(CaseResult("s", "c0", 0.0, "", False, False, sample=k) for k in (1, 2))]
    assert compare(a, b).new_failures == ["s::c0"]


def test_no_shared_cases() -> None:
    with pytest.raises(ValueError, match="share no scored case"):
        compare(run([1.0]), run([1.0], suite="other"))


def write_run(folder: Path, results: list[CaseResult]) -> Path:
    folder.mkdir(parents=True)
    path = folder / "results.jsonl"
    path.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in results))
    return path


def test_load_results_by_id_folder_and_file(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    results = run([1.0, 0.5], [True, False])
    path = write_run(out / "run-1", results)
    assert load_results("run-1", out=str(out)) == results
    assert load_results(str(out / "run-1"), out="elsewhere") == results
    assert load_results(str(path), out="elsewhere") == results


def test_load_results_missing(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with pytest.raises(ValueError, match="not found") as err:
        load_results("nope", out=str(out))
    assert str(out / "nope" / "results.jsonl") in str(err.value)
    (out / "empty").mkdir(parents=True)
    (out / "empty" / "results.jsonl").write_text("")
    with pytest.raises(ValueError, match="no results"):
        load_results("empty", out=str(out))
    with pytest.raises(ValueError, match="MLflow"):
        load_results("mlflow:abc123", out=str(out))


def write_results(folder: Path, results: list[CaseResult]) -> None:
    from harness.runner import ResultsLog

    log = ResultsLog(folder / "results.jsonl")
    for r in results:
        log.append(r)


def test_compare_command_exits_1_only_on_a_regression(tmp_path, capsys) -> None:
    """The CLI face: identical runs pass; a broad drop is a regression; too few cases say so."""
    from harness.cli import main

    def write(name: str, results: list[CaseResult]) -> None:
        write_results(tmp_path / name, results)

    base = [CaseResult("s", f"c{i}", 1.0, "", True, True) for i in range(8)]
    write("a", base)
    write("b", [CaseResult("s", f"c{i}", 0.4, "tests fail", False, True) for i in range(8)])
    write("c", base[:2])
    write("d", [CaseResult("s", f"c{i}", 0.97, "", True, True) for i in range(2)])
    assert main(["compare", "a", "a", "--out", str(tmp_path)]) == 0
    assert main(["compare", "a", "b", "--out", str(tmp_path)]) == 1
    assert "s::c4" in capsys.readouterr().out
    assert main(["compare", "c", "d", "--out", str(tmp_path)]) == 0
    assert "not enough cases" in capsys.readouterr().out
    assert main(["compare", "a", "nope", "--out", str(tmp_path)]) == 2


def test_compare_exits_1_when_cases_went_from_pass_to_fail_with_the_statistics_beside(
    tmp_path, capsys
) -> None:
    """3 pass->fail flips out of 8 are not significant (McNemar p = 0.125) and the mean is
    inconclusive, but a nightly gate must fail on them: exit 1, the flips named, the p printed."""
    from harness.cli import main

    def write(name: str, results: list[CaseResult]) -> None:
        write_results(tmp_path / name, results)

    a = [CaseResult("s", f"c{i}", 0.95, "", True, True) for i in range(8)]
    write("a", a)
    flipped = [replace(r, score=0.6, passed=False) if i in (1, 4, 6) else r for i, r in enumerate(a)]
    write("b", flipped)
    assert main(["compare", "a", "b", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "p = 0.125" in captured.err and "s::c1, s::c4, s::c6" in captured.err
    assert "inconclusive" in captured.out
    # a fault in B where A has a verdict: counted against B, named, exit 1
    write("f", [*a[:-1], fault("c7")])
    assert main(["compare", "a", "f", "--out", str(tmp_path)]) == 1
    assert "harness fault in B" in capsys.readouterr().err
