"""Log a cairo-evals run to MLflow: params, metrics, the per-case table, code and reports.

Where: `uri`, else `$MLFLOW_TRACKING_URI` (a team server), else a sqlite store `mlruns.db` at
the project root with artifacts beside it in `mlartifacts/` (the experiment is created with
that artifact location, so nothing lands in `./mlruns`). For any `sqlite:///path/x.db` the
artifacts go to `path/mlartifacts/`.

What: one MLflow run per cairo-evals run, in one experiment per suite (named after the suite,
or `experiment`). A run of several suites goes to the experiment `cairo-evals` (or
`experiment`) as a parent run with one nested run per suite.

- params: program, lm, judge, compiler backend + version, suite hash (sha256 of the suite
  file), git commit, repeats, concurrency, and the toolchain the run recorded in run.json
  (`toolchain.backend`, `toolchain.version`, `toolchain.cairo`, with Scarb `toolchain.scarb`,
  `toolchain.snforge`, `toolchain.dep_<name>` …);
- metrics: mean_score, compile_rate, tests_pass_rate, pass_at_k_<k>, tag.<tag>.mean_score,
  tokens, cost, wall_s, cases, errors (a parent run: the same over all cases, plus
  `suite.<name>.<figure>`);
- artifacts: `cases.json` (an MLflow table: case, sample, score, passed, compiled,
  tests_passed, tests_total, judge_score, feedback), `cases/<case>.cairo` and
  `cases/<case>.feedback.txt`, results.jsonl, report.html, summary.md;
- tags: `cairo_evals.run_id`, `cairo_evals.suite(s)`, `prompt.<name>=<version>` for the
  programs' prompts (registered in the Prompt Registry, see `harness.prompts`).

`cairo-evals run` logs while the cases run (`start_logging`, `RunLog`: a thread opens the store
and the MLflow runs at the start and writes each case's trace as the case finishes); `log_run`
logs a finished run at once (`cairo-evals log`, optimize).

Logging never fails or stalls a run: when MLflow is unreachable or fails, a warning is logged and
None returned; the end of a run waits for MLflow at most `FINISH_WAIT` seconds. The run's own
files are kept, and `log_saved_run` (`cairo-evals log RUN_ID`) uploads the folder later; only a
FINISHED MLflow run counts as logged.
- A tracking server must answer its `/health` with a non-error status within 3 s, else the
  logging is given up at once (a 5xx or 429 counts as failing). MLflow's own client would
  retry each request for minutes: unless you set them, `MLFLOW_HTTP_REQUEST_MAX_RETRIES`,
  `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` and `MLFLOW_HTTP_REQUEST_TIMEOUT` are set to 2, 1 and
  10 s (`HTTP_LIMITS`), so a server that fails mid-way costs seconds, not minutes.
- A sqlite store is created and migrated by one process at a time (a file lock beside the
  database, `mlruns.db.lock`): MLflow's migrations are not safe to run concurrently, and
  parallel runs on a fresh store used to lose their logs ("duplicate column name").
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .mlstore import (  # the store; re-exported, callers use them from here
    HTTP_LIMITS,
    STORE_LOCK_TIMEOUT,
    TrackingUnavailable,
    _check_reachable,
    _sqlite_path,
    artifact_location,
    client_for,
    default_uri,
    experiment_id,
    store_lock,
)
from .paths import project_root
from .transient import describe

# The gates, prompts and runner import DSPy: they are imported where they are used, so commands
# that only need `default_uri` (doctor) stay fast.
if TYPE_CHECKING:
    from .gate import SuiteVerdict
    from .metric import CaseResult
    from .program import Program
    from .runner import RunOptions, RunResult
    from .suite import Suite

log = logging.getLogger(__name__)

MULTI_SUITE_EXPERIMENT = "cairo-evals"
PROMPT_RUNS_TAG = "mlflow.prompt.run_ids"  # what the Prompts page lists as "MLflow runs" of a version
_METRIC_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/ ]+")
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

__all__ = [
    "HTTP_LIMITS",
    "STORE_LOCK_TIMEOUT",
    "TrackingUnavailable",
    "_check_reachable",
    "_sqlite_path",
    "artifact_location",
    "client_for",
    "default_uri",
    "experiment_id",
    "store_lock",
]


# -- what is logged ---------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    p = Path(path)
    if not p.is_file() and not p.is_absolute():
        p = project_root() / p
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "unknown"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_root(), capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def _compiler(results: Sequence[CaseResult], opts: RunOptions, suite: Suite | None) -> tuple[str, str]:
    first = next((r.compile for r in results if r.compile), None) or {}
    backend = first.get("backend") or opts.compiler or (suite.compiler if suite else None) or "auto"
    return str(backend), str(first.get("backend_version") or "unknown")


def suite_params(
    suite: Suite, results: Sequence[CaseResult], opts: RunOptions, commit: str
) -> dict[str, str]:
    from .runner import DEFAULT_PROGRAM

    backend, version = _compiler(results, opts, suite)
    return {
        "program": opts.program or suite.program or DEFAULT_PROGRAM,
        "lm": str(opts.lm or suite.lm),
        "judge": opts.judge_lm or suite.judge or "heuristic",
        "compiler_backend": backend,
        "compiler_version": version,
        "suite": suite.name,
        "suite_hash": file_sha256(suite.path),
        "git_commit": commit,
        "repeats": str(opts.repeats),
        "concurrency": str(opts.concurrency),
    }


def toolchain_params(folder: Path) -> dict[str, str]:
    """The toolchain the run recorded in run.json, as params `toolchain.backend`,
    `toolchain.version`, `toolchain.cairo`, `toolchain.scarb`, `toolchain.dep_<name>` …"""
    from .runner import saved_toolchain

    return {_metric_key(f"toolchain.{k}"): v for k, v in (saved_toolchain(folder) or {}).items()}


def _merge_params(per_suite: Sequence[dict[str, str]]) -> dict[str, str]:
    """One value per param: the common one, or the distinct values joined (in suite order)."""
    merged: dict[str, str] = {}
    for key in per_suite[0]:
        values = list(dict.fromkeys(p[key] for p in per_suite))
        merged[key] = values[0] if len(values) == 1 else ", ".join(values)
    return merged


def _metric_key(name: str) -> str:
    return _METRIC_UNSAFE.sub("_", name)


def _usage(results: Sequence[CaseResult]) -> dict[str, float]:
    return {
        "tokens": float(sum(r.tokens for r in results)),
        "cost": float(sum(r.cost for r in results)),
        "errors": float(sum(r.error is not None for r in results)),
    }


def verdict_metrics(v: SuiteVerdict, results: Sequence[CaseResult], wall_s: float) -> dict[str, float]:
    mine = [r for r in results if r.suite == v.suite.name]
    metrics = {k: float(x) for k, x in v.figures.items()}
    metrics |= {f"pass_at_k_{k}": float(x) for k, x in v.pass_at_k.items()}
    for tag, figs in v.tags.items():
        for name in ("mean_score", "compile_rate", "tests_pass_rate"):
            metrics[_metric_key(f"tag.{tag}.{name}")] = float(figs[name])
    metrics["gates_ok"] = float(v.ok)
    return metrics | _usage(mine) | {"wall_s": float(wall_s)}


def overall_metrics(
    verdicts: Sequence[SuiteVerdict], results: Sequence[CaseResult], wall_s: float
) -> dict[str, float]:
    from .gate import figures, summarise

    summaries = [s for v in verdicts for s in summarise(v.suite, results)]
    metrics = {k: float(x) for k, x in figures(summaries).items()}
    for v in verdicts:
        for k, x in v.figures.items():
            metrics[_metric_key(f"suite.{v.suite.name}.{k}")] = float(x)
    metrics["gates_ok"] = float(all(v.ok for v in verdicts))
    return metrics | _usage(results) | {"wall_s": float(wall_s)}


def case_table(results: Sequence[CaseResult]) -> dict[str, list[Any]]:
    cols = ("case", "sample", "score", "passed", "compiled", "tests_passed", "tests_total", "judge_score")
    table: dict[str, list[Any]] = {c: [] for c in (*cols, "error", "feedback")}
    for r in results:
        for c in cols:
            table[c].append(getattr(r, c))
        table["error"].append(r.error or "")
        table["feedback"].append(r.feedback)
    return table


def _write_cases(folder: Path, results: Sequence[CaseResult]) -> None:
    many = {r.case for r in results if r.sample}
    for r in results:
        stem = _FILE_UNSAFE.sub("_", r.case) + (f".s{r.sample}" if r.case in many else "")
        if r.code is not None:
            (folder / f"{stem}.cairo").write_text(r.code, encoding="utf-8")
        note = r.feedback + (f"\n\nerror: {r.error}" if r.error else "")
        (folder / f"{stem}.feedback.txt").write_text(f"score {r.score}\n\n{note}\n", encoding="utf-8")


def _log_suite_artifacts(client: Any, run_id: str, results: Sequence[CaseResult]) -> None:
    client.log_table(run_id, data=case_table(results), artifact_file="cases.json")
    with tempfile.TemporaryDirectory(prefix="cairo-evals-mlflow-") as tmp:
        _write_cases(Path(tmp), results)
        client.log_artifacts(run_id, tmp, "cases")


def _log_run_files(client: Any, run_id: str, folder: Path) -> None:
    for name in (
        "results.jsonl",
        "spans.jsonl",
        "run.json",
        "report.html",
        "summary.md",
        "results.json",
        "junit.xml",
    ):
        path = folder / name
        if path.is_file():
            client.log_artifact(run_id, str(path))


def _log_values(
    client: Any, run_id: str, params: dict[str, str], metrics: dict[str, float], tags: dict[str, str]
) -> None:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
        params=[Param(k, v[:6000]) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )


def _register_program_prompts(programs: dict[str, Program] | None, uri: str) -> dict[str, int]:
    from .prompts import register_prompts

    versions: dict[str, int] = {}
    for program in (programs or {}).values():
        if program.module is not None and program.module.named_predictors():
            try:
                versions |= register_prompts(program.name, program.module, uri)
            except Exception as e:  # a server without a prompt registry: log the run anyway
                log.warning("could not register the prompts of %s: %s: %s", program.name, type(e).__name__, e)
    return versions


def run_name(suite: str, params: dict[str, str], versions: dict[str, int]) -> str:
    """What a person tells runs apart by: suite · program · LM · prompt versions · backend."""
    program = params.get("program", "?").rsplit(":", 1)[-1]
    if "@" in program:
        base, saved = program.split("@", 1)
        program = f"{base}@{Path(saved).name}"
    lm = params.get("lm") or "no LM"
    if lm.startswith("replay:"):
        lm = "replay:" + Path(lm.removeprefix("replay:")).stem
    prompts = "prompts " + "/".join(f"v{v}" for v in versions.values()) if versions else "no prompts"
    backend = params.get("compiler_backend", "?")
    version = params.get("compiler_version", "")
    if version and version != "unknown":  # "native (Cairo 2.16.0; cairo-evals-native …)": the Cairo
        version = re.sub(r";[^)]*", "", version)
        backend = version if version.startswith(backend) else f"{backend} {version}"
    return " · ".join([suite, program, lm, prompts, backend])


def _suite_cases(suite: Suite) -> dict[tuple[str, str], Any]:
    return {(suite.name, c.id): c for c in suite.cases}


def _link_prompts(client: Any, run_id: str, versions: dict[str, int]) -> None:
    """The prompt versions a run used, linked to it (a failure is a warning)."""
    # the registry finds the run through MLflow's global tracking URI, not the client's
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    with _use_tracking_uri(client.tracking_uri):
        for name, version in versions.items():
            try:
                client.link_prompt_version_to_run(run_id, f"prompts:/{name}/{version}")
                # the Prompts page lists a version's runs from this tag
                tags = client.get_prompt_version(name, version).tags or {}
                runs = [r for r in (tags.get(PROMPT_RUNS_TAG) or "").split(",") if r]
                if run_id not in runs:
                    client.set_prompt_version_tag(
                        name, str(version), PROMPT_RUNS_TAG, ",".join([*runs, run_id])
                    )
            except Exception as e:
                log.warning("MLflow: prompt %s v%s not linked to run %s: %s", name, version, run_id, e)


def _evaluation(
    client: Any,
    exp_id: str,
    run_id: str,
    results: Sequence[CaseResult],
    suite: Suite,
    folder: Path,
    versions: dict[str, int],
) -> None:
    """Make a logged run an evaluation run as `mlflow.genai.evaluate` makes one, all at once: a
    trace per case with its assessments (spans from `folder`), the prompt versions it used
    linked. A failure is a warning. (A run being logged by `RunLog` writes its traces as it goes.)"""
    from .traces import log_traces

    try:
        client.set_tag(run_id, "mlflow.runType", "genai_evaluate")
        traces = log_traces(client, exp_id, run_id, results, _suite_cases(suite), folder)
        log.info("logged %d traces to run %s", len(traces), run_id)
    except Exception as e:
        log.warning("MLflow: the traces of %s were not logged: %s: %s", suite.name, type(e).__name__, e)
    _link_prompts(client, run_id, versions)


# seconds the end of a run waits for its MLflow thread (a fresh store migrates in ~15 s under load)
FINISH_WAIT = 120.0


class RunLog:
    """The MLflow side of one run.

    Started with the run (`start`), its thread imports MLflow, opens the store, registers the
    programs' prompts and creates the MLflow run(s) while the first cases run, then writes each
    case's trace as soon as the runner hands the case over (`add`), a batch at a time. `finish`
    logs the rest once the run is done: params, metrics, artifacts, the traces not written yet
    (cases kept from an earlier process, or a batch the store refused), the prompt links. Not
    started (as `log_run` uses it for a finished run folder), `finish` does all of it.

    Logging never fails or stalls the run: `finish` waits at most `FINISH_WAIT` seconds for the
    thread, and any failure is a warning naming `cairo-evals log RUN_ID`, which uploads the run
    folder (the source of truth) later. Only a FINISHED MLflow run counts as logged
    (`find_logged`): a run cut short stays RUNNING, or is marked KILLED or FAILED.
    """

    def __init__(
        self,
        run_id: str,
        folder: Path,
        suites: Sequence[Suite],
        opts: RunOptions,
        programs: dict[str, Program] | None = None,
        uri: str | None = None,
        experiment: str | None = None,
        prompt_versions: dict[str, int] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        self.run_id, self.folder, self.suites = run_id, Path(folder), list(suites)
        self.opts, self.programs = opts, programs
        self.uri = uri or default_uri()
        self.experiment = experiment
        self.given_versions = dict(prompt_versions or {})
        self.tags = dict(tags or {})
        self.client: Any = None
        self.exp_id = ""
        self.versions: dict[str, int] = {}
        self.commit = "unknown"
        self.top: str | None = None  # the MLflow run (the parent, for several suites)
        self.suite_runs: dict[str, str] = {}  # suite → the MLflow run holding its traces
        self.traced: dict[tuple[str, str, int], str] = {}  # (suite, case, sample) → trace id
        self.failure: BaseException | None = None
        self.opened = threading.Event()  # set once the thread has opened the store (or failed to)
        self._cases = {k: c for suite in self.suites for k, c in _suite_cases(suite).items()}
        self._queue: queue.SimpleQueue[tuple[CaseResult, list[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._warned = False

    def start(self) -> RunLog:
        self._thread = threading.Thread(target=self._work, name="mlflow-log", daemon=True)
        self._thread.start()
        return self

    def add(self, result: CaseResult, records: Sequence[Any]) -> None:
        """A finished case and its recorded spans, for its trace (never blocks, never raises)."""
        if self._thread is not None:
            self._queue.put((result, list(records)))

    def _work(self) -> None:
        from .traces import BATCH

        try:
            self._open()
        except Exception as e:  # reported by finish, with the hint to log the run later
            self.failure = e
            return
        finally:
            self.opened.set()
        done = False
        while not done:
            batch = [self._queue.get()]
            while batch[-1] is not None and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done = batch[-1] is None
            items = [b for b in batch if b is not None]
            failed = self._write([(r, self._cases.get((r.suite, r.case)), spans) for r, spans in items])
            if failed is not None and not self._warned:
                log.warning("MLflow: traces not written (tried again at the end): %s", describe(failed))
                self._warned = True

    def _open(self) -> None:
        """Store, prompts, experiment and the MLflow run(s), tagged as far as known at the start,
        with the prompt versions they use linked."""
        self.client = client = client_for(self.uri)
        self.versions = self.given_versions | _register_program_prompts(self.programs, self.uri)
        self.commit = git_commit()
        names = [s.name for s in self.suites]
        exp_name = self.experiment or (names[0] if len(names) == 1 else MULTI_SUITE_EXPERIMENT)
        self.exp_id = experiment_id(client, exp_name, self.uri)
        base = self._base_tags()
        evaluation = {"mlflow.runType": "genai_evaluate"}
        first = suite_params(self.suites[0], [], self.opts, self.commit)
        if len(names) == 1:
            tags = base | evaluation | {"cairo_evals.suite": names[0]}
            self.top = client.create_run(
                self.exp_id, tags=tags, run_name=run_name(names[0], first, self.versions)
            ).info.run_id
            self.suite_runs = {names[0]: self.top}
            _link_prompts(client, self.top, self.versions)
            return
        tags = base | {"cairo_evals.suites": ",".join(names)}
        name = run_name(",".join(names), first, self.versions)
        self.top = client.create_run(self.exp_id, tags=tags, run_name=name).info.run_id
        for suite in self.suites:
            child_tags = base | evaluation | {"cairo_evals.suite": suite.name, "mlflow.parentRunId": self.top}
            params = suite_params(suite, [], self.opts, self.commit)
            child = client.create_run(
                self.exp_id, tags=child_tags, run_name=run_name(suite.name, params, self.versions)
            )
            self.suite_runs[suite.name] = child.info.run_id
            _link_prompts(client, child.info.run_id, self.versions)

    def _base_tags(self) -> dict[str, str]:
        from .prompts import prompt_tags

        tags = {"cairo_evals.run_id": self.run_id, "mlflow.source.git.commit": self.commit} | self.tags
        return tags | prompt_tags(self.versions)

    def _write(self, items: Sequence[tuple[CaseResult, Any, list[Any]]]) -> Exception | None:
        """The traces of finished cases, linked to their suite's run; what the store raised, if
        it refused them (those cases are left to `finish`)."""
        from .traces import write_traces

        todo = [
            (r, c, spans, self.suite_runs[r.suite]) for r, c, spans in items if r.suite in self.suite_runs
        ]
        try:
            ids = write_traces(self.client._tracking_client.store, self.exp_id, todo)
        except Exception as e:
            return e
        for (r, *_), trace_id in zip(todo, ids, strict=True):
            self.traced[(r.suite, r.case, r.sample)] = trace_id
        return None

    def _wait(self, seconds: float) -> None:
        if self._thread is None:
            self._open()
            return
        self._queue.put(None)
        self._thread.join(seconds)
        if self._thread.is_alive():
            raise TimeoutError(f"MLflow did not finish within {seconds:g} s")
        if self.failure is not None:
            raise self.failure

    def abandon(self, status: str = "KILLED", wait: float = 5.0) -> None:
        """The run ended without results to log (interrupted): its MLflow runs are marked
        `status`, so `cairo-evals log` uploads the folder later."""
        with contextlib.suppress(Exception):
            self._wait(wait)
            for run in {*self.suite_runs.values(), self.top} - {None}:
                self.client.set_terminated(run, status=status)

    def _reopen(self, suites: Sequence[Suite]) -> None:
        """The run's results cover other suites than the run was started with (cut short): its
        MLflow runs are dropped and made again for those suites, the traces written anew."""
        for run in {*self.suite_runs.values(), self.top} - {None}:
            self.client.delete_run(run)
        self.suites, self.suite_runs, self.traced, self.top = list(suites), {}, {}, None
        self._open()

    def finish(
        self, result: RunResult, verdicts: Sequence[SuiteVerdict], wait: float = FINISH_WAIT
    ) -> str | None:
        """Log the finished run; the MLflow run id, or None (with a warning) when MLflow failed."""
        client: Any = None
        try:
            verdicts = [v for v in verdicts if any(r.suite == v.suite.name for r in result.results)]
            if not verdicts:
                if self._thread is not None:
                    self.abandon("FAILED")
                raise ValueError("the run has no results to log")
            self._wait(wait)
            client = self.client
            names = [v.suite.name for v in verdicts]
            if set(names) != set(self.suite_runs):
                self._reopen([v.suite for v in verdicts])
            toolchain = toolchain_params(result.folder)
            per_suite = {
                v.suite.name: suite_params(
                    v.suite, [r for r in result.results if r.suite == v.suite.name], self.opts, self.commit
                )
                | toolchain
                for v in verdicts
            }
            stopped = {"cairo_evals.stopped": result.stopped} if result.stopped else {}
            assert self.top is not None
            if len(verdicts) == 1:
                self._log_suite(self.top, verdicts[0], result, per_suite[names[0]], stopped)
            else:
                params = _merge_params(list(per_suite.values()))
                params["suite"] = ",".join(names)
                params["suite_hash"] = ",".join(f"{n}:{per_suite[n]['suite_hash']}" for n in names)
                name = run_name(",".join(names), per_suite[names[0]], self.versions)
                metrics = overall_metrics(verdicts, result.results, result.wall_s)
                _log_values(client, self.top, params, metrics, stopped | {"mlflow.runName": name})
                for v in verdicts:
                    child = self.suite_runs[v.suite.name]
                    self._log_suite(child, v, result, per_suite[v.suite.name], stopped)
                    client.set_terminated(child)
            _log_run_files(client, self.top, Path(result.folder))
            client.set_terminated(self.top)
            log.info("logged run %s to MLflow (%s) as %s", result.run_id, self.uri, self.top)
            return self.top
        except Exception as e:
            log.warning(
                "MLflow logging failed (%s): %s: %s; the run's files in %s are kept "
                "(upload them later with `cairo-evals log %s`)",
                self.uri,
                type(e).__name__,
                e,
                result.folder,
                result.run_id,
            )
            if client is not None and self.top is not None:
                for run in {*self.suite_runs.values(), self.top}:
                    with contextlib.suppress(Exception):
                        client.set_terminated(run, status="FAILED")
            return None

    def _log_suite(
        self, run: str, v: SuiteVerdict, result: RunResult, params: dict[str, str], tags: dict[str, str]
    ) -> None:
        """One suite's params, metrics, per-case table and traces, on its MLflow run."""
        mine = [r for r in result.results if r.suite == v.suite.name]
        name = run_name(v.suite.name, params, self.versions)
        metrics = verdict_metrics(v, mine, result.wall_s)
        _log_values(self.client, run, params, metrics, tags | {"mlflow.runName": name})
        _log_suite_artifacts(self.client, run, mine)
        self._finish_traces(run, mine, v.suite)

    def _finish_traces(self, run_id: str, results: Sequence[CaseResult], suite: Suite) -> None:
        """Make the suite's run an evaluation run as `mlflow.genai.evaluate` makes one: a trace per
        case with its assessments (the prompt versions it used were linked by `_open`). A failure
        is a warning: the run, its metrics and artifacts are logged already."""
        from .spans import read_spans
        from .traces import link_traces

        client = self.client
        try:
            failed = None
            missing = [r for r in results if (r.suite, r.case, r.sample) not in self.traced]
            if missing:  # cases kept from an earlier process, or a batch the store refused
                recorded = read_spans(self.folder)
                failed = self._write(
                    [
                        (r, self._cases.get((r.suite, r.case)), recorded.get((r.suite, r.case, r.sample), []))
                        for r in missing
                    ]
                )
            ids = [self.traced[k] for k in ((r.suite, r.case, r.sample) for r in results) if k in self.traced]
            link_traces(client, ids, run_id)
            if failed is not None:
                raise failed
            log.info("logged %d traces to run %s", len(ids), run_id)
        except Exception as e:
            log.warning("MLflow: the traces of %s were not logged: %s: %s", suite.name, type(e).__name__, e)


