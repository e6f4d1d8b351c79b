"""The runner: drives every case through the trip on one event loop.

    program → answer → extract → compile (+ tests) → judge → CaseResult → results.jsonl

- Bounded concurrency (`concurrency`), a per-case timeout, and retries with exponential
  backoff and jitter (tenacity) for transient LM/provider errors only: rate limits, 5xx,
  transport errors and timeouts. Compile failures are results, never retried. A case that
  still fails is recorded with its error and the run goes on.
- Each finished case is appended to `reports/<run_id>/results.jsonl` at once and fsync'd: a
  crash loses at most the cases in flight. `resume` reloads the run's own settings
  (`run.json`), skips what is in results.jsonl and gives the same final results.
- Cases are selected by tags, ids, split and a deterministic shard (`i/n`, by a hash of
  `suite::case`), so CI machines can split a suite and merge the results files afterwards.
- `max_cost` stops starting new cases once the run's LM cost passes it.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import dspy
from dspy.utils.exceptions import LMRateLimitError, LMServerError, LMTimeoutError, LMTransportError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from .cairo import Compiler
from .judge import Judge, make_judge
from .lm import current_case, make_lm
from .metric import CaseResult, Scorer
from .paths import project_root
from .program import Program, load_program
from .suite import Case, Suite, load_suites, suite_root

DEFAULT_PROGRAM = "harness.rag:RagPipeline"
TRANSIENT = (LMRateLimitError, LMServerError, LMTimeoutError, LMTransportError, TimeoutError)
T = TypeVar("T")
_COST: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("cairo_evals_cost", default=None)


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
    shard: str | None = None  # "i/n", 1-based
    case_timeout: float = 900.0
    retries: int = 3
    backoff: float = 2.0
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
    errors: int = 0
    score_sum: float = 0.0
    compiled: int = 0
    tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def mean(self) -> float:
        return self.score_sum / self.done if self.done else 0.0

    def add(self, r: CaseResult) -> None:
        self.done += 1
        self.errors += r.error is not None
        self.score_sum += r.score
        self.compiled += r.compiled
        self.tokens += r.tokens
        self.cost += r.cost


@dataclass(frozen=True)
class RunResult:
    run_id: str
    folder: Path
    suites: list[Suite]
    results: list[CaseResult]
    wall_s: float
    stopped: str | None = None  # why cases were left unstarted (max cost), if they were


class UsageError(ValueError):
    """Bad options: exit code 2."""


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


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
    picked = []
    for suite in suites:
        for case in suite.cases:
            if opts.tags and not set(opts.tags) & set(case.tags):
                continue
            if opts.cases and case.id not in opts.cases and case.nodeid not in opts.cases:
                continue
            if opts.split and case.split != opts.split:
                continue
            if in_shard(case.nodeid, opts.shard):
                picked.append((suite, case))
    return picked


# -- the results log --------------------------------------------------------------------------


def read_results(path: Path) -> list[CaseResult]:
    """Every complete line of a results file; a torn last line (a crash mid-write) is dropped."""
    if not path.is_file():
        return []
    results = []
    for line in path.read_text().splitlines():
        try:
            results.append(CaseResult.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return results


class ResultsLog:
    """Appends one JSON line per finished case and fsyncs it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_file():  # cut a torn tail so the next line starts clean
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                path.write_bytes(data[: data.rfind(b"\n") + 1])

    def append(self, result: CaseResult) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(result.to_dict(), ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


# -- the run ----------------------------------------------------------------------------------


def _metered(lm: dspy.LM) -> dspy.LM:
    """Attribute each call's cost to the case whose task made it (a contextvar accumulator)."""
    original = lm.update_history

    def update_history(entry: dict[str, Any]) -> None:
        original(entry)
        sink = _COST.get()
        if sink is not None and entry.get("cost"):
            sink.append(float(entry["cost"]))

    lm.update_history = update_history  # type: ignore[method-assign]
    return lm


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
    """

    def __init__(
        self,
        opts: RunOptions,
        run_id: str | None = None,
        on_result: Callable[[CaseResult, Progress], None] | None = None,
        suites: list[Suite] | None = None,
        lms: dict[str, dspy.LM] | None = None,
        results_name: str = "results.jsonl",
    ) -> None:
        self.opts = opts
        self.run_id = run_id or new_run_id()
        self.folder = Path(opts.out) / self.run_id
        self.log = ResultsLog(self.folder / results_name)
        self.on_result = on_result
        self.suites = suites if suites is not None else load_suites(list(opts.suites))
        self.programs: dict[str, Program] = {}
        # LM objects by the name used as `lm` (library use, tests). Build them with num_retries=0
        # so rate limits reach the runner, which retries with backoff and counts the retries.
        self.given_lms = lms or {}
        self.lms: dict[str, dspy.LM] = {}
        self.judges: dict[str, Judge] = {}
        self._compiler: Compiler | None = None

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
        key = f"{spec}#{rollout}"
        if key not in self.lms and spec in self.given_lms:
            self.lms[key] = _metered(self.given_lms[spec])
        if key not in self.lms:
            extra = {"rollout_id": rollout, "temperature": 1.0} if rollout else {}
            # The runner owns retries (backoff, jitter, counted), so DSPy's are off.
            self.lms[key] = _metered(make_lm(spec, num_retries=0, **extra))
        return self.lms[key]

    def judge_for(self, suite: Suite) -> Judge:
        spec = resolve_lm_spec(self.opts.judge_lm or suite.judge, suite) or "heuristic"
        if spec not in self.judges:
            self.judges[spec] = make_judge(spec)
        return self.judges[spec]

    @property
    def compiler(self) -> Compiler:
        if self._compiler is None:
            backend = self.opts.compiler or next((s.compiler for s in self.suites), "auto")
            self._compiler = Compiler(backend, cache=self.opts.compile_cache)  # type: ignore[arg-type]
        return self._compiler

    def check(self, suites: Iterable[Suite]) -> None:
        """Load every program, LM and judge the suites need, so a bad spec fails before any case."""
        for suite in suites:
            program = self.program_for(suite)
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

    def validate(self) -> list[tuple[Suite, Case]]:
        """The selected cases, with every program, LM and judge they need loaded (no I/O)."""
        picked = select(self.suites, self.opts)
        if not picked:
            raise UsageError("no case matches the selection (--tags/--cases/--split/--shard)")
        self.check({s.name: s for s, _ in picked}.values())
        return picked

    def prepare(self) -> list[tuple[Suite, Case, int]]:
        """Validate and write run.json; the (suite, case, sample) jobs still to do."""
        picked = self.validate()
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "run.json"
        if not meta.exists():
            meta.write_text(json.dumps({"run_id": self.run_id, "options": asdict(self.opts)}, indent=2))
        done = {(r.suite, r.case, r.sample) for r in read_results(self.log.path)}
        return [
            (s, c, i) for s, c in picked for i in range(self.opts.repeats) if (s.name, c.id, i) not in done
        ]

    async def run_one(self, suite: Suite, case: Case, sample: int = 0) -> CaseResult:
        """One sample of one case through the trip, appended to the results log at once."""
        result = await self._answer(suite, case, sample)
        self.log.append(result)
        return result

    async def aclose(self) -> None:
        """Release what the run held, on the loop that used it (programs' pools, compiler workers)."""
        for program in self.programs.values():
            await program.aclose()
        if self._compiler is not None:
            self._compiler.close()

    async def _answer(self, suite: Suite, case: Case, sample: int) -> CaseResult:
        program, lm = self.program_for(suite), self.lm_for(suite, sample)
        costs: list[float] = []
        _COST.set(costs)
        attempts = 0
        start = time.monotonic()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.opts.retries + 1),
                wait=wait_exponential_jitter(multiplier=self.opts.backoff, max=60),
                retry=retry_if_exception_type(TRANSIENT),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    with current_case(case.nodeid):
                        answer = await asyncio.wait_for(program.answer(case, lm), self.opts.case_timeout)
        except Exception as e:  # recorded, and the run goes on
            return CaseResult(
                suite.name,
                case.id,
                0.0,
                f"the program failed: {type(e).__name__}: {e}",
                False,
                False,
                sample=sample,
                error=f"{type(e).__name__}: {e}",
                retries=attempts - 1,
                duration_s=round(time.monotonic() - start, 3),
                cost=sum(costs),
            )
        result = await Scorer(self.compiler, self.judge_for(suite), suite.dependencies).ascore(
            case, answer.text, suite.scoring, sample
        )
        tokens = sum(int(u.get("total_tokens") or 0) for u in answer.usage.values() if isinstance(u, dict))
        return replace(
            result,
            retries=attempts - 1,
            tokens=tokens,
            cost=round(sum(costs), 6),
            duration_s=round(time.monotonic() - start, 3),
            extra=answer.extra,
        )

    async def run(self) -> RunResult:
        jobs = self.prepare()
        previous = read_results(self.log.path)
        progress = Progress(total=len(previous) + len(jobs))
        for r in previous:
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

        try:
            await asyncio.gather(*(one(*job) for job in jobs))
        finally:
            await self.aclose()
        results = ordered(read_results(self.log.path), self.suites)
        return RunResult(self.run_id, self.folder, self.suites, results, time.monotonic() - start, stopped)


def ordered(results: Iterable[CaseResult], suites: Sequence[Suite]) -> list[CaseResult]:
    order = {(s.name, c.id): i for i, (s, c) in enumerate((s, c) for s in suites for c in s.cases)}
    return sorted(results, key=lambda r: (order.get((r.suite, r.case), 1 << 30), r.sample))


def resume_options(run_id: str, out: str = "reports") -> RunOptions:
    meta = Path(out) / run_id / "run.json"
    if not meta.is_file():
        raise UsageError(f"--resume {run_id}: no {meta} (runs live in {Path(out).resolve()})")
    return RunOptions.from_dict(json.loads(meta.read_text())["options"])


def default_out() -> str:
    return str(project_root() / "reports")


def merge_runs(run_ids: Sequence[str], out: str, merged_id: str | None = None) -> RunResult:
    """Fold several runs' results (CI shards) into one new run (named `merged_id`, else a new id);
    a case in two runs is an error."""
    if len(run_ids) < 2:
        raise UsageError("merge needs at least two runs")
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
    (folder / "run.json").write_text(
        json.dumps({"run_id": run_id, "merged_from": list(run_ids), "options": asdict(merged_opts)}, indent=2)
    )
    log = ResultsLog(folder / "results.jsonl")
    suites = load_suites(list(opts.suites))
    for r in ordered(merged, suites):
        log.append(r)
    return RunResult(run_id, folder, suites, ordered(merged, suites), 0.0)
