"""The program stage: load the program under test and ask it a case's query, async first.

`--program` / a suite's `program:` accepts:

- `golden`: answers with the case's golden reference in a ```cairo block (the ceiling);
- `empty`: answers with prose and no code (the floor);
- `package.module:attr`: a `dspy.Module` subclass (instantiated with no arguments), a module
  instance, or a factory returning one;
- `package.module:attr@path/to/program.json`: the same, then a saved program
  (`.save("program.json", save_program=False)`, e.g. an optimizer's output) loaded onto it.

Calling: a module with `aforward` is awaited through `acall`; a sync-only module runs in a
worker thread. The LM is set per call with `dspy.context(lm=…)`, so the program and the
judge can use different models in one event loop. A program that holds resources (the
reference pipeline's Postgres pool) closes them in `aclose()`, which the caller awaits once,
on the loop that used them.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dspy

from .paths import TargetError, import_target
from .suite import Case


class ProgramError(ValueError):
    """The program could not be loaded, or does not produce the answer field."""


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
        return await asyncio.to_thread(self.module, **kwargs)  # contextvars (dspy.context) follow

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
