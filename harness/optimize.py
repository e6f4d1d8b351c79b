"""The optimizer loop: tune a program's prompts with GEPA or MIPROv2 on the train and val cases,
then measure the baseline and the optimised program on the held-out test cases.

    cases by split → DSPy examples → optimizer, scored by the harness metric (score + feedback)
        → program.json → a baseline run and an optimised run on the test split → compare

- **The test split is held out.** The optimizer sees only the splits named by `train_split`
  and `val_split`; naming `test` there is refused (`UsageError`, naming the test cases), and
  the before/after runs use only the test cases. A suite without test cases cannot be
  optimised: there would be nothing honest to compare on.
- **`predictors`** limits the tuning to those predictors: the optimizer gets a view of the
  program whose `named_parameters()` lists only them, so the others keep their instructions
  and demos. The saved program holds every predictor.
- **Nothing is lost on a crash.** Everything lives in `<out>/<id>/`: `optimize.json` (the
  options), the optimizer's log dir (GEPA saves its state after each step and resumes from
  it; MIPROv2 has no resumable state and starts over), `program.json` and `optimizer.json`
  once the optimizer finished, and the two evaluation runs `<id>-baseline` and
  `<id>-optimized` (ordinary runs: each finished case is on disk at once). Resuming the same
  id skips whatever is done.
- **Every candidate's val evaluation is kept** as the optimizer goes (`CandidateTrail`):
  `candidates/<key>/` per candidate (`<key>` a hash of its predictors' instructions and demos)
  holds `candidate.json` (the instructions and the prompts as DSPy renders them),
  `results.jsonl` (a `CaseResult` per val case it was scored on) and `spans.jsonl` (what the
  program did for each, as in a run folder). `optimizer.json` names each candidate's key, so the
  tracking stage logs each candidate as a run with its prompt version and a trace per val case.

The LMs: the program's (`lm`, else the suite's) must be live or built by code (`py:`): a
`replay:` recording only knows the prompts it recorded, and an optimizer changes them. The
reflection LM (GEPA) or prompt model (MIPROv2) defaults to the program's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
import types
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import dspy
from dspy.teleprompt.bootstrap_trace import FailedPrediction

from . import spans
from .cairo import Compiler
from .endpoint import with_defaults
from .judge import make_judge
from .lm import make_lm
from .metric import CaseResult, Scorer, case_example, make_metric
from .program import Program, load_program
from .runner import (
    DEFAULT_PROGRAM,
    OutputError,
    ResultsLog,
    RunOptions,
    UsageError,
    new_run_id,
    options_from_dict,
    require_key,
    resolve_lm_spec,
)
from .suite import Case, Suite, load_suite
from .transient import describe as describe_error
from .transient import is_transient

log = logging.getLogger(__name__)

OPTIMIZERS = ("gepa", "miprov2")
BUDGETS = ("light", "medium", "heavy")
HELD_OUT = "test"
TUNABLE_SPLITS = ("train", "val")
ROLES = ("baseline", "optimized")
OPTIONS_FILE = "optimize.json"


@dataclass(frozen=True)
class OptimizeOptions:
    """What to optimise and how; saved as `optimize.json` so a resumed optimisation is the same one.

    Budget: GEPA takes `max_metric_calls` when given, else `auto`; MIPROv2 takes `trials`
    when given, else `auto`.
    """

    suite: str
    program: str = DEFAULT_PROGRAM
    optimizer: str = "gepa"
    auto: str = "light"
    max_metric_calls: int | None = None
    trials: int | None = None
    lm: str | None = None
    reflection_lm: str | None = None
    judge_lm: str | None = None
    predictors: tuple[str, ...] = ()
    train_split: tuple[str, ...] = ("train",)
    val_split: tuple[str, ...] = ("val",)
    threads: int = 4
    seed: int = 0
    answer_field: str = "answer"
    compiler: str | None = None
    compile_cache: bool = True
    out: str = "reports"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OptimizeOptions:
        return options_from_dict(cls, data)


@dataclass(frozen=True)
class Splits:
    train: list[Case]
    val: list[Case]
    test: list[Case]
    note: str | None = None  # how val was made up, when not from the val split alone


@dataclass(frozen=True)
class Outcome:
    """What the optimizer did (`optimizer.json`)."""

    optimizer: str
    program_path: str
    seed_val_score: float | None  # the unchanged program on the val cases, as the optimizer scored it
    best_val_score: float | None  # the chosen program on the val cases
    metric_calls: int | None
    # each: index, val_score, instructions by predictor, key (its `candidates/<key>/` trail);
    # GEPA's also parents and val_scores (case id → score), MIPROv2's params
    candidates: list[dict[str, Any]]
    changed: list[str]  # predictors whose instructions or demos differ from the baseline
    wall_s: float

    @classmethod
    def load(cls, path: Path) -> Outcome:
        return cls(**json.loads(path.read_text()))


def resume_optimization(opt_id: str, out: str) -> OptimizeOptions:
    """The options an optimisation was started with (`<out>/<id>/optimize.json`)."""
    meta = Path(out) / opt_id / OPTIONS_FILE
    if not meta.is_file():
        raise UsageError(f"--resume {opt_id}: no {meta} (optimisations live in {Path(out).resolve()})")
    return OptimizeOptions.from_dict(json.loads(meta.read_text())["options"])


SMALL_TEST_SPLIT = 10  # below this, optimize warns that the held-out comparison cannot tell much


def split_cases(suite: Suite, train_split: Sequence[str], val_split: Sequence[str]) -> Splits:
    """The train, val and test cases; refuses to show the test split to the optimizer."""
    held = [c.id for c in suite.cases if c.split == HELD_OUT]
    for flag, names in (("--train-split", train_split), ("--val-split", val_split)):
        if HELD_OUT in names:
            raise UsageError(
                f"{flag} {','.join(names)}: the test split is held out: an optimizer never sees it, so the "
                f"before/after comparison is on unseen cases. {suite.name} keeps {len(held)} test cases "
                f"({', '.join(held) or 'none'}) for that; tune on train and val."
            )
        unknown = [n for n in names if n not in TUNABLE_SPLITS]
        if unknown or not names:
            raise UsageError(f"{flag} {','.join(names)}: expected train and/or val")
    train = [c for c in suite.cases if c.split in train_split]
    val = [c for c in suite.cases if c.split in val_split]
    if not train:
        raise UsageError(
            f"{suite.path}: no case has split {' or '.join(train_split)}: mark some cases `split: train`"
        )
    if not held:
        raise UsageError(
            f"{suite.path}: no case has split test: nothing is held out to compare the baseline and the "
            "optimised program on (cases without `split:` are test cases)"
        )
    note = None
    if not val:
        val, note = train, "no val cases: the optimizer scores its candidates on the train cases"
    elif set(train_split) & set(val_split):
        note = "val includes train cases: the optimizer's val scores are optimistic; the test split decides"
    return Splits(train, val, [c for c in suite.cases if c.split == HELD_OUT], note)


def check_predictors(module: dspy.Module, names: Sequence[str]) -> None:
    available = [n for n, _ in module.named_predictors()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UsageError(
            f"--predictors: no predictor named {', '.join(unknown)} (the program has: {', '.join(available)})"
        )


def restrict(module: dspy.Module, names: Sequence[str]) -> type:
    """Let optimizers see only the predictors `names` (the others stay as they are): the module's
    class becomes a subclass whose `named_parameters()` lists only them. Returns the original
    class, to put back with `module.__class__ = original` (copies keep the view's class too)."""
    check_predictors(module, names)
    original = type(module)
    keep = set(names)

    def named_parameters(self: dspy.Module) -> list[tuple[str, Any]]:
        return [(n, p) for n, p in original.named_parameters(self) if n in keep]

    return _override(module, named_parameters=named_parameters)


def _override(module: dspy.Module, **methods: Any) -> type:
    """`module`'s class becomes a subclass of it with `methods` (the copies an optimizer makes
    keep it); returns the class it had, to put back with `module.__class__ = original`."""
    original = type(module)

    def body(ns: dict[str, Any]) -> None:
        ns.update(methods, __module__=original.__module__)

    module.__class__ = types.new_class(original.__name__, (original,), exec_body=body)
    return original


def predictor_state(module: dspy.Module) -> dict[str, dict[str, Any]]:
    """Instructions and demo count per predictor: what an optimizer may change."""
    return {
        name: {"instructions": p.signature.instructions, "demos": len(getattr(p, "demos", None) or [])}
        for name, p in module.named_predictors()
    }


def candidate_key(module: dspy.Module) -> str:
    """What tells candidates apart: a hash of each tunable predictor's instructions and demos."""
    state = [
        (name, p.signature.instructions, [getattr(d, "toDict", lambda d=d: d)() for d in p.demos or []])
        for name, p in module.named_predictors()
    ]
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:16]


