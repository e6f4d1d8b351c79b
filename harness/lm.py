"""The LMs a run talks to: a live model, a recording of one, or a replay of a recording.

`make_lm` turns the `--lm` / suite `lm:` string into a `dspy.LM`:

- a LiteLLM model string (`openai/gpt-4o-mini`, `anthropic/claude-…`) is handed to
  `dspy.LM` untouched: keys come from the provider's usual env vars;
- `record:<model>` calls that same live model and appends every request and response to a
  JSONL recording;
- `replay:<path>` answers from such a recording, offline, and fails loudly (`ReplayMiss`)
  on a request it has no answer for;
- `py:<package.module:attr>` is an LM built by your own code: a `dspy.BaseLM` instance, or a
  function (or class) returning one, called with no arguments. For clients LiteLLM does not
  cover, and for scripted offline models (`py:harness.demo:program_lm`).

Record and replay are DSPy 3.4 engine objects (`complete(Request) -> Response`), the
supported custom-LM interface, so adapters, retries, callbacks, usage tracking and history
run through DSPy's own code exactly as for a live model.

A custom engine gets no price from DSPy (its history entry says "custom engine has no
pricing provider"), so these LMs are a small `dspy.LM` subclass that puts the recorded
usage, cost and cost details into each history entry: a replayed call's `lm.history[-1]`
shows the figures the live call showed when it was recorded.

This module reads DSPy internals that are stable within the pinned `dspy>=3.4,<3.5`:
`dspy.clients.execution.execute/aexecute/prepare` (to run the live engine once per
request without touching history), `dspy.clients.call_result.usage_dict` and lm15's
`serde` (the canonical JSON of requests and responses).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import json
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dspy
from dspy._vendor.lm15.serde import request_from_dict, request_to_dict, response_from_dict, response_to_dict
from dspy.lm15 import Message, RateLimitError, Request, Response, TextPart, Usage, response_to_events
from dspy.utils.exceptions import LMConfigurationError, LMProviderError, LMTransportError

from .endpoint import Endpoint, RateLimit, parse_spec, rate_limit

# LiteLLM logs every call at INFO; quiet unless the user asked for its log (LITELLM_LOG=INFO).
os.environ.setdefault("LITELLM_LOG", "ERROR")

try:  # cross-process exclusion for the header check; absent on Windows
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CURRENT_CASE",
    "KEY_DESCRIPTION",
    "AsyncScriptedEngine",
    "MalformedReply",
    "PricedResponse",
    "ReplayMiss",
    "ScriptedEngine",
    "chat_adapter_reply",
    "current_case",
    "make_lm",
    "missing_credentials",
    "prompt_text",
    "read_recording",
    "recording_lm",
    "replay_lm",
    "request_key",
    "system_text",
]

CURRENT_CASE: ContextVar[str | None] = ContextVar("cairo_evals_current_case", default=None)
"""The case being answered (e.g. `starknet-basics::owned-counter`), set by the runner.