def start_logging(
    runner: Any, uri: str | None = None, experiment: str | None = None, tags: dict[str, str] | None = None
) -> RunLog:
    """The MLflow side of a runner's run, started now so it overlaps the cases: the runner hands
    each finished case to it (`Runner.on_spans`); `RunLog.finish` logs the rest at the end."""
    picked = runner.validate()
    suites = list({s.name: s for s, _ in picked}.values())
    live = RunLog(
        runner.run_id, runner.folder, suites, runner.opts, runner.programs, uri, experiment, tags=tags
    )
    runner.on_spans = live.add
    return live.start()


def log_run(
    result: RunResult,
    verdicts: Sequence[SuiteVerdict],
    opts: RunOptions,
    programs: dict[str, Program] | None = None,
    uri: str | None = None,
    experiment: str | None = None,
    prompt_versions: dict[str, int] | None = None,
    tags: dict[str, str] | None = None,
) -> str | None:
    """Log a finished run to MLflow; the MLflow run id (the parent's for several suites).

    `programs` (the runner's `Runner.programs`): their prompts are registered (a new version
    only when changed) and the run is tagged `prompt.<name>=<version>`; `prompt_versions`
    adds versions registered elsewhere; `tags` go on the run (and its suite runs). On any
    failure (MLflow unreachable, a bad store) a warning is logged and None returned: tracking
    never fails a run. (`cairo-evals run` starts a `RunLog` with the run instead, so that the
    logging overlaps the cases.)
    """
    suites = [v.suite for v in verdicts if any(r.suite == v.suite.name for r in result.results)]
    live = RunLog(
        result.run_id,
        result.folder,
        suites or list(result.suites),
        opts,
        programs,
        uri,
        experiment,
        prompt_versions,
        tags,
    )
    return live.finish(result, verdicts)


