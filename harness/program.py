"""The program stage: load the program under test and ask it a case's query, async first.

`--program` / a suite's `program:` accepts:

- `golden`: answers with the case's golden reference in a ```cairo block (the ceiling);
- `empty`: answers with prose and no code (the floor);
- `package.module:attr`: a `dspy.Module` subclass (instantiated with no arguments), a module
  instance, or a factory returning one;
- `package.module:attr@path/to/program.json`: the same, then a saved program
  (`.save("program.json", save_program=False)`, e.g. an optimizer's output) loaded onto it.

The calling convention: the harness calls a program with keywords only,

    await program.acall(query=<the case's query>)                      # every case
    await program.acall(query=..., chat_history=[{"role": "user", "content": "..."}, ...])

`chat_history` is passed only for cases that have one (earlier turns, oldest first). A module
with `aforward` is awaited through `acall`; a sync-only module runs in a daemon thread of its
own, which a case timeout stops waiting for and which never keeps the process alive (a hung
`forward` cannot stall the end of a run). `check_inputs` checks, before any case runs, that
the method the harness will call accepts these keywords. The LM is set per call with
`dspy.context(lm=…)`, so the program and the judge can use different models in one event
loop. A program that holds resources (the reference pipeline's Postgres pool) closes them in
`aclose()`, which the caller awaits once, on the loop that used them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dspy

from .paths import TargetError, import_target
from .suite import Case


class ProgramError(ValueError):
    """The program could not be loaded, does not produce the answer field, or cannot be called
    with the cases' inputs."""


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs each call in a new daemon thread and never waits for one.

    `asyncio.to_thread` and the default `ThreadPoolExecutor` join their threads when the loop
    closes and again at interpreter exit, so one call that never returns (a hung sync program, a
    stuck client) keeps the process alive forever. Set as a run loop's default executor, this
    one lets the run end: a timed-out call is abandoned, and its thread dies with the process.
    (A `ThreadPoolExecutor` by type only, as asyncio requires of a default executor: it never
    starts a pool thread.)
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as e:
                future.set_exception(e)
            else:
                future.set_result(result)

        threading.Thread(target=work, name="cairo-evals-call", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass  # nothing to join: abandoned calls end with the process


async def in_daemon_thread(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """`asyncio.to_thread`, but in a daemon thread nobody joins (see `DaemonExecutor`); context
    variables (`dspy.context`, the current case) follow the call as with `to_thread`."""
    loop = asyncio.get_running_loop()
    call = contextvars.copy_context().run
    return await loop.run_in_executor(_DAEMON, lambda: call(fn, *args, **kwargs))


_DAEMON = DaemonExecutor()


@dataclass(frozen=True)
class Answer:
    """What the program said for one case.

    Attributes:
        text: the answer field's text; None when the call failed (see `error`).
        usage: tokens per LM, as DSPy's usage tracker reports them.
        extra: other output fields worth keeping (e.g. the retrieved `sources`).
    """

    case: str
    text: str | None
    duration_s: float
    error: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Program:
    """A loaded program under test.

    Args:
        name: the spec it was loaded from (recorded with every result).
        module: the DSPy module; None for the built-ins.
        answer_field: the output field holding the answer text.
        input_field: the keyword the query is passed as.
    """

    def __init__(
        self, name: str, module: dspy.Module | None, answer_field: str = "answer", input_field: str = "query"
    ) -> None:
        self.name = name
        self.module = module
        self.answer_field = answer_field
        self.input_field = input_field

    async def _predict(self, case: Case) -> dspy.Prediction:
        assert self.module is not None
        kwargs: dict[str, Any] = {self.input_field: case.query}
        if case.chat_history:
            kwargs["chat_history"] = [{"role": r, "content": c} for r, c in case.chat_history]
        if hasattr(type(self.module), "aforward"):
            return await self.module.acall(**kwargs)
        return await in_daemon_thread(self.module, **kwargs)  # contextvars (dspy.context) follow

    def check_inputs(self, cases: Sequence[Case]) -> None:
        """Before any case runs: the method the harness calls must accept the keywords it will
        be given (see the module docstring); raise `ProgramError` saying what it accepts."""
        if self.module is None:
            return
        needed = [self.input_field] + (["chat_history"] if any(c.chat_history for c in cases) else [])
        method_name = "aforward" if hasattr(type(self.module), "aforward") else "forward"
        # Read from the class: DSPy warns when `module.forward` is fetched from an instance.
        method = getattr(type(self.module), method_name, None)
        if method is None:
            return
        try:
            sig = inspect.signature(method)
        except (TypeError, ValueError):  # a builtin or C callable: nothing to read
            return
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])  # without `self`
        params = sig.parameters.values()
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
        named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        missing = [n for n in needed if n not in named and not takes_any]
        required = [
            p.name
            for p in params
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
            and p.name not in needed
        ]
        shown = ", ".join(
            ("**" if p.kind is p.VAR_KEYWORD else "*" if p.kind is p.VAR_POSITIONAL else "") + p.name
            for p in params
        )
        where = f"{type(self.module).__name__}.{method_name}({shown})"
        if takes_any and not named & set(needed):
            # forward(**kwargs), e.g. a bare dspy.Predict: its DSPy signature says what it reads
            signature = getattr(self.module, "signature", None) or getattr(
                getattr(self.module, "predict", None), "signature", None
            )
            inputs = list(getattr(signature, "input_fields", None) or [])
            if inputs:
                missing = [n for n in needed if n not in inputs]
                where = f"{type(self.module).__name__} with inputs ({', '.join(inputs)})"
        if missing or required:
            problems = []
            if missing:
                problems.append(f"does not accept {', '.join(f'{n}=' for n in missing)}")
            if required:
                problems.append(f"requires {', '.join(required)}, which the harness never passes")
            raise ProgramError(
                f"program {self.name}: {where} {' and '.join(problems)}. The harness calls a program "
                f"as program({self.input_field}=<the case's query>)"
                + (
                    ", plus chat_history=[{'role': …, 'content': …}, …] for cases with earlier turns"
                    if "chat_history" in needed
                    else ""
                )
                + "; give the method those parameters."
            )

    async def answer(self, case: Case, lm: dspy.LM | None = None) -> Answer:
        """Ask the program the case's query with `lm` (None: the LM already in dspy.settings).

        The program's own errors propagate: the runner decides what to retry and records the rest.
        """
        start = time.monotonic()
        with dspy.context(track_usage=True, **({"lm": lm} if lm is not None else {})):
            pred = await self._predict(case)
        text = getattr(pred, self.answer_field, None)
        if text is None:
            fields = ", ".join(pred.keys()) if hasattr(pred, "keys") else type(pred).__name__
            raise ProgramError(
                f"{self.name}: the output has no field '{self.answer_field}' (it has: {fields}); "
                "set --answer-field"
            )
        extra = {k: v for k, v in pred.items() if k != self.answer_field and _jsonable(v)}
        usage = (pred.get_lm_usage() or {}) if hasattr(pred, "get_lm_usage") else {}
        return Answer(case.nodeid, str(text), round(time.monotonic() - start, 3), usage=usage, extra=extra)

    async def aclose(self) -> None:
        close = getattr(self.module, "aclose", None)
        if close is not None:
            await close()


