"""The runner: drives every case through the trip on one event loop.

    program → answer → extract → compile (+ tests) → judge → CaseResult → results.jsonl

- Bounded concurrency (`concurrency`), a per-case timeout, and retries with exponential
  backoff and jitter (tenacity) for transient errors from any layer (`harness.transient`:
  rate limits, 5xx, timeouts and dropped connections from the LM, Postgres, a program).
  Compile failures are results, never retried.
- What a case ends as:
  - a verdict (`status="ok"`): the answer was scored; also when the program itself failed
    (a non-transient error, or it did not answer within `case_timeout`): score 0, `error` set;
  - a harness fault (`status="error"`, `fault` set): a transient error that outlasted the
    retries, or a crash in our own stages. No score; `--resume` runs the case again.
- Each finished case is appended to `reports/<run_id>/results.jsonl` at once and fsync'd: a
  crash loses at most the cases in flight. `resume` reloads the run's own settings
  (`run.json`), skips the cases that have a verdict and redoes the faults. The file is
  append-only: a redone case adds a line, and when reading, the later line replaces an
  earlier `status="error"` line for the same (suite, case, sample). Any other repeated line
  is a duplicate: ignored, with a warning.
- One writer per results file: `results.jsonl.lock` (an flock, holding the writer's pid and
  host) makes a second writer of the same run fail at once with `RunLocked`.
- The run never hangs on its way out: its loop's default executor is a `DaemonExecutor`, so
  a call stuck in a thread (a hung sync program, a stuck client) is abandoned at a timeout
  or an interrupt instead of being joined.
- Cases are selected by tags, ids, split and a deterministic shard (`i/n`, by a hash of
  `suite::case`), so CI machines can split a suite and merge the results files afterwards.
- `max_cost` stops starting new cases once the run's LM cost passes it.
- **Rescoring** (`rescore_runner`, `cairo-evals rescore RUN`): the same trip without the program
  stage. Each saved answer of a finished run (`CaseResult.answer`; for older runs, which kept
  only the extracted `code`, that code, said per case) is scored again with today's compiler,
  extraction, rules and judge, into a new run whose run.json names the run it rescored
  (`rescore_of`). No LM is called for answers. A case whose program failed keeps its result; a
  fault with no answer saved stays a fault; faults and skipped cases with an answer are scored
  again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import json
import logging
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import dspy
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from . import spans
from .cairo import Compiler, CompilerNotFound
from .endpoint import check_key, parse_spec, with_defaults
from .judge import Judge, make_judge
from .lm import current_case, make_lm, missing_credentials
from .metric import CaseResult, Scorer
from .paths import project_root
from .program import DaemonExecutor, Program, load_program
from .suite import Case, Suite, load_suites, suite_root
from .transient import describe, is_transient, refused_key, retry_after

try:  # the run lock; absent on Windows, where runs are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

DEFAULT_PROGRAM = "harness.rag:RagPipeline"
CLOSE_GRACE = 3.0  # seconds an ending run waits for its compiler to close
T = TypeVar("T")
log = logging.getLogger(__name__)
# What each LM call of the current case cost: (role, USD, tokens), appended by `_metered` LMs.
_COST: contextvars.ContextVar[list[tuple[str, float, int]] | None] = contextvars.ContextVar(
    "cairo_evals_cost", default=None
)


@dataclass(frozen=True)
class RunOptions:
    """What to run and how; saved as `run.json` so a resumed run is the same run."""

    suites: tuple[str, ...] = ()
    program: str | None = None
    answer_field: str = "answer"
    lm: str | None = None
    judge_lm: str | None = None
    compiler: str | None = None
    concurrency: int = 8
    repeats: int = 1
    tags: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    split: str | None = None
    added_after: str | None = None  # YYYY-MM-DD: only cases whose `added:` date is later
    shard: str | None = None  # "i/n", 1-based
    case_timeout: float = 900.0  # seconds the program has for one attempt at a case
    compile_timeout: float = 180.0  # seconds of compiler worker time per compile (with its tests)
    workers: int | None = None  # compiler worker processes (native, wasm); None: one per core
    retries: int = 3
    backoff: float = 2.0
    lm_engine: str | None = None  # DSPy's client for live LMs without their own `engine=`
    lm_rps: float | None = None  # requests per second per live endpoint, unless its spec says
    lm_concurrency: int | None = None  # requests in flight per live endpoint, unless its spec says
    max_cost: float | None = None
    out: str = "reports"
    compile_cache: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOptions:
        return options_from_dict(cls, data)


def options_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Options saved as JSON back into their frozen dataclass: lists become tuples again, and keys
    the dataclass no longer has (an older version's) are dropped."""
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in fields})


@dataclass
class Progress:
    total: int
    done: int = 0
    errors: int = 0  # verdicts whose program failed
    faults: int = 0  # harness faults: not scored, redone by --resume
    skipped: int = 0  # cases the backend cannot judge: not scored
    score_sum: float = 0.0
    compiled: int = 0
    tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def mean(self) -> float:
        scored = self.done - self.faults - self.skipped
        return self.score_sum / scored if scored else 0.0

    def add(self, r: CaseResult) -> None:
        self.done += 1
        self.tokens += r.tokens
        self.cost += r.cost
        if r.status != "ok":  # no verdict: out of the mean and the compile count
            self.faults += r.status == "error"
            self.skipped += r.status == "skipped"
            return
        self.errors += r.error is not None
        self.score_sum += r.score
        self.compiled += r.compiled