CANDIDATES = "candidates"
_MARK = "_cairo_evals_candidate"  # on a prediction: (candidate folder, case, spans) for the metric


class CandidateTrail:
    """Records each candidate's val evaluations while the optimizer runs, on disk at once.

    `watch(module)` makes every call of the program on a val case (and of the copies an
    optimizer makes of it: each candidate is one) record its spans; the metric's `observe` hook
    then writes the case's `CaseResult` and spans under `<folder>/candidates/<key>/`. Only
    evaluations count: the metric called without a `trace` (`dspy.Evaluate`, which MIPROv2
    scores on val with, and GEPA's evaluations, whose program returns `(prediction, trace)`);
    bootstrapping demos (MIPROv2) and GEPA's feedback for reflection pass a trace. A program
    that raised is written from the call itself (the optimizer scores it 0). Which result of a
    case scored twice for one candidate is its val result: see `read_trail`.

    Args:
        folder: the optimisation's folder.
        program_name: the program's name (the prompts' names derive from it).
        answer_field: the output field holding the answer.
        val: the val cases.
    """

    def __init__(self, folder: Path, program_name: str, answer_field: str, val: Sequence[Case]) -> None:
        self.root = folder / CANDIDATES
        self.program_name = program_name
        self.answer_field = answer_field
        self.by_query = {c.query: c for c in reversed(val)}  # the first case wins a shared query
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def watch(self, module: dspy.Module) -> None:
        """Record the calls of `module` and its copies (its class becomes a subclass whose
        `__call__` records; put the class back after the optimizer)."""
        base, trail = type(module), self

        def __call__(self: dspy.Module, *args: Any, **kwargs: Any) -> Any:
            return trail.call(self, lambda: base.__call__(self, *args, **kwargs), kwargs)

        _override(module, __call__=__call__)

    def _candidate(self, program: dspy.Module) -> Path:
        """The candidate's folder, with its `candidate.json` written the first time it is seen."""
        key = candidate_key(program)
        folder = self.root / key
        with self._lock:
            if key not in self._known:
                from .prompts import render_prompts

                self._known.add(key)
                folder.mkdir(parents=True, exist_ok=True)
                meta = folder / "candidate.json"
                if not meta.is_file():
                    data = {
                        "key": key,
                        "program": self.program_name,
                        "predictors": predictor_state(program),
                        "prompts": render_prompts(program),
                    }
                    tmp = meta.with_suffix(".tmp")
                    tmp.write_text(json.dumps(data, indent=2, default=str))
                    tmp.replace(meta)
        return folder

    def call(self, program: dspy.Module, run: Any, inputs: dict[str, Any]) -> Any:
        case = self.by_query.get(inputs.get("query"))  # type: ignore[arg-type]
        if case is None:  # a train case: not part of any val score
            return run()
        folder = self._candidate(program)
        with spans.recording() as recorded:
            assert recorded is not None
            start = time.monotonic()
            try:
                with spans.span(self.program_name, "AGENT", {"query": case.query}) as s:
                    pred = run()
                    # GEPA's trace-capturing evaluation patches `forward` to return (pred, trace)
                    answered = pred[0] if isinstance(pred, tuple) and pred else pred
                    s.set_outputs({"answer": getattr(answered, self.answer_field, None)})
            except Exception as e:
                failed = CaseResult.unanswered(
                    case.suite,
                    case.id,
                    describe_error(e),
                    is_transient(e),
                    duration_s=round(time.monotonic() - start, 3),
                )
                self._write(folder, failed, recorded)
                raise
        if isinstance(answered, FailedPrediction):  # GEPA scores an unparsable reply without the metric
            reply = str(answered.completion_text or "")
            self._write(
                folder,
                CaseResult(
                    suite=case.suite,
                    case=case.id,
                    score=float(answered.format_reward or 0.0),
                    feedback=f"the program failed: its reply could not be parsed: {reply[:2000]}",
                    passed=False,
                    compiled=False,
                    error="its reply could not be parsed",
                    answer=reply,
                    duration_s=round(time.monotonic() - start, 3),
                ),
                recorded,
            )
            return pred
        with contextlib.suppress(AttributeError, TypeError):  # else its case goes unrecorded
            setattr(answered, _MARK, (folder, case, recorded, start))
        return pred

    def observe(self, gold: dspy.Example, pred: Any, trace: Any, result: CaseResult, started_ns: int) -> None:
        """The metric's hook: write a val evaluation's result with its spans."""
        mark = getattr(pred, "__dict__", {}).pop(_MARK, None)
        if mark is None or trace is not None:  # not through `call`, or a bootstrap/reflection run
            return
        folder, case, recorded, start = mark
        if case.id != result.case:
            return
        recorded.spans.append(spans.SpanRecord("score", "EVALUATOR", started_ns, time.time_ns()))
        tokens = sum(
            int((s.attributes.get("usage") or {}).get("total_tokens") or 0)
            for s in recorded.spans
            if s.kind == "CHAT_MODEL"
        )
        answer = getattr(pred, self.answer_field, None)
        self._write(
            folder,
            replace(
                result,
                answer=answer if isinstance(answer, str) else None,
                tokens=tokens,
                duration_s=round(time.monotonic() - start, 3),
            ),
            recorded,
        )

    @staticmethod
    def _write(folder: Path, result: CaseResult, recorded: spans.Recording) -> None:
        """The spans, then the result (the result line is what counts a case as recorded)."""
        spans.append_case(folder / spans.SPANS_FILE, result, recorded)
        try:
            ResultsLog(folder / "results.jsonl").append(result)
        except OutputError as e:  # the optimizer goes on; only this candidate's trace will lack the case
            log.warning("could not save candidate result %s to %s: %s", result.case, folder, e)


