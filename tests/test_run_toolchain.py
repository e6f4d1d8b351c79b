"""What a run records and needs of its toolchain, through the real CLI in subprocesses:

- every run's run.json names the toolchain that judged it (learnt without building, installing
  or starting anything), MLflow gets it as params, summary.md shows it, and `compare` warns when
  two runs used different ones;
- `run --timeout S --workers N --run-id ID`;
- a compile that needs a toolchain the machine lacks ends the run with one `error:` line and
  exit 2, keeping the finished cases; a run whose compiles are all cached needs no toolchain.

The programs are scripted (`GoldenUnlessProse`: each case's golden, or prose for a query marked
"[prose]"); the compiles are real (the native compiler, linked from this machine's cache). Each
test keeps its own cache folder (`CAIRO_EVALS_CACHE_DIR`), so no verdict comes from, or goes to,
the shared one. Subprocesses have generous timeouts as their only bound; nothing is timed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.metric import CaseResult
from harness.runner import Runner, RunOptions, read_results

REPO = Path(__file__).resolve().parents[1]
BASE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "MLFLOW_DISABLE_TELEMETRY": "true"}
PROGRAM = "tests.programs_under_test:GoldenUnlessProse"
LONG = 1800.0  # a bound for a process on a loaded machine, never an expectation


def write_suite(folder: Path, prose: list[bool]) -> Path:
    """Cases `c0`, `c1`, … asking for `f<i>() -> u32`; those marked True get prose, not code."""
    lines = ["suite: toolchain", "cases:"]
    for i, marked in enumerate(prose):
        lines += [
            f"  - id: c{i}",
            f"    query: Write `f{i}() -> u32` returning {i}.{' [prose]' if marked else ''}",
            "    golden: |",
            f"      fn f{i}() -> u32 {{ {i} }}",
            "    kind: program",
        ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "toolchain.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cairo_evals(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *map(str, args)],
        cwd=REPO,
        env={**os.environ, **BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=LONG,
    )


def native_cache(cache: Path) -> Path:
    """A fresh cache folder whose native compiler is this machine's built one (linked, not
    copied): real compiles without a shared compile cache. Skips when it is not built here."""
    from harness.cairo import native

    binary, corelib = native.binary_path(), native.native_dir() / "corelib"
    if not native.is_built():
        pytest.skip("the native compiler is not built on this machine (cairo-evals check-golden builds it)")
    (cache / "native" / "bin").mkdir(parents=True)
    (cache / "native" / "bin" / binary.name).symlink_to(binary)
    (cache / "native" / "corelib").symlink_to(corelib, target_is_directory=True)
    return cache


def no_toolchain_path(tmp_path: Path) -> str:
    """A PATH with no scarb, cargo, node or npm on it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return str(empty)


def results(folder: Path) -> dict[str, CaseResult]:
    return {r.case: r for r in read_results(folder / "results.jsonl")}


# -- the toolchain in every run ------------------------------------------------------------------