@dataclass(frozen=True)
class RunResult:
    run_id: str
    folder: Path
    suites: list[Suite]
    results: list[CaseResult]
    wall_s: float
    stopped: str | None = None  # why cases were left unstarted (max cost), if they were


class UsageError(ValueError):
    """Bad options, configuration or environment: exit code 2."""


class RunLocked(UsageError):
    """Another process is writing this run's results."""


class OutputError(UsageError):
    """The run's folder cannot be written (read-only, full, gone): the run stops."""


class CaseTimeout(Exception):
    """The program did not answer within the case timeout: a verdict on the program, not retried."""


def require_key(
    flag: str,
    spec: str,
    where: str = "",
    resolve: Callable[[], str] | None = None,
    offline: str = "a replay: or py: LM",
) -> None:
    """Raise a UsageError unless the live model `spec` (with the run's settings: `resolve`) has its
    API key in the environment, or when its settings are bad: before any case runs. A bad setting
    is named without echoing the spec (it may hold what should have been a variable's name)."""
    try:
        missing = missing_credentials(resolve() if resolve else spec)
    except ValueError as e:  # a bad setting in the spec
        raise UsageError(f"{flag}{where}: {e}") from None
    if missing:
        raise UsageError(
            f"{flag} {spec}{where}: {' / '.join(missing)} is not set; LiteLLM needs it for this model. "
            f"Set it (export {missing[0]}=...), or run offline with {offline}"
        )


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_run_id(run_id: str, flag: str = "--run-id") -> str:
    """A run id names a folder under --out: letters, digits, `.`, `_`, `-`, no path."""
    if not RUN_ID.fullmatch(run_id):
        raise UsageError(
            f"{flag} {run_id!r}: a run id is a folder name: letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 128 characters)"
        )
    return run_id


def saved_toolchain(folder: Path) -> dict[str, str] | None:
    """The toolchain a run folder's run.json recorded (backend, its version, Cairo …), if any."""
    try:
        data = json.loads((Path(folder) / "run.json").read_text())
    except (OSError, ValueError):
        return None
    toolchain = data.get("toolchain") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in toolchain.items()} if isinstance(toolchain, dict) else None


def in_shard(nodeid: str, shard: str | None) -> bool:
    if not shard:
        return True
    try:
        i, n = (int(x) for x in shard.split("/"))
    except ValueError:
        raise UsageError(f"--shard {shard!r}: expected i/n, e.g. 1/4") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {shard!r}: i must be between 1 and n")
    return int(hashlib.sha256(nodeid.encode()).hexdigest(), 16) % n == i - 1


def select(suites: Sequence[Suite], opts: RunOptions) -> list[tuple[Suite, Case]]:
    """The cases the options pick, in suite order."""
    known = {c.id for s in suites for c in s.cases} | {c.nodeid for s in suites for c in s.cases}
    unknown = [c for c in opts.cases if c not in known]
    if unknown:
        raise UsageError(f"--cases: no case named {', '.join(unknown)}")
    after = _date(opts.added_after) if opts.added_after else None
    picked = []
    for suite in suites:
        for case in suite.cases:
            if opts.tags and not set(opts.tags) & set(case.tags):
                continue
            if opts.cases and case.id not in opts.cases and case.nodeid not in opts.cases:
                continue
            if opts.split and case.split != opts.split:
                continue
            # newer than a model's training cutoff; a case without `added:` cannot claim to be
            if after and (case.added is None or case.added <= after):
                continue
            if in_shard(case.nodeid, opts.shard):
                picked.append((suite, case))
    return picked


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--added-after {text!r}: expected a date, YYYY-MM-DD") from None


# -- the results log --------------------------------------------------------------------------


def fold(results: Iterable[CaseResult], source: str = "results") -> list[CaseResult]:
    """One result per (suite, case, sample), in order of first appearance.

    A later result replaces an earlier one whose status is "error" (a harness fault redone by
    `--resume`); any other repeat is a duplicate and is ignored, with one warning per call.
    """
    kept: dict[tuple[str, str, int], CaseResult] = {}
    duplicates: list[str] = []
    for r in results:
        key = (r.suite, r.case, r.sample)
        earlier = kept.get(key)
        if earlier is None or earlier.status == "error":
            kept[key] = r
        else:
            duplicates.append(f"{r.nodeid}#{r.sample}")
    if duplicates:
        more = len(duplicates) - 5
        shown = ", ".join(duplicates[:5]) + (f" and {more} more" if more > 0 else "")
        log.warning(
            "%s: %d duplicate result line(s) ignored (the first verdict of each case is kept): %s",
            source,
            len(duplicates),
            shown,
        )
    return list(kept.values())