@dataclass(frozen=True)
class CandidateRecord:
    """One candidate's val evaluation as the trail kept it."""

    key: str
    folder: Path
    program: str
    predictors: dict[str, Any]
    prompts: dict[str, list[dict[str, str]]]
    results: list[CaseResult]  # one per val case (see `read_trail`)


def read_trail(folder: Path, key: str, scores: dict[str, float] | None = None) -> CandidateRecord | None:
    """The candidate `key`'s record under optimisation folder `folder`; None when none was kept
    (an optimisation from before the trail, or a candidate never scored on val).

    A case scored more than once for the candidate (val cases that are train cases too are
    also scored in GEPA's minibatches) is its last result whose score is the one the optimizer
    recorded for it on val (`scores`: case id → score, GEPA's), else its last result."""
    where = Path(folder) / CANDIDATES / key
    try:
        meta = json.loads((where / "candidate.json").read_text())
    except (OSError, ValueError):
        return None
    last: dict[tuple[str, str, int], CaseResult] = {}
    path = where / "results.jsonl"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []
    for line in lines:
        try:
            r = CaseResult.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line
        k = (r.suite, r.case, r.sample)
        wanted = (scores or {}).get(r.case)
        earlier = last.get(k)
        if (
            earlier is None
            or wanted is None
            or round(r.score, 4) == wanted
            or round(earlier.score, 4) != wanted
        ):
            last[k] = r
    return CandidateRecord(
        key=key,
        folder=where,
        program=str(meta.get("program") or ""),
        predictors=meta.get("predictors") or {},
        prompts=meta.get("prompts") or {},
        results=list(last.values()),
    )