class GoldenProgram(Program):
    """The ceiling: answers with the golden reference."""

    def __init__(self) -> None:
        super().__init__("golden", None)

    async def answer(self, case: Case, lm: dspy.LM | None = None) -> Answer:
        return Answer(
            case.nodeid, f"Here is the reference solution.\n\n```cairo\n{case.golden.rstrip()}\n```\n", 0.0
        )


class EmptyProgram(Program):
    """The floor: prose, no code."""

    def __init__(self) -> None:
        super().__init__("empty", None)

    async def answer(self, case: Case, lm: dspy.LM | None = None) -> Answer:
        return Answer(
            case.nodeid, "I am not able to write this in Cairo; please consult the Cairo book.", 0.0
        )


def _jsonable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | list | dict | type(None))


def _import(target: str) -> Any:
    try:
        return import_target(
            target, "'golden', 'empty', 'package.module:attr' or 'package.module:attr@program.json'"
        )
    except TargetError as e:
        raise ProgramError(str(e)) from None


def _instantiate(target: str, obj: Any) -> dspy.Module:
    if isinstance(obj, dspy.Module):
        return obj
    if inspect.isclass(obj) and issubclass(obj, dspy.Module):
        return obj()
    if callable(obj):
        made = obj()
        if isinstance(made, dspy.Module):
            return made
        raise ProgramError(
            f"'{target}' is a factory, but it returned {type(made).__name__}, not a dspy.Module"
        )
    raise ProgramError(
        f"'{target}' is a {type(obj).__name__}, expected a dspy.Module class, instance or factory"
    )


def _check_answer_field(target: str, module: dspy.Module, answer_field: str) -> None:
    """Before any case runs: some predictor must produce the answer field."""
    outputs = {name for _, p in module.named_predictors() for name in p.signature.output_fields}
    if outputs and answer_field not in outputs:
        raise ProgramError(
            f"'{target}': no predictor outputs '{answer_field}' (outputs: {', '.join(sorted(outputs))}); "
            "set --answer-field"
        )


def load_program(spec: str, *, answer_field: str = "answer", input_field: str = "query") -> Program:
    """The program named by `spec` (see the module docstring); raise ProgramError saying what was tried."""
    if spec == "golden":
        return GoldenProgram()
    if spec == "empty":
        return EmptyProgram()
    target, _, saved = spec.partition("@")
    module = _instantiate(target, _import(target))
    if saved:
        path = Path(saved)
        if not path.is_file():
            raise ProgramError(f"saved program not found: {saved}")
        try:
            module.load(str(path))
        except Exception as e:  # DSPy raises several types for a mismatched file
            raise ProgramError(f"cannot apply {saved} onto '{target}': {e}") from None
    _check_answer_field(target, module, answer_field)
    return Program(spec, module, answer_field, input_field)