def read_results(path: Path) -> list[CaseResult]:
    """The results of a results file, one per (suite, case, sample) (see `fold`); a torn last
    line (a crash mid-write) is dropped."""
    if not path.is_file():
        return []
    results = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            results.append(CaseResult.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return fold(results, str(path))


def _cannot_write(path: Path, e: OSError, run_id: str | None = None) -> OutputError:
    why = e.strerror or type(e).__name__
    hint = f"; finished cases are kept: fix it, then continue with --resume {run_id}" if run_id else ""
    return OutputError(f"cannot write {path}: {why}{hint}")


class ResultsLog:
    """Appends one JSON line per finished case and fsyncs it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_file():  # cut a torn tail so the next line starts clean
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                try:
                    path.write_bytes(data[: data.rfind(b"\n") + 1])
                except OSError as e:
                    raise _cannot_write(path, e) from None

    def append(self, result: CaseResult) -> None:
        """Append and fsync one line; `OutputError` when the file cannot be written."""
        line = (json.dumps(result.to_dict(), ensure_ascii=False) + "\n").encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                while line:
                    line = line[os.write(fd, line) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise _cannot_write(self.path, e, self.path.parent.name) from None


class RunLock:
    """One writer per results file: an exclusive `flock` on `<results file>.lock`, which also
    holds who took it (pid, host, start time, command) for the message a second writer gets.

    The kernel drops the lock when its holder exits, even on `kill -9`: a crashed run never
    leaves a stale lock behind.
    """

    def __init__(self, results: Path, run_id: str) -> None:
        self.path = results.with_name(results.name + ".lock")
        self.run_id = run_id
        self._fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None or self._fd is not None:
            return
        try:  # read-only: the descriptor held for the run's whole life keeps no file open for writing
            fd = os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError as e:
            raise _cannot_write(self.path, e) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self._holder(fd)
            os.close(fd)
            raise RunLocked(self._held_by(holder)) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:500],
        }
        try:
            self.path.write_text(json.dumps(info))
        except OSError as e:
            os.close(fd)
            raise _cannot_write(self.path, e) from None
        self._fd = fd

    @staticmethod
    def _holder(fd: int, wait: float = 2.0) -> dict[str, Any] | None:
        """Who holds the lock; a holder that has just taken it may not have written it yet."""
        deadline = time.monotonic() + wait
        while True:
            try:
                info = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
                if isinstance(info, dict) and {"pid", "host", "since"} <= info.keys():
                    return info
            except (ValueError, OSError):
                pass
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def _held_by(self, info: dict[str, Any] | None) -> str:
        who = f"pid {info['pid']} on {info['host']} (since {info['since']})" if info else "another process"
        return (
            f"run {self.run_id} is being written by {who}; one writer per run: wait for it to end, or "
            f"stop it and continue with --resume {self.run_id} ({self.path})"
        )

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            self.path.write_text("")  # no holder any more
        os.close(fd)  # also releases the flock


# -- the run ----------------------------------------------------------------------------------


def _metered(lm: dspy.LM, role: str = "program") -> dspy.LM:
    """Attribute each call's cost and tokens to the case whose task made it (a contextvar
    accumulator). A call DSPy's cache answered cost nothing now and counts 0."""
    original = lm.update_history

    def update_history(entry: dict[str, Any]) -> None:
        original(entry)
        sink = _COST.get()
        if sink is None or getattr(entry.get("response"), "cache_hit", False):
            return
        usage = entry.get("usage") or {}
        tokens = int(usage.get("total_tokens") or 0) if isinstance(usage, dict) else 0
        sink.append((role, float(entry.get("cost") or 0.0), tokens))

    lm.update_history = update_history  # type: ignore[method-assign]
    return lm


def live_spec(spec: str, opts: RunOptions) -> str:
    """A live model's spec as a run builds it: the run's engine and rate limits where the spec
    sets none, and DSPy's response cache off unless the spec turns it on. An evaluation samples
    the model afresh each run, so its tokens and cost are what the server served."""
    return with_defaults(
        spec, engine=opts.lm_engine, rps=opts.lm_rps, concurrency=opts.lm_concurrency, cache=False
    )


def resolve_lm_spec(spec: str | None, suite: Suite) -> str | None:
    """`replay:` paths in a suite are relative to the suite's root, like its golden paths."""
    if spec and spec.startswith("replay:"):
        path = Path(spec.removeprefix("replay:"))
        if not path.is_absolute() and not path.exists():
            candidate = suite_root(Path(suite.path)) / path
            if candidate.exists():
                return f"replay:{candidate}"
    return spec