def log_optimization(
    opt_id: str,
    folder: Path,
    suite: str,
    params: dict[str, str],
    metrics: dict[str, float],
    runs: dict[str, tuple[RunResult, Sequence[SuiteVerdict], RunOptions, dict[str, Program]]],
    uri: str | None = None,
    experiment: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Log an optimisation as linked MLflow runs in the suite's experiment: one per evaluation
    (`runs`: role → what `log_run` takes) and one for the optimizer (`params`, `metrics`, the
    files of `folder`). All carry `cairo_evals.optimize_id`; `cairo_evals.role` tells them apart;
    the optimizer run also names the others (`cairo_evals.<role>_run`) and carries the optimised
    prompts' versions (`prompt.<name>`) and the baseline's (`baseline_prompt.<name>`). Nested
    under it, one evaluation run per candidate the optimizer scored on val (`_log_candidates`):
    its prompt version and a trace per val case.

    Returns role → {"run": MLflow run id or None, "prompts": {name: version}}; failures are
    warnings, as for `log_run`.
    """
    from .prompts import prompt_tags, prompt_versions

    link = {"cairo_evals.optimize_id": opt_id}
    try:
        already = _logged_optimization(client_for(uri), opt_id)
    except Exception:
        already = {}  # reported below, when logging fails too
    if "optimizer" in already:  # a resumed optimisation that was logged before
        log.warning(
            "optimisation %s is already in MLflow (optimizer run %s)", opt_id, already["optimizer"]["run"]
        )
        return already
    logged: dict[str, dict[str, Any]] = {}
    for role, (result, verdicts, opts, programs) in runs.items():
        run_id = log_run(
            result, verdicts, opts, programs, uri, experiment, tags=link | {"cairo_evals.role": role}
        )
        logged[role] = {"run": run_id, "prompts": {}}
    try:
        client = client_for(uri)
        for entry in logged.values():
            if entry["run"]:
                entry["prompts"] = prompt_versions(client.get_run(entry["run"]).data.tags)
        tags = link | {"cairo_evals.role": "optimizer", "cairo_evals.suite": suite}
        tags |= {f"cairo_evals.{role}_run": e["run"] for role, e in logged.items() if e["run"]}
        tags |= prompt_tags(logged.get("optimized", {}).get("prompts", {}))
        tags |= prompt_tags(logged.get("baseline", {}).get("prompts", {}), prefix="baseline_prompt.")
        tags["mlflow.source.git.commit"] = git_commit()
        exp_id = experiment_id(client, experiment or suite, uri or default_uri())
        run = client.create_run(
            exp_id, tags=tags, run_name=f"{opt_id} {params.get('optimizer', 'optimizer')}"
        )
        _log_values(client, run.info.run_id, params, metrics, {})
        for name in ("optimize.json", "optimizer.json", "program.json"):
            if (folder / name).is_file():
                client.log_artifact(run.info.run_id, str(folder / name))
        for log_dir in (folder / "gepa", folder / "miprov2"):
            for path in sorted(log_dir.glob("*")) if log_dir.is_dir() else []:
                if path.is_file() and path.suffix in (".json", ".html", ".txt"):
                    client.log_artifact(run.info.run_id, str(path), log_dir.name)
        evaluated = next(
            (v.suite for _, vs, _, _ in runs.values() for v in vs if v.suite.name == suite), None
        )
        _log_candidates(client, exp_id, run.info.run_id, link, folder, evaluated, uri)
        client.set_terminated(run.info.run_id)
        logged["optimizer"] = {
            "run": run.info.run_id,
            "prompts": logged.get("optimized", {}).get("prompts", {}),
        }
    except Exception as e:
        log.warning("MLflow logging of optimisation %s failed (%s): %s: %s", opt_id, uri, type(e).__name__, e)
    return logged


def _log_candidates(
    client: Any,
    exp_id: str,
    parent: str,
    link: dict[str, str],
    folder: Path,
    suite: Suite | None,
    uri: str | None,
) -> None:
    """One nested run per candidate the optimizer scored on the val cases: its val score, its
    parents (GEPA) and each predictor's instructions (or MIPROv2's chosen params); and, from the
    optimisation's candidate trail (`harness.optimize.CandidateTrail`), its prompts registered as
    versions linked to the run (`prompt.<name>` tags; a candidate with the baseline's prompt is
    the baseline's version), a trace per val case with the run's assessments, and the
    per-case table. A candidate whose part fails to log is a warning; the others are logged."""
    from .optimize import read_trail
    from .prompts import prompt_tags, register_rendered

    try:
        candidates = json.loads((folder / "optimizer.json").read_text()).get("candidates") or []
    except (OSError, ValueError, AttributeError):
        return
    order = {c.id: i for i, c in enumerate(suite.cases)} if suite is not None else {}
    for c in candidates:
        if not isinstance(c, dict):
            continue
        tags = link | {"cairo_evals.role": "candidate", "mlflow.parentRunId": parent}
        tags["cairo_evals.candidate"] = str(c.get("index"))
        record = read_trail(folder, str(c["key"]), c.get("val_scores")) if c.get("key") else None
        versions: dict[str, int] = {}
        if record is not None:
            tags["cairo_evals.candidate_key"] = record.key
            try:
                versions = register_rendered(record.program, record.prompts, uri, reuse_any=True)
            except Exception as e:  # a server without a prompt registry: the rest is still logged
                log.warning(
                    "MLflow: candidate %s's prompts not registered: %s: %s",
                    c.get("index"),
                    type(e).__name__,
                    e,
                )
            tags |= prompt_tags(versions)
        score = c.get("val_score")
        name = f"candidate {c.get('index')} · val {score}"
        child = client.create_run(exp_id, tags=tags, run_name=name).info.run_id
        params = {f"instructions.{k}": str(v) for k, v in (c.get("instructions") or {}).items()}
        if c.get("parents") is not None:
            params["parents"] = json.dumps(c["parents"])
        if c.get("params") is not None:
            params["params"] = json.dumps(c["params"], default=str)
        metrics = {"val_score": float(score)} if isinstance(score, (int, float)) else {}
        if record is not None:
            metrics["val_cases"] = float(len(record.results))
        _log_values(client, child, params, metrics, {})
        if record is not None and record.results and suite is not None:
            results = sorted(record.results, key=lambda r: order.get(r.case, len(order)))
            try:
                _log_suite_artifacts(client, child, results)
            except Exception as e:
                log.warning("MLflow: candidate %s's case table not logged: %s", c.get("index"), e)
            _evaluation(client, exp_id, child, results, suite, record.folder, versions)
        client.set_terminated(child)


def _logged_optimization(client: Any, opt_id: str) -> dict[str, dict[str, Any]]:
    """Role → {"run", "prompts"} of the MLflow runs already logged for optimisation `opt_id`."""
    from .prompts import prompt_versions

    exps = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(exps, f"tags.`cairo_evals.optimize_id` = '{opt_id}'") if exps else []
    found: dict[str, dict[str, Any]] = {}
    for run in runs:
        tags = run.data.tags
        role = tags.get("cairo_evals.role")
        if role and "mlflow.parentRunId" not in tags:
            found[role] = {"run": run.info.run_id, "prompts": prompt_versions(tags)}
    return found


def find_logged(run_id: str, uri: str | None = None) -> str | None:
    """The MLflow run already logged for cairo-evals run `run_id` (a parent, not a suite child)."""
    client = client_for(uri)
    exps = [e.experiment_id for e in client.search_experiments()]
    if not exps:
        return None
    # a run cut short (RUNNING, KILLED, FAILED) is not logged: `cairo-evals log` uploads it again
    found = f"tags.`cairo_evals.run_id` = '{run_id}' and attributes.status = 'FINISHED'"
    runs = client.search_runs(exps, filter_string=found, max_results=50)
    top = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    return top[0].info.run_id if top else None


def log_saved_run(
    run_id: str,
    out: str = "reports",
    uri: str | None = None,
    experiment: str | None = None,
    force: bool = False,
) -> str | None:
    """Upload a finished run folder (`out/run_id`: run.json, results.jsonl) to MLflow.

    Verdicts are recomputed from the results and the run's suites; report.html and summary.md
    are written first when missing. A run already in MLflow is not logged again unless `force`
    (its MLflow run id is returned). Prompts are not registered: the program may have changed
    since the run. Raises `UsageError` for a missing folder; None when MLflow fails.
    """
    from .gate import verdicts as compute_verdicts
    from .report import write_reports
    from .runner import RunResult, ordered, read_results, resume_options
    from .suite import load_suites

    opts = resume_options(run_id, out)
    folder = Path(out) / run_id
    suites = load_suites(list(opts.suites))
    results = ordered(read_results(folder / "results.jsonl"), suites)
    wall_s = 0.0
    saved = folder / "results.json"
    if saved.is_file():
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            wall_s = float(json.loads(saved.read_text()).get("wall_s") or 0.0)
    run = RunResult(run_id, folder, suites, results, wall_s)
    vs = compute_verdicts(suites, results)
    if not force:
        try:
            existing = find_logged(run_id, uri)
        except Exception:
            existing = None  # log_run reports the failure
        if existing:
            log.warning("run %s is already in MLflow as %s (pass force to log it again)", run_id, existing)
            return existing
    if not (folder / "report.html").is_file() and results:
        write_reports(run, vs)
    return log_run(run, vs, opts, uri=uri, experiment=experiment)


def suite_runs(client: Any, run_id: str) -> dict[str, Any]:
    """Suite name → the MLflow run holding that suite's case traces, for cairo-evals run `run_id`
    (or an MLflow run id): its suite runs, or the run itself when it has one suite."""
    try:
        top = client.get_run(run_id)
    except Exception:
        found = find_logged(run_id, client.tracking_uri)
        if found is None:
            return {}
        top = client.get_run(found)
    children = client.search_runs(
        [top.info.experiment_id], f"tags.`mlflow.parentRunId` = '{top.info.run_id}'"
    )
    return {r.data.tags.get("cairo_evals.suite", r.info.run_name): r for r in children or [top]}


LOCAL_UI = "http://127.0.0.1:5000/"  # where `cairo-evals ui` serves a local store


def compare_links(a: str, b: str, uri: str | None = None, ui: str | None = None) -> list[str]:
    """Links to the MLflow UI's comparison of two evaluation runs, one per suite both ran: B (the
    candidate) selected, compared to A (the baseline), case by case. `ui` defaults to the
    tracking server when the runs are on one, else to where `cairo-evals ui` serves."""
    where = uri or default_uri()
    ui = ui or (where if where.startswith(("http://", "https://")) else LOCAL_UI)
    client = client_for(uri)
    runs_a, runs_b = suite_runs(client, a), suite_runs(client, b)
    links = []
    for suite, rb in runs_b.items():
        ra = runs_a.get(suite)
        if ra is None:
            continue
        links.append(
            f"{ui.rstrip('/')}/#/experiments/{rb.info.experiment_id}/evaluation-runs/{rb.info.run_id}"
            f"/traces?compareToRunUuid={ra.info.run_id}"
        )
    return links


# -- the command ------------------------------------------------------------------------------


def cmd_log(args: argparse.Namespace) -> int:
    from .runner import UsageError
    from .suite import SuiteError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        mlflow_id = log_saved_run(args.run_id, args.out, args.mlflow_uri, args.experiment, args.force)
    except (UsageError, SuiteError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if mlflow_id is None:
        print(f"run {args.run_id} was not logged to MLflow (see the warning above)", file=sys.stderr)
        return 1
    print(f"run {args.run_id} is in MLflow at {args.mlflow_uri or default_uri()} as run {mlflow_id}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from .runner import default_out

    p = sub.add_parser("log", help="upload a finished run folder to MLflow")
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--out", default=default_out(), help="where runs live (default: reports/)")
    p.add_argument(
        "--mlflow-uri", default=None, help="tracking URI (default: $MLFLOW_TRACKING_URI or mlruns.db)"
    )
    p.add_argument("--experiment", default=None, help="experiment name (default: the suite's name)")
    p.add_argument("--force", action="store_true", help="log again even if the run is already in MLflow")
    p.set_defaults(func=cmd_log)