class Optimization:
    """One optimisation, from the options to the two evaluation runs' options.

    Args:
        opts: the options (`OptimizeOptions`).
        opt_id: a new id, or the id of an optimisation to resume.
        lms: LM objects by spec, for library use and tests (`--lm` strings are built otherwise).
    """

    def __init__(
        self, opts: OptimizeOptions, opt_id: str | None = None, lms: dict[str, dspy.BaseLM] | None = None
    ) -> None:
        self.opts = opts
        self.id = opt_id or new_run_id()
        self.folder = Path(opts.out) / self.id
        self.suite = load_suite(opts.suite)
        self.given_lms = lms or {}
        self.splits = split_cases(self.suite, opts.train_split, opts.val_split)
        if opts.optimizer not in OPTIMIZERS:
            raise UsageError(f"--optimizer {opts.optimizer}: expected one of {', '.join(OPTIMIZERS)}")
        if opts.auto not in BUDGETS:
            raise UsageError(f"--auto {opts.auto}: expected one of {', '.join(BUDGETS)}")
        self.program: Program = load_program(opts.program, answer_field=opts.answer_field)
        if self.program.module is None or not self.program.module.named_predictors():
            raise UsageError(f"{opts.program} has no DSPy predictors: there is no prompt to optimise")
        self.baseline_state = predictor_state(self.program.module)
        check_predictors(self.program.module, opts.predictors)
        self.lm_spec = opts.lm or self.suite.lm
        if not self.lm_spec:
            raise UsageError(f"{self.suite.name}: the program needs an LM: pass --lm (a model or py:factory)")
        if self.lm_spec.startswith("replay:"):
            raise UsageError(
                f"--lm {self.lm_spec}: a replay recording answers only the prompts it recorded, and an "
                "optimizer changes them: pass a live model (e.g. openai/gpt-4o-mini) or a py: factory "
                "(offline demo: py:harness.demo:program_lm)"
            )
        self.lm = self._lm(self.lm_spec, "--lm")
        self.reflection_lm = (
            self._lm(opts.reflection_lm, "--reflection-lm") if opts.reflection_lm else self.lm
        )
        judge_spec = resolve_lm_spec(opts.judge_lm or self.suite.judge, self.suite) or "heuristic"
        try:
            self.judge = make_judge(with_defaults(judge_spec, cache=False))
        except (ValueError, OSError) as e:
            raise UsageError(f"--judge-lm {judge_spec}: {e}") from None

    def _lm(self, spec: str, flag: str) -> dspy.BaseLM:
        """The LM `spec` names; a live model whose API key is not set fails now (as the evaluation
        LMs do), not after the optimizer has run for hours."""
        if spec in self.given_lms:
            return self.given_lms[spec]
        require_key(flag, spec, offline="a py: LM")
        try:
            # A fresh sample per call, as in runs: DSPy's on-disk cache would answer an earlier
            # optimisation's prompts with its replies and 0 tokens (`?cache=true` opts in).
            return make_lm(with_defaults(spec, cache=False))
        except (ValueError, OSError) as e:
            raise UsageError(f"{flag} {spec}: {e}") from None

    @property
    def program_path(self) -> Path:
        return self.folder / "program.json"

    @property
    def outcome_path(self) -> Path:
        return self.folder / "optimizer.json"

    def run_id(self, role: str) -> str:
        return f"{self.id}-{role}"

    def eval_options(self, role: str) -> RunOptions:
        """The run of `role` (baseline or optimized) on the test split."""
        program = self.opts.program if role == "baseline" else f"{self.opts.program}@{self.program_path}"
        return RunOptions(
            suites=(self.suite.path,),
            program=program,
            answer_field=self.opts.answer_field,
            lm=self.lm_spec,
            judge_lm=self.opts.judge_lm,
            compiler=self.opts.compiler,
            concurrency=max(1, self.opts.threads),
            split=HELD_OUT,
            out=self.opts.out,
            compile_cache=self.opts.compile_cache,
        )

    def save_options(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / OPTIONS_FILE
        if not path.exists():
            path.write_text(json.dumps({"id": self.id, "options": asdict(self.opts)}, indent=2))

    # -- the optimizer --------------------------------------------------------------------------

    def optimize(self) -> Outcome:
        """Run the optimizer (or load its finished outcome) and save the optimised program."""
        self.save_options()
        if self.program_path.is_file() and self.outcome_path.is_file():
            return Outcome.load(self.outcome_path)
        student = self.program.module
        assert student is not None
        if hasattr(type(student), "aforward"):  # optimizers call programs synchronously
            dspy.syncify(student, in_place=True)
        original = type(student)
        if self.opts.predictors:
            restrict(student, self.opts.predictors)
        trail = CandidateTrail(self.folder, self.program.name, self.opts.answer_field, self.splits.val)
        trail.watch(student)
        start = time.monotonic()
        with Compiler(self.opts.compiler or self.suite.compiler, cache=self.opts.compile_cache) as compiler:  # type: ignore[arg-type]
            metric = make_metric(
                Scorer(compiler, self.judge, self.suite.dependencies), self.opts.answer_field, trail.observe
            )
            train = [case_example(c, self.suite.scoring) for c in self.splits.train]
            val = [case_example(c, self.suite.scoring) for c in self.splits.val]
            with dspy.context(lm=self.lm):
                if self.opts.optimizer == "gepa":
                    optimized, seed, best, calls, candidates = self._gepa(student, metric, train, val)
                else:
                    optimized, seed, best, calls, candidates = self._miprov2(student, metric, train, val)
        optimized.__class__ = original
        optimized.__dict__.pop("forward", None)  # syncify's instance method: not part of the program
        optimized.save(str(self.program_path), save_program=False)
        after = predictor_state(optimized)
        outcome = Outcome(
            optimizer=self.opts.optimizer,
            program_path=str(self.program_path),
            seed_val_score=seed,
            best_val_score=best,
            metric_calls=calls,
            candidates=candidates,
            changed=[n for n, s in after.items() if s != self.baseline_state.get(n)],
            wall_s=round(time.monotonic() - start, 1),
        )
        self.outcome_path.write_text(json.dumps(asdict(outcome), indent=2))
        return outcome

    def _gepa(
        self, student: dspy.Module, metric: Any, train: list[dspy.Example], val: list[dspy.Example]
    ) -> tuple[dspy.Module, float | None, float | None, int | None, list[dict[str, Any]]]:
        budget: dict[str, Any] = (
            {"max_metric_calls": self.opts.max_metric_calls}
            if self.opts.max_metric_calls
            else {"auto": self.opts.auto}
        )
        gepa = dspy.GEPA(
            metric=metric,
            reflection_lm=self.reflection_lm,
            num_threads=self.opts.threads,
            log_dir=str(self.folder / "gepa"),
            track_stats=True,
            seed=self.opts.seed,
            **budget,
        )
        optimized = gepa.compile(student, trainset=train, valset=val)
        details = optimized.detailed_results
        candidates = [
            {
                "index": i,
                "val_score": round(float(score), 4),
                "parents": details.parents[i],
                "instructions": {n: p.signature.instructions for n, p in cand.named_predictors()},
                "key": candidate_key(cand),
                "val_scores": {
                    val[int(j)].case.id: round(float(x), 4) for j, x in details.val_subscores[i].items()
                },
            }
            for i, (cand, score) in enumerate(
                zip(details.candidates, details.val_aggregate_scores, strict=True)
            )
        ]
        del optimized.detailed_results  # not part of the program
        seed, best = (round(float(details.val_aggregate_scores[i]), 4) for i in (0, details.best_idx))
        return optimized, seed, best, details.total_metric_calls, candidates

    def _miprov2(
        self, student: dspy.Module, metric: Any, train: list[dspy.Example], val: list[dspy.Example]
    ) -> tuple[dspy.Module, float | None, float | None, int | None, list[dict[str, Any]]]:
        def score(gold: dspy.Example, pred: dspy.Prediction, trace: Any = None) -> float:
            return float(metric(gold, pred, trace).score)

        budget: dict[str, Any] = (
            {"auto": None, "num_candidates": self.opts.trials}
            if self.opts.trials
            else {"auto": self.opts.auto}
        )
        mipro = dspy.MIPROv2(
            metric=score,
            prompt_model=self.reflection_lm,
            task_model=self.lm,
            max_labeled_demos=0,  # the examples carry no answers; demos come from passing traces
            max_bootstrapped_demos=2,
            metric_threshold=0.9,  # a trace becomes a demo only when its answer scored this well
            num_threads=self.opts.threads,
            seed=self.opts.seed,
            log_dir=str(self.folder / "miprov2"),
            **budget,
        )
        trials = {"num_trials": self.opts.trials} if self.opts.trials else {}
        optimized = mipro.compile(student, trainset=train, valset=val, minibatch=len(val) > 35, **trials)
        # MIPROv2 reports dspy.Evaluate's percentages: scale them back to the metric's [0, 1].
        logs = {i: t for i, t in sorted((getattr(optimized, "trial_logs", None) or {}).items())}
        full = [
            (i, round(t["full_eval_score"] / 100, 4), t) for i, t in logs.items() if "full_eval_score" in t
        ]
        seed = full[0][1] if full else None
        best = round(optimized.score / 100, 4) if getattr(optimized, "score", None) is not None else None
        candidates = [
            {"index": i, "val_score": score, "params": t.get("full_eval_program_params")}
            | _program_fields(t.get("full_eval_program"))
            for i, score, t in full
        ]
        for attr in (
            "trial_logs",
            "candidate_programs",
            "mb_candidate_programs",
            "score",
            "prompt_model_total_calls",
            "total_calls",
        ):
            optimized.__dict__.pop(attr, None)
        return optimized, seed, best, None, _jsonable(candidates)  # MIPROv2 does not count metric calls


def _program_fields(program: Any) -> dict[str, Any]:
    """A MIPROv2 trial's program: its instructions by predictor and its candidate key."""
    if not isinstance(program, dspy.Module):
        return {}
    return {
        "instructions": {n: p.signature.instructions for n, p in program.named_predictors()},
        "key": candidate_key(program),
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def describe(opt: Optimization) -> list[str]:
    """The plan in a few lines: splits, predictors, budget, where things go."""
    o, s = opt.opts, opt.splits
    budget = (
        f"max {o.max_metric_calls} metric calls"
        if o.optimizer == "gepa" and o.max_metric_calls
        else f"{o.trials} trials"
        if o.optimizer == "miprov2" and o.trials
        else f"auto={o.auto}"
    )
    names = [n for n, _ in opt.program.module.named_predictors()] if opt.program.module else []
    lines = [
        f"optimize {opt.id}: {o.optimizer} ({budget}) on {opt.suite.name}, program {o.program}",
        f"  train {len(s.train)}: {', '.join(c.id for c in s.train)}",
        f"  val   {len(s.val)}: {', '.join(c.id for c in s.val)}",
        f"  test  {len(s.test)} held out: {', '.join(c.id for c in s.test)}",
        f"  predictors tuned: {', '.join(o.predictors or names)}"
        + (f" (frozen: {', '.join(n for n in names if n not in o.predictors)})" if o.predictors else ""),
        f"  lm {opt.lm_spec}; reflection lm {o.reflection_lm or opt.lm_spec}; "
        f"judge {o.judge_lm or opt.suite.judge}",
        f"  state in {opt.folder} (resume with --resume {opt.id})",
    ]
    if s.note:
        lines.append(f"  note: {s.note}")
    if len(s.test) < SMALL_TEST_SPLIT:
        lines.append(
            f"  warning: the test split has {len(s.test)} case(s): too few for the before/after comparison "
            f"to tell a real change from noise (aim for at least {SMALL_TEST_SPLIT})"
        )
    return lines