class Runner:
    """One run: the stages wired for each suite, then every selected case on one loop.

    Args:
        opts: the run's options.
        run_id: a new id, or the id of a run to resume.
        on_result: called after each finished case with the result and the running totals.
        fresh: the run folder must not exist yet (a new run given its id): `prepare` refuses
            an existing one instead of continuing it.
    """

    def __init__(
        self,
        opts: RunOptions,
        run_id: str | None = None,
        on_result: Callable[[CaseResult, Progress], None] | None = None,
        suites: list[Suite] | None = None,
        lms: dict[str, dspy.LM] | None = None,
        results_name: str = "results.jsonl",
        fresh: bool = False,
        saved: dict[tuple[str, str, int], CaseResult] | None = None,
        origin: dict[str, Any] | None = None,
        record_spans: bool = True,
    ) -> None:
        self.opts = opts
        # what each case's program did, as spans (spans.jsonl) for its MLflow trace; off with
        # --no-mlflow
        self.record_spans = record_spans
        # a rescore: the saved results whose answers are scored again instead of asking the program
        self.saved = saved
        self.origin = origin or {}  # recorded in run.json beside the options (e.g. `rescore_of`)
        self.fresh = fresh
        self.run_id = run_id or new_run_id()
        self.folder = Path(opts.out) / self.run_id
        self.log = ResultsLog(self.folder / results_name)
        self.lock = RunLock(self.log.path, self.run_id)
        self.on_result = on_result
        # a finished case and its spans, for its MLflow trace (`tracking.start_logging` sets it)
        self.on_spans: Callable[[CaseResult, list[spans.SpanRecord]], None] | None = None
        self.suites = suites if suites is not None else load_suites(list(opts.suites))
        self.programs: dict[str, Program] = {}
        # LM objects by the name used as `lm` (library use, tests). Build them with num_retries=0
        # so rate limits reach the runner, which retries with backoff and counts the retries.
        self.given_lms = lms or {}
        self.lms: dict[str, dspy.LM] = {}
        self.judges: dict[str, Judge] = {}
        self._compiler: Compiler | None = None
        self._jobs: list[tuple[Suite, Case, int]] | None = None
        self._kept: list[CaseResult] = []

    # wiring, once per distinct spec, before anything runs (bad specs fail here)
    def program_for(self, suite: Suite) -> Program:
        spec = self.opts.program or suite.program or DEFAULT_PROGRAM
        if spec not in self.programs:
            self.programs[spec] = load_program(spec, answer_field=self.opts.answer_field)
        return self.programs[spec]

    def lm_for(self, suite: Suite, sample: int = 0) -> dspy.LM | None:
        spec = resolve_lm_spec(self.opts.lm or suite.lm, suite)
        if spec is None:
            return None
        # Repeats must not come from DSPy's cache: each sample gets its own rollout id. A replay
        # LM needs none: it serves a request's recorded samples in turn.
        rollout = sample if sample and not spec.startswith("replay:") else 0
        recording = spec.startswith("record:") and spec not in self.given_lms
        key = f"{spec}#{rollout}" + (f"#{suite.name}" if recording else "")
        if key not in self.lms and spec in self.given_lms:
            self.lms[key] = _metered(self.given_lms[spec])
        if key not in self.lms:
            extra: dict[str, Any] = {"rollout_id": rollout, "temperature": 1.0} if rollout else {}
            if recording:  # each suite's exchanges, for `--lm replay:<run folder>/recordings/<suite>.jsonl`
                extra["record_to"] = self.recording_path(suite)
            # The runner owns retries (backoff, jitter, counted), so DSPy's are off.
            self.lms[key] = _metered(make_lm(live_spec(spec, self.opts), num_retries=0, **extra))
        return self.lms[key]

    def recording_path(self, suite: Suite) -> Path:
        """Where a `record:` LM writes this suite's exchanges (in the run's folder)."""
        return self.folder / "recordings" / f"{suite.name}.jsonl"

    def judge_for(self, suite: Suite) -> Judge:
        spec = resolve_lm_spec(self.opts.judge_lm or suite.judge, suite) or "heuristic"
        if spec not in self.judges:
            judge = make_judge(live_spec(spec, self.opts))
            if isinstance(getattr(judge, "lm", None), dspy.LM):
                _metered(judge.lm, "judge")
            self.judges[spec] = judge
        return self.judges[spec]

    @property
    def compiler(self) -> Compiler:
        if self._compiler is None:
            backend = self.opts.compiler or next((s.compiler for s in self.suites), "auto")
            self._compiler = Compiler(
                backend,  # type: ignore[arg-type]
                cache=self.opts.compile_cache,
                workers=self.opts.workers,
                timeout=self.opts.compile_timeout,
            )
        return self._compiler

    def toolchain(self) -> dict[str, str]:
        """What judges this run's code (backend, its version, Cairo, Scarb, snforge …), as recorded
        in run.json. Cheap: nothing is built, installed or started (the backends read versions
        they know, or ask `scarb --version` once)."""
        return {k: str(v) for k, v in self.compiler.toolchain().items()}

    def check(self, suites: Iterable[Suite], cases: Sequence[Case] | None = None) -> None:
        """Load every program, LM and judge the suites need, so a bad spec fails before any case:
        the program must accept the cases' inputs (`cases`, default: every case of the suites)
        and every live model must have its API key in the environment."""
        for suite in suites:
            judge_spec = resolve_lm_spec(self.opts.judge_lm or suite.judge, suite) or "heuristic"
            if self.saved is not None:  # a rescore asks no program and no LM: only the judge is wired
                self._check_credentials({"--judge-lm": judge_spec}, suite)
                try:
                    self.judge_for(suite)
                except (ValueError, OSError) as e:
                    raise UsageError(f"suite {suite.name}: {e}") from None
                continue
            program = self.program_for(suite)
            mine = [c for c in cases if c.suite == suite.name] if cases is not None else list(suite.cases)
            program.check_inputs(mine)
            lm_spec = resolve_lm_spec(self.opts.lm or suite.lm, suite)
            self._check_credentials({"--lm": lm_spec, "--judge-lm": judge_spec}, suite)
            try:
                lm = self.lm_for(suite)
                self.judge_for(suite)
            except (ValueError, OSError) as e:  # a missing recording, a bad py: target, a bad model
                raise UsageError(f"suite {suite.name}: {e}") from None
            needs_lm = program.module is not None and bool(program.module.named_predictors())
            if needs_lm and lm is None and dspy.settings.lm is None:
                raise UsageError(
                    f"suite {suite.name}: program {program.name} needs an LM: pass --lm or set lm:"
                )

    def _check_credentials(self, specs: dict[str, str | None], suite: Suite) -> None:
        """Every live model named must have its API key in the environment."""
        for flag, spec in specs.items():
            if spec and spec != "heuristic" and spec not in self.given_lms:
                require_key(flag, spec, f" (suite {suite.name})", partial(live_spec, spec, self.opts))

    def check_keys(self, suites: Iterable[Suite]) -> None:
        """Ask each self-hosted endpoint (`api_base`) once whether it takes its key, before any
        case runs: a refused key stops the run now, naming its variable, instead of failing
        every case."""
        asked: set[str] = set()
        for suite in suites:
            for flag, spec in (
                ("--lm", resolve_lm_spec(self.opts.lm or suite.lm, suite)),
                ("--judge-lm", resolve_lm_spec(self.opts.judge_lm or suite.judge, suite)),
            ):
                if not spec or spec in asked or spec in self.given_lms or spec == "heuristic":
                    continue
                asked.add(spec)
                if spec.startswith(("replay:", "py:")):
                    continue
                endpoint = parse_spec(spec.removeprefix("record:"))
                status = check_key(endpoint)
                if status is not None:
                    var = endpoint.api_key_env or "no api_key_env (no key was sent)"
                    raise UsageError(
                        f"{flag} {spec} (suite {suite.name}): {endpoint.api_base} refused the key "
                        f"(HTTP {status}) from {var}; check the variable's value"
                    )

    def validate(self) -> list[tuple[Suite, Case]]:
        """The selected cases, with every program, LM and judge they need loaded (no I/O)."""
        picked = select(self.suites, self.opts)
        if not picked:
            raise UsageError("no case matches the selection (--tags/--cases/--split/--shard)")
        self.check({s.name: s for s, _ in picked}.values(), [c for _, c in picked])
        return picked

    def prepare(self) -> list[tuple[Suite, Case, int]]:
        """Validate, take the run's lock and write run.json; the (suite, case, sample) jobs still
        to do: those without a verdict (never run, or ended in a harness fault). Idempotent."""
        if self._jobs is not None:
            return self._jobs
        picked = self.validate()
        self.check_keys({s.name: s for s, _ in picked}.values())
        toolchain = self.toolchain()  # a missing compiler fails here, before the folder exists
        try:
            self.folder.mkdir(parents=True, exist_ok=not self.fresh)
        except FileExistsError:
            raise UsageError(
                f"--run-id {self.run_id}: {self.folder} already exists; continue that run with "
                f"--resume {self.run_id}, or choose another id"
            ) from None
        except OSError as e:
            raise _cannot_write(self.folder, e) from None
        self.lock.acquire()
        try:
            if not record_run(self, toolchain):
                self._resumed_with(self.folder / "run.json", toolchain)
            self._kept = [r for r in read_results(self.log.path) if r.status != "error"]
        except BaseException:
            self.lock.release()
            raise
        done = {(r.suite, r.case, r.sample) for r in self._kept}
        self._jobs = [
            (s, c, i)
            for s, c in picked
            for i in range(self.opts.repeats)
            if (s.name, c.id, i) not in done and (self.saved is None or (s.name, c.id, i) in self.saved)
        ]
        return self._jobs

    def _resumed_with(self, meta: Path, toolchain: dict[str, str]) -> None:
        """A resumed run: record the toolchain when run.json has none (an older run); when it
        differs from the one the run started with, warn and add it to `resumed_with`."""
        data = _read_json(meta)
        before = data.get("toolchain")
        if not isinstance(before, dict):
            data["toolchain"] = toolchain
        elif _conflicts(before, toolchain):
            log.warning(
                "run %s was started with %s and is resumed with %s: its verdicts come from both",
                self.run_id,
                _describe_toolchain(before),
                _describe_toolchain(toolchain),
            )
            resumed = data.setdefault("resumed_with", [])
            if toolchain in resumed:
                return
            resumed.append(toolchain)
        else:
            return
        _write_json(meta, data)

    def _complete_toolchain(self) -> None:
        """After the cases: versions a backend learns only by compiling (Scarb's resolved
        dependencies, `dep:<name>`) are added to the run's toolchain when nothing else changed."""
        if self._compiler is None:
            return
        meta = self.folder / "run.json"
        try:
            data = _read_json(meta)
            now = self.toolchain()
        except (OSError, ValueError, CompilerNotFound):
            return
        before = data.get("toolchain")
        if isinstance(before, dict) and now != before and before.items() <= now.items():
            data["toolchain"] = now
            with contextlib.suppress(OSError):
                _write_json(meta, data)

    async def run_one(self, suite: Suite, case: Case, sample: int = 0) -> CaseResult:
        """One sample of one case through the trip, appended to the results log at once."""
        with spans.recording(self.record_spans) as recorded:
            result = await self._answer(suite, case, sample)
        self.log.append(result)
        if recorded is not None:
            spans.append_case(self.folder / spans.SPANS_FILE, result, recorded)
            if self.on_spans is not None:  # the case's trace, written while the run goes on
                self.on_spans(result, recorded.spans)
        return result

    async def aclose(self) -> None:
        """Release what the run held, on the loop that used it (programs' pools, compiler workers)."""
        for program in self.programs.values():
            try:
                await program.aclose()
            except Exception as e:  # e.g. the database is gone: nothing left to close politely
                log.warning("closing program %s failed: %s", program.name, describe(e))
        if self._compiler is not None:
            # Closing waits for compiles in flight, which an interrupted run has abandoned: give it
            # a few seconds in a thread nobody joins, then let the process end (the workers die
            # with it).
            closing = asyncio.get_running_loop().run_in_executor(DaemonExecutor(), self._compiler.close)
            try:
                await asyncio.wait_for(closing, CLOSE_GRACE)
            except TimeoutError:
                log.warning("compiles still running after %gs were abandoned", CLOSE_GRACE)

    def _retrying(self) -> AsyncRetrying:
        backoff = wait_exponential_jitter(
            multiplier=self.opts.backoff, max=60, jitter=min(1.0, self.opts.backoff)
        )

        def wait(state: RetryCallState) -> float:
            # A server that says when to come back (429/503 with Retry-After) is believed.
            failure = state.outcome.exception() if state.outcome is not None else None
            asked = retry_after(failure) if failure is not None else None
            return min(asked, 60.0) if asked is not None else backoff(state)

        return AsyncRetrying(
            stop=stop_after_attempt(self.opts.retries + 1),
            wait=wait,
            retry=retry_if_exception(is_transient),
            reraise=True,
        )

    async def _ask(self, program: Program, case: Case, lm: dspy.LM | None) -> Any:
        """One attempt, bounded by the case timeout; its expiry is a `CaseTimeout`, not the
        `TimeoutError` a program may raise itself (that one is transient and retried)."""
        scope = asyncio.timeout(self.opts.case_timeout)
        try:
            async with scope:
                with current_case(case.nodeid):
                    return await program.answer(case, lm)
        except TimeoutError:
            if scope.expired():
                raise CaseTimeout(
                    f"the program did not answer within {self.opts.case_timeout:g} s (--case-timeout)"
                ) from None
            raise

    @staticmethod
    def _stop_on_refused_key(error: BaseException, flag: str, lm: Any) -> None:
        """A server that refuses the key (401/403) refuses every case alike: no verdict on this one,
        the run stops (exit 2) naming the variable; finished cases are kept for --resume."""
        if not refused_key(error):
            return
        endpoint = getattr(lm, "endpoint", None)
        model = getattr(lm, "model", "the LM")
        if endpoint is not None and endpoint.api_key_env:
            var = endpoint.api_key_env
        elif endpoint is not None and endpoint.api_base:
            var = "no api_key_env (no key was sent)"
        else:
            provider = str(model).split("/", 1)[0] if "/" in str(model) else "openai"
            var = f"the provider's variable ({provider.upper()}_API_KEY or the like)"
        raise UsageError(
            f"{flag} {model}: the server refused the key from {var}: {describe(error)}"
        ) from None

    async def _answer(self, suite: Suite, case: Case, sample: int) -> CaseResult:
        if self.saved is not None:
            return await self._rescore(self.saved[(suite.name, case.id, sample)], suite, case)
        program, lm = self.program_for(suite), self.lm_for(suite, sample)
        costs: list[tuple[str, float, int]] = []
        _COST.set(costs)
        attempts = 0
        start = time.monotonic()

        def failed(why: str, fault: bool, **fields: Any) -> CaseResult:
            return CaseResult.unanswered(
                suite.name,
                case.id,
                why,
                fault,
                sample=sample,
                retries=max(attempts - 1, 0),
                duration_s=round(time.monotonic() - start, 3),
                cost=round(sum(c for _, c, _ in costs), 6),
                **fields,
            )

        try:
            async for attempt in self._retrying():
                with attempt:
                    attempts += 1
                    with spans.span(program.name, "AGENT", {"query": case.query}) as s:
                        s.set_attributes({"attempt": attempts})
                        answer = await self._ask(program, case, lm)
                        s.set_outputs({"answer": answer.text, **answer.extra})
        except Exception as e:
            self._stop_on_refused_key(e, "--lm", lm)
            text = describe(e) if not isinstance(e, CaseTimeout) else str(e)
            if is_transient(e):  # infrastructure that kept failing: no verdict on the program
                return failed(f"{text} (still failing after {attempts} attempts)", fault=True)
            return failed(text, fault=False)
        result = await self._scored(suite, case, answer.text, sample)
        if isinstance(result, str):
            return failed(result, fault=True, answer=answer.text)
        # The program's tokens as its usage tracker saw them, plus the judge's calls.
        tokens = sum(int(u.get("total_tokens") or 0) for u in answer.usage.values() if isinstance(u, dict))
        tokens += sum(t for role, _, t in costs if role == "judge")
        return replace(
            result,
            answer=answer.text,
            retries=attempts - 1,
            tokens=tokens,
            cost=round(sum(c for _, c, _ in costs), 6),
            duration_s=round(time.monotonic() - start, 3),
            extra=answer.extra,
        )

    async def _scored(self, suite: Suite, case: Case, text: str | None, sample: int) -> CaseResult | str:
        """The answer text through extract → compile → judge, or what went wrong on our side (a
        harness fault: our own stages crashed or kept failing, redone by --resume)."""
        try:
            scorer = Scorer(self.compiler, self.judge_for(suite), suite.dependencies)
            async for attempt in self._retrying():
                with attempt, spans.span("score", "EVALUATOR"):
                    result = await scorer.ascore(case, text, suite.scoring, sample)
        except (CompilerNotFound, OutputError):
            raise  # the environment, not this case: the run stops
        except Exception as e:
            self._stop_on_refused_key(e, "--judge-lm", getattr(self.judge_for(suite), "lm", None))
            return f"scoring failed: {describe(e)}"
        return result

    async def _rescore(self, old: CaseResult, suite: Suite, case: Case) -> CaseResult:
        """A saved result scored again with today's stages (see the module doc)."""
        if old.status == "ok" and old.error is not None:
            return old  # the program failed: there is no answer, and the verdict on the program stands
        text, note = old.answer, ""
        if text is None and old.code is not None:
            text = f"```cairo\n{old.code}\n```\n"
            note = (
                "rescored from the run's extracted code: the run kept no raw answer (an older run), "
                "so the answer was not extracted again"
            )
        elif text is None:
            if old.status == "error":
                return old  # a fault before any answer was saved: nothing to score again
            note = "the run kept neither the raw answer nor code: scored as an empty answer"
        start = time.monotonic()
        result = await self._scored(suite, case, text, old.sample)
        if isinstance(result, str):
            result = CaseResult.unanswered(suite.name, case.id, result, True, sample=old.sample)
        return replace(
            result,
            feedback=f"{result.feedback}\nnote: {note}" if note else result.feedback,
            answer=old.answer,
            tokens=old.tokens,
            cost=old.cost,
            extra=old.extra,
            duration_s=round(time.monotonic() - start, 3),
        )

    async def run(self) -> RunResult:
        # Threads the run starts (sync programs, compile calls, blocking clients) are never
        # joined: one that hangs must not keep the run, or the process, from ending.
        asyncio.get_running_loop().set_default_executor(DaemonExecutor())
        jobs = self.prepare()
        try:
            result = await self._run(jobs)
            self._complete_toolchain()
            return result
        finally:
            try:
                await self.aclose()
            finally:
                self.lock.release()

    async def _run(self, jobs: list[tuple[Suite, Case, int]]) -> RunResult:
        progress = Progress(total=len(self._kept) + len(jobs))
        for r in self._kept:
            progress.add(r)
        sem = asyncio.Semaphore(self.opts.concurrency)
        stopped: str | None = None
        start = time.monotonic()

        async def one(suite: Suite, case: Case, sample: int) -> None:
            nonlocal stopped
            async with sem:
                if self.opts.max_cost is not None and progress.cost > self.opts.max_cost:
                    stopped = f"max cost {self.opts.max_cost} passed (spent {progress.cost:.4f})"
                    return
                result = await self.run_one(suite, case, sample)
                progress.add(result)
                if self.on_result:
                    self.on_result(result, progress)

        try:  # the first environment error (unwritable output, no compiler) cancels the rest
            async with asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(one(*job))
        except BaseExceptionGroup as failures:
            raise failures.exceptions[0] from None
        results = ordered(read_results(self.log.path), self.suites)
        return RunResult(self.run_id, self.folder, self.suites, results, time.monotonic() - start, stopped)


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return data