Recording writes it into each entry; a replay miss names it. Context variables follow
asyncio tasks and `asyncio.to_thread`, so each concurrent case sees its own value.
"""

RECORDING_FORMAT = 1

KEY_DESCRIPTION = (
    "sha256 of the canonical JSON of the lm15 request without its model: system prompt, "
    "messages (all parts), tools, and generation config (max_tokens, temperature, top_p, top_k, "
    "stop, response_format, tool_choice, reasoning, seed, penalties, logprobs, probabilities, "
    "extensions); not the model name, API keys or endpoints, DSPy's rollout_id or cache flags, "
    "prompt-cache settings, service_tier, user_id or store"
)
"""What the replay key covers, in words (also written into each recording's header)."""

# Config fields that change where or how a request is served, not what it asks for.
_NOT_IN_KEY = ("cache", "service_tier", "user_id", "store")

# dspy.LM settings that configure the connection; with record: they go to the live LM
# (a custom engine refuses them), everything else configures the outer LM's requests.
_CLIENT_KEYS = frozenset(
    {
        "api_key",
        "api_base",
        "base_url",
        "headers",
        "extra_headers",
        "timeout",
        "api_version",
        "azure_ad_token_provider",
        "organization",
        "project",
        "extra_query",
        "custom_llm_provider",
        "engine",
    }
)

_NO_PRICE = {"kind": "unknown", "reason": "custom engine has no pricing provider"}


# ─── Errors ──────────────────────────────────────────────────────────────────


class ReplayMiss(LMConfigurationError):
    """A replayed LM was asked something its recording has no answer for.

    A subclass of `dspy.utils.exceptions.LMConfigurationError`: DSPy passes its own LM
    errors through its engine boundary unchanged, never retries a configuration error, and
    its adapters only fall back on parse errors, so this reaches the caller as raised, with
    DSPy's usual `[model] ` prefix on the message.

    Attributes:
        case: the `CURRENT_CASE` at the time of the call, or None.
        path: the recording file.
        key: the request's replay key (`request_key`).
    """

    default_code = "replay_miss"

    def __init__(self, message: str, *, case: str | None, path: Path, key: str, model: str | None = None):
        self.case = case
        self.path = path
        self.key = key
        super().__init__(message, model=model)


# ─── Keys and small helpers ──────────────────────────────────────────────────


def request_key(request: Request) -> str:
    """The replay key of a request: what it asks, not who is asked (see `KEY_DESCRIPTION`).

    Two requests share a key when a model would see the same prompt under the same
    output-affecting settings. The model name is left out so a recording can be replayed
    under any LM name; API keys, endpoints and DSPy's rollout ids never reach the lm15
    request at all.
    """
    data = request_to_dict(request)
    data.pop("model", None)
    config = data.get("config") or {}
    for name in _NOT_IN_KEY:
        config.pop(name, None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def system_text(request: Request) -> str:
    """The request's system prompt as text (DSPy's adapters put the instructions there)."""
    system = request.system
    if isinstance(system, tuple):
        system = "".join(getattr(part, "text", "") or "" for part in system)
    return system or ""


def prompt_text(request: Request) -> str:
    """All the text a request shows the model: system prompt, then each message's text."""
    texts = [system_text(request)] + [message.text or "" for message in request.messages]
    return "\n\n".join(text for text in texts if text)


def chat_adapter_reply(**fields: Any) -> str:
    """A completion in DSPy's ChatAdapter format: `[[ ## name ## ]]` blocks, then `completed`.

    Handy for scripted engines: `chat_adapter_reply(reasoning="…", answer="42")`.
    """
    blocks = [f"[[ ## {name} ## ]]\n{value}" for name, value in fields.items()]
    return "\n\n".join([*blocks, "[[ ## completed ## ]]"])


@contextlib.contextmanager
def current_case(case_id: str | None) -> Iterator[None]:
    """Set `CURRENT_CASE` for the calls made inside the block (restored afterwards)."""
    token = CURRENT_CASE.set(case_id)
    try:
        yield
    finally:
        CURRENT_CASE.reset(token)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# ─── Priced responses and the LM that shows their price ──────────────────────


@dataclass(frozen=True)
class PricedResponse:
    """A response together with the figures DSPy's history shows for it.

    Attributes:
        response: the lm15 response.
        usage: the history's usage dict (`prompt_tokens`, `completion_tokens`, …).
        cost: estimated USD cost, or None when unknown.
        cost_details: DSPy's provenance of that cost (`{"kind": "estimate", …}` or why unknown).
    """

    response: Response
    usage: dict[str, Any]
    cost: float | None = None
    cost_details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def unpriced(cls, response: Response) -> PricedResponse:
        """Figures for a response from an engine that knows no price: what DSPy itself shows."""
        from dspy.clients.call_result import usage_dict

        if not isinstance(response, Response):
            raise TypeError(
                f"engine.complete must return a dspy.lm15.Response, got {type(response).__name__}"
            )
        return cls(response, usage_dict(response), None, dict(_NO_PRICE))


def _priced(engine: Any, request: Request) -> PricedResponse:
    """Ask a sync engine, with its own price when it has one (`complete_priced`)."""
    if callable(getattr(engine, "complete_priced", None)):
        return engine.complete_priced(request)
    return PricedResponse.unpriced(engine.complete(request))


async def _apriced(engine: Any, request: Request) -> PricedResponse:
    """Ask an async engine, with its own price when it has one (`complete_priced`)."""
    if callable(getattr(engine, "complete_priced", None)):
        return await engine.complete_priced(request)
    return PricedResponse.unpriced(await engine.complete(request))


class _Ledger:
    """Prices of responses handed to DSPy, until DSPy writes the history entry.

    Found by response identity (the entry holds the very object the engine returned),
    or for a streamed call by content; bounded, so nothing piles up when history is off.
    """

    def __init__(self, size: int = 1024):
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[int, PricedResponse] = OrderedDict()

    def note(self, priced: PricedResponse) -> Response:
        with self._lock:
            self._items[id(priced.response)] = priced
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return priced.response

    def take(self, response: Any) -> PricedResponse | None:
        with self._lock:
            priced = self._items.get(id(response))
            if priced is not None and priced.response is response:
                del self._items[id(response)]
                return priced
            # A streamed call's history holds the response DSPy reassembled from the
            # events: find the newest noted response with the same content.
            for ident, candidate in reversed(self._items.items()):
                old = candidate.response
                if (old.message, old.usage, old.finish_reason) == (
                    response.message,
                    response.usage,
                    response.finish_reason,
                ):
                    del self._items[ident]
                    return candidate
            return None


class _PricedLM(dspy.LM):
    """`dspy.LM` whose history entries carry the usage and cost its engine reported.

    Execution is untouched (DSPy still runs the engine with its own retries, callbacks and
    usage tracking). Two additions: `update_history` puts the engine's (or the configured)
    price into each entry, and a call waits for a slot of its endpoint's rate limit
    (`harness.endpoint`), when one is set.
    """

    endpoint: Endpoint | None = None  # a live model's connection settings (no key inside)

    def _limit(self) -> RateLimit | None:
        return rate_limit(self.endpoint) if self.endpoint is not None else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        limit = self._limit()
        _NO_CHOICES.set(False)
        with _malformed(self), limit.sync_slot() if limit else contextlib.nullcontext():
            return _completions(self, super().__call__(*args, **kwargs))

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        limit = self._limit()
        _NO_CHOICES.set(False)
        with _malformed(self):
            async with limit.slot() if limit else contextlib.nullcontext():
                return _completions(self, await super().acall(*args, **kwargs))

    def update_history(self, entry: dict[str, Any]) -> None:
        _NO_CHOICES.set(_no_choices(entry))
        if self.endpoint is not None and self.endpoint.price is not None:
            usage = entry.get("usage") or {}
            entry["cost"] = self.endpoint.cost(usage)
            entry["cost_details"] = {
                "kind": "configured",
                "currency": "USD",
                "usd_per_million_tokens": {"input": self.endpoint.price[0], "output": self.endpoint.price[1]},
            }
            super().update_history(entry)
            return
        ledger = getattr(self.engine, "ledger", None)
        response = entry.get("response")
        if ledger is not None and isinstance(response, Response):
            priced = ledger.take(response)
            if priced is not None:
                entry["usage"] = dict(priced.usage)
                entry["cost"] = priced.cost
                entry.pop("cost_details", None)
                if priced.cost_details:
                    entry["cost_details"] = dict(priced.cost_details)
        elif ledger is not None and isinstance(response, tuple):  # n > 1 candidates
            found = [ledger.take(item) for item in response]
            if found and all(found):
                costs = [p.cost for p in found]
                entry["cost"] = sum(costs) if all(c is not None for c in costs) else None
                entry["cost_details"] = {"candidates": [p.cost_details for p in found]}
        super().update_history(entry)


class MalformedReply(LMTransportError):
    """A live LM's reply was not a chat completion: not JSON (a gateway's HTML page), or no
    choices. Not the model's answer, so no verdict on it: retried like a transport error, and a
    harness fault if it persists. The message names the case."""

    default_code = "malformed_reply"


_NO_CHOICES: ContextVar[bool] = ContextVar("cairo_evals_no_choices", default=False)


def _no_choices(entry: dict[str, Any]) -> bool:
    """Whether a history entry's reply had an empty `choices` list (lm15 reads it as '')."""
    data = getattr(entry.get("response"), "provider_data", None)
    return isinstance(data, dict) and data.get("choices") == []


def _completions(lm: dspy.LM, outputs: Any) -> Any:
    if (isinstance(outputs, list) and not outputs) or _NO_CHOICES.get():
        raise MalformedReply(
            f"case {CURRENT_CASE.get() or '<none>'}: the reply had no choices (HTTP 200 without a "
            "completion); the server or a proxy in front of it is at fault, not the model",
            model=lm.model,
        )
    return outputs


@contextlib.contextmanager
def _malformed(lm: dspy.LM) -> Iterator[None]:
    """A reply lm15 could not read as JSON becomes a `MalformedReply` naming the case."""
    try:
        yield
    except LMProviderError as e:
        if "is not JSON" not in str(e):
            raise
        raise MalformedReply(
            f"case {CURRENT_CASE.get() or '<none>'}: the reply was not a chat completion: "
            f"{getattr(e, 'message', None) or e}",
            model=lm.model,
        ) from e


def _capabilities_of(engine: Any) -> dict[str, Any]:
    return {
        "supports_function_calling": bool(getattr(engine, "supports_function_calling", False)),
        "supports_reasoning": bool(getattr(engine, "supports_reasoning", False)),
        "supports_response_schema": bool(getattr(engine, "supports_response_schema", False)),
        "supported_params": sorted(getattr(engine, "supported_params", ()) or ()),
    }


class _Capable:
    """Adapter capability hints (DSPy reads them from a custom engine) held as data."""

    capabilities: dict[str, Any]

    @property
    def supports_function_calling(self) -> bool:
        return bool(self.capabilities.get("supports_function_calling"))

    @property
    def supports_reasoning(self) -> bool:
        return bool(self.capabilities.get("supports_reasoning"))

    @property
    def supports_response_schema(self) -> bool:
        return bool(self.capabilities.get("supports_response_schema"))

    @property
    def supported_params(self) -> frozenset[str]:
        return frozenset(self.capabilities.get("supported_params") or ())


class _SyncFace:
    """What DSPy calls on a sync engine, over the subclass's `complete_priced`.

    `complete` notes the price in `self.ledger` (for `_PricedLM`'s history) and returns
    the bare response; `stream` replays it as events; `close` has nothing to release
    (an inner engine is borrowed, a recording is held in memory).
    """

    ledger: _Ledger

    def complete_priced(self, request: Request) -> PricedResponse:
        raise NotImplementedError

    def complete(self, request: Request) -> Response:
        return self.ledger.note(self.complete_priced(request))

    def stream(self, request: Request):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        pass


class _AsyncFace:
    """The async twin of `_SyncFace`, over the subclass's `async complete_priced`."""

    ledger: _Ledger

    async def complete_priced(self, request: Request) -> PricedResponse:
        raise NotImplementedError

    async def complete(self, request: Request) -> Response:
        return self.ledger.note(await self.complete_priced(request))

    async def stream(self, request: Request):
        for event in response_to_events(await self.complete(request)):
            yield event

    async def aclose(self) -> None:
        pass


def _lm_kwargs(lm_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Settings for an outer record/replay LM: DSPy's response cache is always off.

    A cached answer would never reach the recording, and a replay is itself a cache that
    must serve repeats in turn.
    """
    kwargs = dict(lm_kwargs)
    if kwargs.pop("cache", False):
        raise ValueError("record:/replay: LMs never use DSPy's response cache; drop cache=True")
    client = sorted(k for k in kwargs if k in _CLIENT_KEYS)
    if client:
        raise ValueError(f"{client} configure a live connection; a replayed or scripted LM has none")
    return kwargs


# ─── Live engine: what DSPy itself would run for a model string ──────────────


class _LiveEngine:
    """The engine a plain `dspy.LM(model)` would use, run once per request.

    It delegates to an inner plain `dspy.LM` (cache off, no retries of its own) through
    DSPy's execution path, so engine selection (native lm15 or LiteLLM), credentials,
    error mapping and pricing are DSPy's own. It returns the response with the usage, cost
    and cost details the live call's history entry would show. Retries stay with the
    outer LM, which sees DSPy's public errors (a rate limit stays retryable).
    """

    def __init__(self, lm: dspy.LM):
        self.lm = lm

    def _call(self, request: Request) -> Any:
        from dspy.clients.execution import prepare

        if request.model != self.lm.model:
            request = replace(request, model=self.lm.model)
        return prepare(self.lm, request, None, {}, direct=True)

    def _result(self, result: Any) -> PricedResponse:
        cost, details = result.cost, dict(result.cost_details)
        if cost is None and "/" in self.lm.model:
            # Through LiteLLM, a call made with an explicit Request comes back unpriced; price it
            # from DSPy's own metadata as the native engine would.
            from dspy.clients.costs import estimate_cost

            provider, _, model = self.lm.model.partition("/")
            try:
                cost, details = estimate_cost(result.responses[0], provider=provider, requested_model=model)
            except Exception:  # no price known: leave it unknown
                cost = None
        return PricedResponse(result.responses[0], dict(result.usage), cost, dict(details or {}))

    def complete_priced(self, request: Request) -> PricedResponse:
        from dspy.clients.execution import execute

        # The outer LM streams to listeners itself; the inner call must not stream too.
        with dspy.settings.context(send_stream=None):
            return self._result(execute(self.lm, self._call(request)))

    def complete(self, request: Request) -> Response:
        return self.complete_priced(request).response

    def stream(self, request: Request):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        self.lm.close()

    @property
    def supports_function_calling(self) -> bool:
        return self.lm.supports_function_calling

    @property
    def supports_reasoning(self) -> bool:
        return self.lm.supports_reasoning

    @property
    def supports_response_schema(self) -> bool:
        return self.lm.supports_response_schema

    @property
    def supported_params(self) -> set[str]:
        return self.lm.supported_params


class _AsyncLiveEngine:
    """Async twin of `_LiveEngine` over the same inner LM (the recorder calls `complete_priced`)."""

    def __init__(self, sync: _LiveEngine):
        self.sync = sync

    async def complete_priced(self, request: Request) -> PricedResponse:
        from dspy.clients.execution import aexecute

        # prepare() may read local media files: off the loop, as dspy.LM.aforward does.
        call = await asyncio.to_thread(self.sync._call, request)
        with dspy.settings.context(send_stream=None):
            return self.sync._result(await aexecute(self.sync.lm, call))

    async def aclose(self) -> None:
        await self.sync.lm.aclose()


class _ThreadedAsync:
    """An async face for a sync-only inner engine (the recorder calls `complete_priced`),
    each call in a worker thread."""

    def __init__(self, sync: Any):
        self.sync = sync

    async def complete_priced(self, request: Request) -> PricedResponse:
        return await asyncio.to_thread(_priced, self.sync, request)


# ─── Recording ───────────────────────────────────────────────────────────────


class _RecordingFile:
    """Appends entries to a JSONL recording, durably and safely from anywhere.

    One `os.write` per line on an `O_APPEND` descriptor, then `fsync`: lines from
    concurrent threads, tasks and processes never interleave, and a crash loses at most
    the line being written. A thread lock orders this process's writers; an advisory
    `flock` makes the "is the file new, then write the header" check atomic across
    processes.
    """

    def __init__(self, path: Path, header: Callable[[], dict[str, Any]]):
        self.path = Path(path)
        self._header = header
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_size == 0:
                    line = json.dumps(self._header(), ensure_ascii=False) + "\n" + line
                data = line.encode("utf-8")
                while data:
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            finally:
                os.close(fd)  # also releases the flock


class _Recorder(_Capable):
    """State shared by a recording LM's sync and async engines."""

    def __init__(self, inner: Any, path: Path, model: str, label: str | None):
        self.inner = inner
        self.model = model
        self.label = label
        self.ledger = _Ledger()
        self.file = _RecordingFile(path, self._header)

    @property
    def capabilities(self) -> dict[str, Any]:  # read live: the inner engine is the authority
        return _capabilities_of(self.inner)

    def _header(self) -> dict[str, Any]:
        return {
            "kind": "header",
            "format": RECORDING_FORMAT,
            "model": self.model,
            "label": self.label,
            "created_at": _now(),
            "dspy": dspy.__version__,
            "capabilities": self.capabilities,
            "key": KEY_DESCRIPTION,
        }

    def entry(self, request: Request, priced: PricedResponse, case: str | None) -> dict[str, Any]:
        response = response_to_dict(priced.response, include_provider_data=True)
        response.update(history_usage=priced.usage, cost=priced.cost, cost_details=priced.cost_details)
        return {
            "key": request_key(request),
            "case": case,
            "model": self.model,
            "request": request_to_dict(request),
            "response": response,
            "recorded_at": _now(),
            "label": self.label,
        }


class _RecordingEngine(_SyncFace, _Capable):
    """Sync recording engine: ask the inner engine, append the exchange, return the answer."""

    def __init__(self, recorder: _Recorder):
        self.recorder = recorder
        self.ledger = recorder.ledger

    @property
    def capabilities(self) -> dict[str, Any]:
        return self.recorder.capabilities

    def complete_priced(self, request: Request) -> PricedResponse:
        case = CURRENT_CASE.get()
        priced = _priced(self.recorder.inner, request)
        self.recorder.file.append(self.recorder.entry(request, priced, case))
        return priced


class _AsyncRecordingEngine(_AsyncFace):
    """Async recording engine: the file write (with its fsync) runs off the event loop."""

    def __init__(self, recorder: _Recorder, inner: Any):
        self.recorder = recorder
        self.inner = inner
        self.ledger = recorder.ledger

    async def complete_priced(self, request: Request) -> PricedResponse:
        case = CURRENT_CASE.get()
        priced = await _apriced(self.inner, request)
        await asyncio.to_thread(self.recorder.file.append, self.recorder.entry(request, priced, case))
        return priced


def recording_lm(
    inner_engine: Any,
    inner_async_engine: Any | None,
    path: Path | str,
    model_name: str,
    label: str | None = None,
    **lm_kwargs: Any,
) -> dspy.LM:
    """A `dspy.LM` that answers through `inner_engine` and records every exchange.

    Each successful call appends one JSONL line to `path`:
    `{"key", "case", "model", "request", "response", "recorded_at", "label"}` where
    `request` is the canonical lm15 JSON of the request and `response` the lm15 response
    (message parts, finish reason, token usage, provider data) plus `history_usage`, `cost`
    and `cost_details` as DSPy's history showed them. A new file starts with a
    `{"kind": "header", …}` line (format, model, label, the engine's capability hints,
    what the key covers). Failed calls are not recorded; DSPy retries them as usual.

    Args:
        inner_engine: the engine that really answers (`complete(Request) -> Response`); a
            `complete_priced(Request) -> PricedResponse` method, when present, supplies
            usage and cost. Its capability hints (`supports_response_schema`, …) are
            the recording LM's, so adapters build the same prompts they would live.
        inner_async_engine: its async twin (`async def complete`), or None to run the sync
            engine in a worker thread for async calls.
        path: the JSONL file to append to (created with its folders when missing).
        model_name: the LM's model string, written to each entry (e.g. `openai/gpt-4o-mini`).
        label: a note on where the responses come from (e.g. "sample responses written
            for the demo"), written to the header and to every entry.
        **lm_kwargs: further `dspy.LM` settings (temperature, max_tokens, num_retries, …).
            DSPy's response cache is always off; `cache=True` is refused.
    """
    recorder = _Recorder(inner_engine, Path(path), model_name, label)
    async_inner = inner_async_engine if inner_async_engine is not None else _ThreadedAsync(inner_engine)
    engine = _RecordingEngine(recorder)
    return _PricedLM(
        model_name,
        engine=engine,
        async_engine=_AsyncRecordingEngine(recorder, async_inner),
        cache=False,
        **_lm_kwargs(lm_kwargs),
    )


# ─── Replay ──────────────────────────────────────────────────────────────────


@dataclass
class Recording:
    """A recording read into memory: its header and its entries by key, in file order."""

    path: Path
    header: dict[str, Any] | None
    by_key: dict[str, list[dict[str, Any]]]
    model: str | None


def read_recording(path: Path | str) -> Recording:
    """Read a JSONL recording; errors name the file and line.

    Keys are recomputed from each entry's stored request with this version's
    `request_key`, so a recording stays valid if what the key covers is refined; an entry
    without a readable request keeps its stored `key`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"replay recording {path} does not exist (relative paths are from {Path.cwd()}); "
            "record one with `--lm record:<model>`"
        )
    header: dict[str, Any] | None = None
    by_key: dict[str, list[dict[str, Any]]] = {}
    model = None
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
            if not isinstance(item, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object")
            if item.get("kind") == "header":
                header = header or item  # a concurrent second header is harmless
                continue
            if "response" not in item or not ("key" in item or "request" in item):
                raise ValueError(f"{path}:{number}: an entry needs `request`/`key` and `response`")
            try:
                key = request_key(request_from_dict(item["request"]))
            except Exception:
                if "key" not in item:
                    raise ValueError(f"{path}:{number}: `request` is not a readable lm15 request") from None
                key = item["key"]
            by_key.setdefault(key, []).append(item)
            model = model or item.get("model")
    model = (header or {}).get("model") or model
    return Recording(path, header, by_key, model)


class _Replayer(_Capable):
    """State shared by a replay LM's engines: the recording and a cursor per key."""

    def __init__(self, recording: Recording, model: str):
        self.recording = recording
        self.model = model
        self.capabilities = (recording.header or {}).get("capabilities") or {}
        self.ledger = _Ledger()
        self._lock = threading.Lock()
        self._served: dict[str, int] = {}

    def answer(self, request: Request) -> PricedResponse:
        key = request_key(request)
        entries = self.recording.by_key.get(key)
        if not entries:
            raise self._miss(key)
        with self._lock:
            turn = self._served.get(key, 0)
            self._served[key] = turn + 1
        data = dict(entries[turn % len(entries)]["response"])
        usage = data.pop("history_usage", None)
        cost = data.pop("cost", None)
        details = data.pop("cost_details", None)
        response = response_from_dict(data)
        if usage is None:
            return PricedResponse.unpriced(response)
        return PricedResponse(response, usage, cost, details or {})

    def _miss(self, key: str) -> ReplayMiss:
        case = CURRENT_CASE.get()
        path = self.recording.path
        recorded = (entry for entries in self.recording.by_key.values() for entry in entries)
        same_case = sum(1 for entry in recorded if case and entry.get("case") == case)
        if case is None:
            why = "No case was set (harness.lm.CURRENT_CASE), so the request cannot be tied to one."
        elif same_case:
            why = (
                f"The recording has {same_case} response(s) for this case under other keys: the prompt or "
                "generation settings changed since it was recorded."
            )
        else:
            why = "The recording has no responses for this case: it was never recorded."
        model = self.recording.model or "<provider/model>"
        return ReplayMiss(
            f"replay miss for case {case or '<none>'}: no recorded response in {path} for request key "
            f"{key} ({len(self.recording.by_key)} keys recorded). {why} Replay never falls back to a live "
            f"model. To re-record, run it with `--lm record:{model}` writing to {path} "
            f"(make_lm('record:{model}', record_to=...)), then replay again.",
            case=case,
            path=path,
            key=key,
            model=self.model,
        )


class _ReplayEngine(_SyncFace, _Capable):
    """Sync replay engine."""

    def __init__(self, replayer: _Replayer):
        self.replayer = replayer
        self.ledger = replayer.ledger

    @property
    def capabilities(self) -> dict[str, Any]:
        return self.replayer.capabilities

    def complete_priced(self, request: Request) -> PricedResponse:
        return self.replayer.answer(request)


class _AsyncReplayEngine(_AsyncFace):
    """Async replay engine (answers from memory; nothing to await but the contract)."""

    def __init__(self, replayer: _Replayer):
        self.replayer = replayer
        self.ledger = replayer.ledger

    async def complete_priced(self, request: Request) -> PricedResponse:
        return self.replayer.answer(request)


def replay_lm(path: Path | str, **lm_kwargs: Any) -> dspy.LM:
    """A `dspy.LM` that answers from a JSONL recording, by `request_key`, offline.

    The LM is named after the recorded model (header, else first entry) and declares the
    recorded capability hints, so adapters build the prompts they built while recording.
    Several recordings of one request (repeats) are served in recorded order, cycling, per
    LM instance. A request with no recording raises `ReplayMiss`; there is no fallback.

    Args:
        path: the recording (relative paths are from the working directory).
        **lm_kwargs: `dspy.LM` settings; they must match the recording run's generation
            settings (temperature, max_tokens, …) since those are part of the key.
    """
    recording = read_recording(path)
    model = recording.model or "replay/recording"
    replayer = _Replayer(recording, model)
    return _PricedLM(
        model,
        engine=_ReplayEngine(replayer),
        async_engine=_AsyncReplayEngine(replayer),
        cache=False,
        **_lm_kwargs(lm_kwargs),
    )


# ─── make_lm ─────────────────────────────────────────────────────────────────


def make_lm(spec: str, *, record_to: Path | None = None, **lm_kwargs: Any) -> dspy.LM:
    """Build the LM named by an `--lm` / suite `lm:` string.

    Args:
        spec: `provider/model` (any LiteLLM model string: a plain `dspy.LM`, keys from the
            provider's env vars), `record:provider/model` (that live model, every exchange
            appended to `record_to`), `replay:path/to/recording.jsonl`, or
            `py:package.module:attr` (an LM your code builds).
        record_to: the JSONL file a `record:` LM appends to; required for `record:` and
            refused for the others.
        **lm_kwargs: `dspy.LM` settings. For `record:`, connection settings (api_key,
            api_base, timeout, engine, …) configure the live model and the rest the
            requests, as with a plain LM.

    Raises:
        ValueError: an empty model or path, `record:` without `record_to`, or `record_to`
            with another kind of spec.
        FileNotFoundError: a `replay:` recording that does not exist.
    """
    kind, _, rest = spec.partition(":")
    if kind == "py":
        if record_to is not None:
            raise ValueError(f"record_to is only for `record:<model>` LMs, not {spec!r}")
        return _lm_from_python(rest, lm_kwargs)
    if kind not in ("record", "replay"):
        if record_to is not None:
            raise ValueError(f"record_to is only for `record:<model>` LMs, not {spec!r}")
        return _live_lm(spec, lm_kwargs)
    if not rest.strip():
        what = (
            "a model, e.g. record:openai/gpt-4o-mini" if kind == "record" else "a file, e.g. replay:x.jsonl"
        )
        raise ValueError(f"{spec!r} names no {'model' if kind == 'record' else 'recording'}: give {what}")
    if kind == "replay":
        if record_to is not None:
            raise ValueError(f"record_to is only for `record:<model>` LMs, not {spec!r}")
        return replay_lm(Path(rest), **lm_kwargs)
    if record_to is None:
        raise ValueError(
            f"{spec!r} needs a file to record to: pass record_to=Path('recordings/<suite>.jsonl') "
            "(the recording a later `replay:` run reads)"
        )
    endpoint = parse_spec(rest)
    settings = endpoint.client_kwargs()
    settings.pop("cache", None)  # a recording hears every call: never from DSPy's cache
    client = {key: lm_kwargs.pop(key) for key in list(lm_kwargs) if key in _CLIENT_KEYS}
    client = {**settings, **client}
    if "model_type" in lm_kwargs:
        client["model_type"] = lm_kwargs["model_type"]
    live = _LiveEngine(dspy.LM(endpoint.model, cache=False, num_retries=0, **client))
    lm = recording_lm(live, _AsyncLiveEngine(live), Path(record_to), endpoint.model, **lm_kwargs)
    lm.endpoint = endpoint
    return lm


def _live_lm(spec: str, lm_kwargs: dict[str, Any]) -> dspy.LM:
    """A live model: `dspy.LM` over its endpoint's settings (`harness.endpoint`), which the
    caller's own `lm_kwargs` override."""
    endpoint = parse_spec(spec)
    try:
        settings = endpoint.client_kwargs()
    except KeyError as e:
        raise ValueError(f"{spec}: {e.args[0]} is not set (api_key_env names it)") from None
    lm = _PricedLM(endpoint.model, **{**settings, **lm_kwargs})
    lm.endpoint = endpoint
    return lm


_CREDENTIAL = re.compile(r"KEY|TOKEN|SECRET|CREDENTIAL|PASSWORD", re.I)


def missing_credentials(spec: str) -> list[str]:
    """The API-key variables a live model spec needs and the environment lacks, as LiteLLM's
    `validate_environment(model)` names them (e.g. `["OPENAI_API_KEY"]`); [] for `replay:` and
    `py:` LMs, and for providers that need no key. Only credentials count: a missing
    `OLLAMA_API_BASE` has a working default, a missing key fails every call."""
    kind, _, rest = spec.partition(":")
    if kind in ("py", "replay"):
        return []
    endpoint = parse_spec(rest if kind == "record" else spec)
    if endpoint.api_key_env:
        return [] if os.environ.get(endpoint.api_key_env) else [endpoint.api_key_env]
    if endpoint.api_base:
        return []  # a server of your own: no key unless api_key_env names one
    model = endpoint.model
    if endpoint.engine == "lm15":  # LiteLLM is not to be called: the provider's usual variable
        var = f"{endpoint.provider.upper()}_API_KEY"
        return [] if os.environ.get(var) else [var]
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # LiteLLM prints its provider list on unknown ones
        import litellm

        try:
            found = litellm.validate_environment(model=model)
        except Exception:  # an unknown provider: LiteLLM will say so on the call
            return []
    return [k for k in found.get("missing_keys") or [] if _CREDENTIAL.search(str(k))]


def _lm_from_python(target: str, lm_kwargs: dict[str, Any]) -> dspy.BaseLM:
    """The LM a `py:package.module:attr` spec names; `lm_kwargs` are set on it (`num_retries`
    as the attribute, the rest as request settings), as `dspy.LM(...)` would take them."""
    from .paths import import_target

    obj = import_target(target, "py:package.module:attr, e.g. py:harness.demo:program_lm")
    lm = obj if isinstance(obj, dspy.BaseLM) else obj() if callable(obj) else None
    if not isinstance(lm, dspy.BaseLM):
        what = type(obj if lm is None else lm).__name__
        raise ValueError(f"py:{target} gave {what}, not a dspy.BaseLM (or a function returning one)")
    if "num_retries" in lm_kwargs:
        lm.num_retries = lm_kwargs.pop("num_retries")
    lm.kwargs.update(lm_kwargs)
    return lm


# ─── Scripted engine ─────────────────────────────────────────────────────────


def _rate_limited(key: str, attempt: int) -> BaseException:
    # retry_after=0: DSPy honours the hint, so its retry does not sleep in tests.
    return RateLimitError(f"scripted rate limit (attempt {attempt} for request {key[:12]})", retry_after=0.0)


class ScriptedEngine(_SyncFace, _Capable):
    """An offline engine answering from a Python function, for tests and demo recordings.

    Use it as a plain LM (`engine.lm()`), or as the inner engine of `recording_lm` to write
    recordings in the real format. Failures are scripted per request key: the first
    `fail_first` calls for each distinct request raise `error(key, attempt)` — by default a
    `dspy.lm15.RateLimitError` (with `retry_after=0`), which DSPy maps to its retryable
    `LMRateLimitError` and retries up to the LM's `num_retries`.

    Args:
        respond: `(request) -> completion text`; `prompt_text(request)` and
            `chat_adapter_reply(**fields)` help write one.
        fail_first: failures before each distinct request first succeeds.
        error: `(key, attempt) -> exception` raised for those failures.
        input_tokens: prompt tokens reported per call; None estimates ceil(chars / 4).
        output_tokens: completion tokens reported per call; None estimates ceil(chars / 4).
        cost: USD cost reported per call (shown in history), or None for unknown.
        model: the model name the responses carry.
        capabilities: adapter hints, e.g. `{"supports_response_schema": True}`.

    Attributes:
        requests: every request received, failures included, in order.
    """

    def __init__(
        self,
        respond: Callable[[Request], str],
        *,
        fail_first: int = 0,
        error: Callable[[str, int], BaseException] = _rate_limited,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost: float | None = None,
        model: str = "scripted",
        capabilities: dict[str, Any] | None = None,
        latency: float = 0.0,
    ):
        self.respond = respond
        self.latency = latency  # seconds per call: a sleep, awaited on the async face
        self.fail_first = fail_first
        self.error = error
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cost = cost
        self.model = model
        self.capabilities = dict(capabilities or {})
        self.requests: list[Request] = []
        self.ledger = _Ledger()
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()

    def complete_priced(self, request: Request) -> PricedResponse:
        if self.latency:
            time.sleep(self.latency)
        return self._complete_priced(request)

    def _complete_priced(self, request: Request) -> PricedResponse:
        key = request_key(request)
        with self._lock:
            self.requests.append(request)
            attempt = self._attempts[key] = self._attempts.get(key, 0) + 1
        if attempt <= self.fail_first:
            raise self.error(key, attempt)
        text = self.respond(request)
        inputs, outputs = self.input_tokens, self.output_tokens
        usage = Usage(
            input_tokens=inputs if inputs is not None else math.ceil(len(prompt_text(request)) / 4),
            output_tokens=outputs if outputs is not None else math.ceil(len(text) / 4),
        )
        response = Response(
            id=None,
            model=self.model,
            message=Message.assistant([TextPart(text)]),
            finish_reason="stop",
            usage=usage,
        )
        priced = PricedResponse.unpriced(response)
        if self.cost is not None:
            priced = replace(priced, cost=self.cost, cost_details={"kind": "scripted", "currency": "USD"})
        return priced

    @property
    def async_engine(self) -> AsyncScriptedEngine:
        """The async twin sharing this engine's script, counters and request log."""
        return AsyncScriptedEngine(self)

    def lm(self, model: str = "scripted/model", **lm_kwargs: Any) -> dspy.LM:
        """A `dspy.LM` over this engine (sync and async), its history showing `cost`."""
        return _PricedLM(
            model, engine=self, async_engine=self.async_engine, cache=False, **_lm_kwargs(lm_kwargs)
        )


class AsyncScriptedEngine(_AsyncFace):
    """Async face of a `ScriptedEngine` (same script, counters and request log)."""

    def __init__(self, sync: ScriptedEngine):
        self.sync = sync
        self.ledger = sync.ledger

    async def complete_priced(self, request: Request) -> PricedResponse:
        if self.sync.latency:
            await asyncio.sleep(self.sync.latency)
        return self.sync._complete_priced(request)
