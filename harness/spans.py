"""What the program under test did for one case, as plain spans (no MLflow here).

While a case runs, `recording()` collects spans: one per DSPy module call, LM call (its
messages, reply, tokens and cost, from the LM's history entry) and tool call (through a DSPy
callback), and the spans a program opens itself with `span(...)` (the RAG pipeline's retrieval,
with the chunks it returned). The adapter's format and parse steps are left out: the LM span
has the messages they make, and each span costs the store a row. Outside a recording `span`
does nothing, so a program costs nothing extra when nobody traces it.

The runner writes each case's spans to `spans.jsonl` in the run folder (full texts); the
tracking stage turns them into the MLflow trace of that case (`harness.traces`), so a run logged
later (`cairo-evals log`) gets the same traces.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dspy
from dspy.utils.callback import BaseCallback

log = logging.getLogger(__name__)


@dataclass
class SpanRecord:
    """One span: `parent` is the index of the parent span in the case's list (None: top level)."""

    name: str
    kind: str  # an MLflow span type: CHAIN, CHAT_MODEL, RETRIEVER, PARSER, TOOL …
    start_ns: int
    end_ns: int | None = None
    parent: int | None = None
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpanRecord:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class Recording:
    """The spans of one case, in start order."""

    def __init__(self) -> None:
        self.spans: list[SpanRecord] = []

    def open(self, name: str, kind: str, inputs: Any = None, parent: int | None = None) -> int:
        self.spans.append(SpanRecord(name, kind, time.time_ns(), parent=parent, inputs=_plain(inputs)))
        return len(self.spans) - 1

    def close(self, index: int, outputs: Any = None, error: BaseException | str | None = None) -> None:
        span = self.spans[index]
        span.end_ns = time.time_ns()
        if outputs is not None:
            span.outputs = _plain(outputs)
        if error is not None:
            span.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"


_RECORDING: contextvars.ContextVar[Recording | None] = contextvars.ContextVar(
    "cairo_evals_spans", default=None
)
_PARENT: contextvars.ContextVar[int | None] = contextvars.ContextVar("cairo_evals_span_parent", default=None)


class Handle:
    """What `span` yields: set the span's outputs and attributes (no-ops outside a recording)."""

    def __init__(self, recording: Recording | None, index: int | None) -> None:
        self._recording, self._index = recording, index

    def set_outputs(self, outputs: Any) -> None:
        if self._recording is not None and self._index is not None:
            self._recording.spans[self._index].outputs = _plain(outputs)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        if self._recording is not None and self._index is not None:
            self._recording.spans[self._index].attributes.update(_plain(attributes))


@contextlib.contextmanager
def span(name: str, kind: str = "UNKNOWN", inputs: Any = None) -> Iterator[Handle]:
    """A span of the current case (nested under the enclosing one); a no-op outside `recording`."""
    recording = _RECORDING.get()
    if recording is None:
        yield Handle(None, None)
        return
    index = recording.open(name, kind, inputs, _PARENT.get())
    token = _PARENT.set(index)
    try:
        yield Handle(recording, index)
    except BaseException as e:
        recording.close(index, error=e)
        raise
    else:
        recording.close(index)
    finally:
        _PARENT.reset(token)