def record_run(runner: Runner, toolchain: dict[str, str] | None = None) -> bool:
    """Write the run's run.json (its id, options and toolchain) when it has none yet; False when
    it has one. `prepare` calls it for `cairo-evals run`, the pytest face at the session's end."""
    meta = runner.folder / "run.json"
    if meta.exists():
        return False
    if toolchain is None:
        toolchain = runner.toolchain()
    _write_json(
        meta,
        {"run_id": runner.run_id, **runner.origin, "options": asdict(runner.opts), "toolchain": toolchain},
    )
    return True


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` whole (a crash leaves the old file or the new one, never half of one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _cannot_write(path, e) from None


def _conflicts(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two toolchains disagree on a version both name (one may name more: Scarb's
    dependencies are known only after compiles)."""
    return any(str(a[k]) != str(b[k]) for k in a.keys() & b.keys())


def _describe_toolchain(toolchain: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in toolchain.items())


def ordered(results: Iterable[CaseResult], suites: Sequence[Suite]) -> list[CaseResult]:
    order = {(s.name, c.id): i for i, (s, c) in enumerate((s, c) for s in suites for c in s.cases)}
    return sorted(results, key=lambda r: (order.get((r.suite, r.case), 1 << 30), r.sample))


def resume_options(run_id: str, out: str = "reports") -> RunOptions:
    return RunOptions.from_dict(_run_meta(run_id, out, "--resume")["options"])


def _run_meta(run_id: str, out: str, flag: str) -> dict[str, Any]:
    meta = Path(out) / run_id / "run.json"
    if not meta.is_file():
        raise UsageError(f"{flag} {run_id}: no {meta} (runs live in {Path(out).resolve()})")
    try:
        return _read_json(meta)
    except ValueError as e:
        raise UsageError(f"{flag} {run_id}: {meta} is not a run record: {e}") from None


def resume_run_options(run_id: str, out: str = "reports") -> RunOptions:
    """`run --resume`'s options; a rescore run is continued by `rescore`, never by asking the program."""
    data = _run_meta(run_id, out, "--resume")
    if data.get("rescore_of"):
        raise UsageError(
            f"--resume {run_id}: it is a rescore of {data['rescore_of']}; continue it with "
            f"cairo-evals rescore {data['rescore_of']} --resume {run_id}"
        )
    return RunOptions.from_dict(data["options"])


def rescore_runner(
    source: str,
    out: str = "reports",
    run_id: str | None = None,
    resume: bool = False,
    **overrides: Any,
) -> Runner:
    """A runner that scores the saved answers of run `source` (under `out`) again, into a new run
    (`run_id`, else a new id; with `resume`, that existing rescore run is continued).
    `overrides` replace the source run's options (compiler, judge_lm, workers, compile_timeout,
    concurrency, compile_cache); a None value keeps the source's."""
    check_run_id(source, "RUN")
    data = _run_meta(source, out, "rescore")
    results = read_results(Path(out) / source / "results.jsonl")
    if not results:
        raise UsageError(f"rescore {source}: {Path(out) / source / 'results.jsonl'} holds no results")
    if resume:
        if run_id is None:
            raise UsageError("rescore --resume needs the rescore run's id")
        check_run_id(run_id, "--resume")
        was = _run_meta(run_id, out, "--resume").get("rescore_of")
        if was != source:
            raise UsageError(f"--resume {run_id}: it is not a rescore of {source} (run.json says {was!r})")
    elif run_id is not None:
        check_run_id(run_id)
    opts = replace(
        RunOptions.from_dict(data["options"]),
        out=out,
        shard=None,
        max_cost=None,
        **{k: v for k, v in overrides.items() if v is not None},
    )
    saved = {(r.suite, r.case, r.sample): r for r in results}
    runner = Runner(opts, run_id=run_id, fresh=not resume, saved=saved, origin={"rescore_of": source})
    known = {(c.suite, c.id) for s in runner.suites for c in s.cases}
    gone = sorted({r.nodeid for r in results if (r.suite, r.case) not in known})
    if gone:
        log.warning(
            "rescore %s: %d case(s) are no longer in the suites and are not rescored: %s",
            source,
            len(gone),
            ", ".join(gone),
        )
    return runner


def default_out() -> str:
    return str(project_root() / "reports")


def merge_runs(run_ids: Sequence[str], out: str, merged_id: str | None = None) -> RunResult:
    """Fold several runs' results (CI shards) into one new run (named `merged_id`, else a new id);
    a case in two runs is an error. The merged run's toolchain is the shards' (merging compiles
    nothing); shards that recorded different ones are kept by name in `shard_toolchains`, with a
    warning."""
    if len(run_ids) < 2:
        raise UsageError("merge needs at least two runs")
    if merged_id:
        check_run_id(merged_id)
    if merged_id and (Path(out) / merged_id).exists():
        raise UsageError(f"--run-id {merged_id}: {Path(out) / merged_id} already exists")
    opts = resume_options(run_ids[0], out)
    seen: dict[tuple[str, str, int], str] = {}
    merged: list[CaseResult] = []
    for run_id in run_ids:
        resume_options(run_id, out)  # each must be a run folder
        for r in read_results(Path(out) / run_id / "results.jsonl"):
            key = (r.suite, r.case, r.sample)
            if key in seen:
                raise UsageError(f"{r.nodeid} (sample {r.sample}) is in both {seen[key]} and {run_id}")
            seen[key] = run_id
            merged.append(r)
    run_id = merged_id or new_run_id()
    folder = Path(out) / run_id
    folder.mkdir(parents=True)
    merged_opts = replace(opts, shard=None)
    meta: dict[str, Any] = {"run_id": run_id, "merged_from": list(run_ids), "options": asdict(merged_opts)}
    toolchains = {r: saved_toolchain(Path(out) / r) for r in run_ids}
    known = [t for t in toolchains.values() if t]
    if known:
        meta["toolchain"] = known[0]
        if len(known) < len(toolchains) or any(_conflicts(known[0], t) for t in known[1:]):
            log.warning(
                "the merged runs recorded different toolchains: %s",
                "; ".join(
                    f"{r}: {_describe_toolchain(t) if t else 'none recorded'}" for r, t in toolchains.items()
                ),
            )
            meta["shard_toolchains"] = toolchains
    _write_json(folder / "run.json", meta)
    results = ResultsLog(folder / "results.jsonl")
    suites = load_suites(list(opts.suites))
    for r in ordered(merged, suites):
        results.append(r)
    return RunResult(run_id, folder, suites, ordered(merged, suites), 0.0)