def test_each_run_records_its_toolchain_mlflow_and_the_report_show_it_and_compare_warns(
    tmp_path: Path,
) -> None:
    if shutil.which("cargo") is None:
        pytest.skip("--compiler native needs cargo on PATH when it is not built")
    suite = write_suite(tmp_path, [True, True])  # prose only: nothing compiles
    cache, out = tmp_path / "cache", tmp_path / "out"
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    env = {"CAIRO_EVALS_CACHE_DIR": str(cache), "CAIRO_EVALS_TEST_SUITE": str(suite)}
    common = ["--program", PROGRAM, "--out", out]
    native_run = cairo_evals("run", suite, *common, "--compiler", "native", "--run-id", "on-native",
                             "--mlflow-uri", uri, env=env)  # fmt: skip
    assert native_run.returncode == 0, native_run.stderr
    wasm_run = cairo_evals(
        "run", suite, *common, "--compiler", "wasm", "--run-id", "on-wasm", "--no-mlflow", env=env
    )
    assert wasm_run.returncode == 0, wasm_run.stderr

    native_tc = json.loads((out / "on-native" / "run.json").read_text())["toolchain"]
    wasm_tc = json.loads((out / "on-wasm" / "run.json").read_text())["toolchain"]
    assert native_tc["backend"] == "native" and native_tc["cairo"] == "2.16.0"
    assert native_tc["version"].startswith("native (Cairo 2.16.0")
    assert wasm_tc["backend"] == "wasm" and wasm_tc["cairo"] == "~2.8"
    # learnt without building the native compiler, installing wasm-cairo or starting a worker
    assert not (cache / "native" / "bin").exists() and not (cache / "native" / "target").exists()
    assert not (cache / "npm").exists()

    summary = (out / "on-native" / "summary.md").read_text()
    assert f"Compiler: native ({native_tc['version']}) · cairo 2.16.0" in summary

    from harness.tracking import client_for, find_logged

    logged = find_logged("on-native", uri)
    assert logged is not None
    params = client_for(uri).get_run(logged).data.params
    assert params["toolchain.backend"] == "native" and params["toolchain.cairo"] == "2.16.0"
    assert params["toolchain.version"] == native_tc["version"]

    differ = cairo_evals("compare", "on-native", "on-wasm", "--out", out, env=env)
    assert differ.returncode == 0, differ.stderr
    assert "warning: the runs used different toolchains" in differ.stderr
    assert "backend: native → wasm" in differ.stderr and "cairo: 2.16.0 → ~2.8" in differ.stderr
    same = cairo_evals("compare", "on-native", "on-native", "--out", out, env=env)
    assert same.returncode == 0 and "different toolchains" not in same.stderr


# -- run --timeout, --workers, --run-id -------------------------------------------------------------


def test_run_id_names_the_folder_an_existing_one_is_refused_and_resume_continues_it(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, [True, True])
    out = tmp_path / "out"
    env = {"CAIRO_EVALS_CACHE_DIR": str(tmp_path / "cache"), "CAIRO_EVALS_TEST_SUITE": str(suite)}
    args = ["--program", PROGRAM, "--compiler", "wasm", "--out", out, "--no-mlflow"]
    first = cairo_evals(
        "run", suite, *args, "--run-id", "nightly-1", "--timeout", "42", "--workers", "1", env=env
    )
    assert first.returncode == 0, first.stderr
    meta = json.loads((out / "nightly-1" / "run.json").read_text())
    assert meta["run_id"] == "nightly-1"
    assert (meta["options"]["compile_timeout"], meta["options"]["workers"]) == (42.0, 1)
    assert meta["options"]["case_timeout"] == 900.0  # the program's bound is its own flag
    lines = (out / "nightly-1" / "results.jsonl").read_text()

    again = cairo_evals("run", suite, *args, "--run-id", "nightly-1", env=env)
    assert again.returncode == 2
    last = again.stderr.strip().splitlines()[-1]
    assert last.startswith("error: --run-id nightly-1: ") and "already exists" in last
    assert "--resume nightly-1" in last and "Traceback" not in again.stderr
    assert (out / "nightly-1" / "results.jsonl").read_text() == lines  # untouched

    resumed = cairo_evals("run", "--resume", "nightly-1", "--out", out, "--no-mlflow", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "nightly-1" / "results.jsonl").read_text() == lines  # nothing left to do

    for bad in ("../escape", "a/b", ".hidden"):
        refused = cairo_evals("run", suite, *args, "--run-id", bad, env=env)
        assert refused.returncode == 2
        assert refused.stderr.strip().splitlines()[-1].startswith(f"error: --run-id {bad!r}: a run id is")
    assert not (tmp_path / "escape").exists() and sorted(p.name for p in out.iterdir()) == ["nightly-1"]