class _DSPyRecorder(BaseCallback):
    """DSPy's callbacks as spans of the current recording. Start and end of one call run in the
    same context (DSPy's `with_callbacks`), so the parent is a context variable, async-safe."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[Recording, int, contextvars.Token[int | None], Any]] = {}

    def _start(self, call_id: str, name: str, kind: str, inputs: Any, instance: Any = None) -> None:
        recording = _RECORDING.get()
        if recording is None:
            return
        index = recording.open(name, kind, inputs, _PARENT.get())
        self._open[call_id] = (recording, index, _PARENT.set(index), instance)

    def _end(
        self, call_id: str, outputs: Any, exception: BaseException | None
    ) -> tuple[Recording, int] | None:
        found = self._open.pop(call_id, None)
        if found is None:
            return None
        recording, index, token, _ = found
        with contextlib.suppress(ValueError):  # reset from another context: leave the parent be
            _PARENT.reset(token)
        recording.close(index, outputs, exception)
        return recording, index

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        kind = "LLM" if isinstance(instance, dspy.Predict) else "CHAIN"
        self._start(call_id, _module_name(instance), kind, {k: v for k, v in inputs.items() if k != "self"})

    def on_module_end(self, call_id: str, outputs: Any, exception: Exception | None = None) -> None:
        self._end(call_id, outputs, exception)

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        messages = inputs.get("messages") or [{"role": "user", "content": inputs.get("prompt")}]
        self._start(
            call_id,
            f"LM {getattr(instance, 'model', '')}".strip(),
            "CHAT_MODEL",
            {"messages": messages},
            instance,
        )
        if call_id in self._open:
            recording, index = self._open[call_id][:2]
            recording.spans[index].attributes["model"] = str(getattr(instance, "model", ""))

    def on_lm_end(self, call_id: str, outputs: Any, exception: Exception | None = None) -> None:
        found = self._open.get(call_id)
        instance = found[3] if found else None
        ended = self._end(call_id, outputs, exception)
        if ended is None or instance is None:
            return
        entry = _history_entry(instance, outputs)
        if entry is not None:
            recording, index = ended
            usage = entry.get("usage") or {}
            recording.spans[index].attributes.update(
                {
                    "usage": _plain(
                        {k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
                    ),
                    "cost": entry.get("cost"),
                    "response_model": str(entry.get("response_model") or ""),
                }
            )

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self._start(call_id, f"Tool {getattr(instance, 'name', '')}".strip(), "TOOL", inputs)

    def on_tool_end(self, call_id: str, outputs: Any, exception: Exception | None = None) -> None:
        self._end(call_id, outputs, exception)


_RECORDER = _DSPyRecorder()


@contextlib.contextmanager
def recording(enabled: bool = True) -> Iterator[Recording | None]:
    """Record the spans of the code run inside (the current task and the tasks it starts)."""
    if not enabled:
        yield None
        return
    rec = Recording()
    token, parent = _RECORDING.set(rec), _PARENT.set(None)
    callbacks = [c for c in (dspy.settings.callbacks or []) if c is not _RECORDER]
    try:
        with dspy.context(callbacks=[*callbacks, _RECORDER]):
            yield rec
    finally:
        _PARENT.reset(parent)
        _RECORDING.reset(token)


def _module_name(instance: Any) -> str:
    """`Predict(query, chat_history -> answer)`: a predictor by its fields (a signature changed
    by an optimizer loses its class name)."""
    name = type(instance).__name__
    fields = getattr(getattr(instance, "signature", None), "signature", None)
    return f"{name}({fields})" if isinstance(fields, str) else name


def _history_entry(lm: Any, outputs: Any) -> dict[str, Any] | None:
    """The history entry of the LM call that returned `outputs` (DSPy returns the very list it
    stores): the LM's own history, else DSPy's global one (runs may keep no per-LM history)."""
    from dspy.clients.base_lm import GLOBAL_HISTORY

    for history in (getattr(lm, "history", None) or [], GLOBAL_HISTORY):
        for entry in reversed(history[-256:]):
            if isinstance(entry, dict) and entry.get("outputs") is outputs:
                return entry
    return None


def _plain(value: Any, depth: int = 0) -> Any:
    """JSON-ready: DSPy Predictions and Examples as dicts, dataclasses as dicts, others as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if depth > 6:
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, (dspy.Prediction, dspy.Example)):
        return {k: _plain(v, depth + 1) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k), depth + 1) for k in value.__dataclass_fields__}
    if isinstance(value, type):
        return value.__name__
    return str(value)


SPANS_FILE = "spans.jsonl"


def append_case(path: Path, result: Any, recorded: Recording) -> None:
    """Append one case's spans to the run's spans file. A failure here is a warning: the spans are
    for the trace, and the verdict is already in results.jsonl."""
    line = {
        "suite": result.suite,
        "case": result.case,
        "sample": result.sample,
        "spans": [s.to_dict() for s in recorded.spans],
    }
    try:
        data = (json.dumps(line, ensure_ascii=False, default=str) + "\n").encode()
        # one write on an O_APPEND descriptor: lines from pytest-xdist workers never interleave
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
    except (OSError, TypeError, ValueError) as e:
        log.warning("could not save the spans of %s to %s: %s", result.case, path, e)


def read_spans(folder: Path) -> dict[tuple[str, str, int], list[SpanRecord]]:
    """Each case's spans from a run folder's spans file; a redone case's later line wins, a torn
    line is skipped. Empty when the run recorded none (`--no-mlflow`, an older run)."""
    path = Path(folder) / SPANS_FILE
    found: dict[tuple[str, str, int], list[SpanRecord]] = {}
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            data = json.loads(line)
            key = (str(data["suite"]), str(data["case"]), int(data.get("sample", 0)))
            found[key] = [SpanRecord.from_dict(s) for s in data["spans"]]
        except (ValueError, KeyError, TypeError):
            continue
    return found