def test_timeout_and_workers_reach_the_compiler(tmp_path: Path) -> None:
    """--workers sizes the worker pool; --timeout is what one compile may take of a worker's time:
    with 1 ms, a real compile is killed, run again alone on a fresh worker, killed again, and that
    is the answer's verdict (does not compile within the budget), not a harness fault."""
    from harness.cairo import native

    if not native.is_built():
        pytest.skip("the native compiler is not built on this machine")
    wired = Runner(RunOptions(compiler="native", compile_timeout=42.0, workers=1)).compiler
    assert wired.timeout == 42.0 and wired.backend.pool.size == 1  # type: ignore[attr-defined]

    cache = native_cache(tmp_path / "cache")
    suite = write_suite(tmp_path, [False])
    env = {"CAIRO_EVALS_CACHE_DIR": str(cache), "CAIRO_EVALS_TEST_SUITE": str(suite)}
    run = cairo_evals("run", suite, "--program", PROGRAM, "--compiler", "native", "--timeout", "0.001",
                      "--workers", "1", "--run-id", "tight", "--out", tmp_path / "out", "--no-mlflow",
                      env=env)  # fmt: skip
    assert run.returncode in (0, 1), run.stderr  # a verdict, not a case left unscored (exit 2)
    found = results(tmp_path / "out" / "tight")["c0"]
    assert found.status == "ok" and found.tier == "does-not-compile"
    assert "exceeds the compile budget of 0.001 s of worker time (hit twice" in found.feedback


# -- no toolchain ------------------------------------------------------------------------------------


def test_a_compile_with_no_toolchain_ends_the_run_with_one_error_line_and_keeps_finished_cases(
    tmp_path: Path,
) -> None:
    """No scarb, no cargo and no node on PATH, and no native compiler built in the cache: `auto`
    falls back to wasm, whose first compile finds no Node."""
    suite = write_suite(tmp_path, [True, False, False])  # c0 needs no compile; c1 does
    env = {
        "PATH": no_toolchain_path(tmp_path),
        "CAIRO_EVALS_CACHE_DIR": str(tmp_path / "cache"),
        "CAIRO_EVALS_TEST_SUITE": str(suite),
    }
    run = cairo_evals("run", suite, "--program", PROGRAM, "--concurrency", "1", "--run-id", "bare",
                      "--out", tmp_path / "out", "--no-mlflow", env=env)  # fmt: skip
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and run.stderr.strip().splitlines()[-1] == errors[0]
    assert "`node`" in errors[0] and "Finished cases are kept: continue with --resume bare" in errors[0]
    kept = results(tmp_path / "out" / "bare")
    assert list(kept) == ["c0"] and kept["c0"].status == "ok"  # the finished case; c1 is redone later
    assert not (tmp_path / "cache" / "npm").exists()  # nothing was installed either


def test_a_run_whose_compiles_are_all_cached_needs_no_toolchain(tmp_path: Path) -> None:
    """The first run compiles for real and fills the run's own cache. Then PATH loses every tool
    and the compiler's binary becomes a tripwire that records any start: the second run gives the
    same verdicts, from the cache, and never starts it."""
    cache = native_cache(tmp_path / "cache")
    suite = write_suite(tmp_path, [True, False, False])
    env = {"CAIRO_EVALS_CACHE_DIR": str(cache), "CAIRO_EVALS_TEST_SUITE": str(suite)}
    args = ["--program", PROGRAM, "--compiler", "native", "--out", tmp_path / "out", "--no-mlflow"]
    first = cairo_evals("run", suite, *args, "--run-id", "with-tools", "--timeout", "900", env=env)
    assert first.returncode == 0, first.stderr
    before = results(tmp_path / "out" / "with-tools")
    assert [before[c].compiled for c in ("c1", "c2")] == [True, True]

    binary = next((cache / "native" / "bin").iterdir())
    marker = tmp_path / "tripwire-was-started"
    binary.unlink()
    binary.write_text(f"#!/bin/sh\necho started > {marker}\nexit 1\n")
    binary.chmod(0o755)
    second = cairo_evals("run", suite, *args, "--run-id", "without-tools",
                         env={**env, "PATH": no_toolchain_path(tmp_path)})  # fmt: skip
    assert second.returncode == 0, second.stderr
    after = results(tmp_path / "out" / "without-tools")
    assert {c: r.score for c, r in after.items()} == {c: r.score for c, r in before.items()}
    assert all(after[c].status == "ok" and after[c].compile["cached"] for c in ("c1", "c2"))
    assert not marker.exists()
