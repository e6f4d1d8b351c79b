"""Where and how a live LM is reached: endpoint, key, headers, client, price and rate limit.

A live model is named by its model string, as LiteLLM spells it (`openai/gpt-4o-mini`,
`hosted_vllm/qwen2.5-coder`, `ollama_chat/qwen2.5-coder`), and may carry its connection
settings after a `?`, URL-query style, so one string configures it everywhere an LM is named
(`--lm`, `--judge-lm`, `--reflection-lm`, a suite's `lm:` and `judge:`):

    openai/qwen2.5-coder?api_base=http://gpu-box:8000/v1&api_key_env=VLLM_API_KEY&price=0.2/0.6

Settings:
- `api_base`: the server's base URL (an OpenAI-compatible server's `…/v1`);
- `api_key_env`: the environment variable holding the key. The key is read when the LM is
  built and goes only to the client: the string, run.json, results and MLflow hold the
  variable's name. With `api_base` and no `api_key_env`, no key is sent (a local vLLM or
  Ollama needs none), so a hosted provider's key never reaches a self-hosted box by accident;
- `header.<Name>`: an extra HTTP header; `${VAR}` in its value is read from the environment;
- `engine`: DSPy's client, `auto` (DSPy's own `lm15` client for what it can carry, else
  LiteLLM), `lm15` (never LiteLLM) or `litellm`. Extra headers need LiteLLM;
- `price`: `IN/OUT`, USD per million prompt/completion tokens, for a model the client has no
  price for (a self-hosted one); it replaces the client's estimate;
- `rps`, `concurrency`: requests per second and requests in flight allowed to this endpoint,
  shared by every LM of the process that uses it (program, judge, reflection);
- `cache`: `true` lets DSPy's on-disk cache answer repeated requests (off in runs: an
  evaluation samples the model afresh each time, so its tokens and cost are what was served).

A suite may give the same settings as a mapping (`lm: {model: …, api_base: …}`), which
`spec_from_mapping` turns into this string.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "Endpoint",
    "RateLimit",
    "check_key",
    "parse_spec",
    "rate_limit",
    "spec_from_mapping",
    "with_defaults",
]

ENGINES = ("auto", "lm15", "litellm")
_SETTINGS = ("api_base", "api_key_env", "engine", "price", "rps", "concurrency", "cache")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Endpoint:
    """A live model and its connection settings, as parsed from a spec (no secrets inside)."""

    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    engine: str | None = None
    price: tuple[float, float] | None = None  # USD per million prompt, completion tokens
    rps: float | None = None
    concurrency: int | None = None
    cache: bool | None = None

    @property
    def spec(self) -> str:
        """The spec string again (settings in a stable order)."""
        query: list[tuple[str, str]] = []
        for name in _SETTINGS:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "price":
                value = f"{value[0]:g}/{value[1]:g}"
            elif name == "cache":
                value = "true" if value else "false"
            elif isinstance(value, float):
                value = f"{value:g}"
            query.append((name, str(value)))
        query += [(f"header.{k}", v) for k, v in self.headers]
        if not query:
            return self.model
        return f"{self.model}?{urllib.parse.urlencode(query, safe=':/${}')}"

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    @property
    def limit_key(self) -> str:
        """What a rate limit is shared by: the server's address, else the provider."""
        return (self.api_base or self.provider).rstrip("/")

    def api_key(self) -> str | None:
        """The key from `api_key_env` (None when it names none); KeyError when it is unset."""
        if self.api_key_env is None:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise KeyError(self.api_key_env)
        return value

    def client_kwargs(self) -> dict[str, Any]:
        """Settings for `dspy.LM(...)`: address, key, headers, engine and cache."""
        kwargs: dict[str, Any] = {}
        if self.api_base:
            kwargs["api_base"] = self.api_base
            kwargs["api_key"] = self.api_key() or "no-key"
        elif self.api_key_env:
            kwargs["api_key"] = self.api_key()
        if self.headers:
            kwargs["headers"] = {name: _expand(name, value) for name, value in self.headers}
        if self.engine:
            kwargs["engine"] = self.engine
        if self.cache is not None:
            kwargs["cache"] = self.cache
        return kwargs

    def cost(self, usage: Mapping[str, Any]) -> float | None:
        """The cost of a call's usage at the configured price (None without a price)."""
        if self.price is None:
            return None
        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        return (prompt * self.price[0] + completion * self.price[1]) / 1_000_000


def _expand(header: str, value: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"header {header}: ${{{name}}} is not set in the environment")
        return os.environ[name]

    return _VAR.sub(one, value)


def _number(spec: str, name: str, text: str, kind: type) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{spec!r}: {name}={text!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{spec!r}: {name} must be above 0, got {text}")
    return value


def parse_spec(spec: str) -> Endpoint:
    """The `Endpoint` a live model spec names (`model` or `model?setting=…&…`).

    Raises:
        ValueError: an unknown setting, a bad value, or settings with no model.
    """
    model, _, query = spec.partition("?")
    if not model.strip():
        raise ValueError(f"{spec!r} names no model")
    if not query:
        return Endpoint(model)
    fields: dict[str, Any] = {}
    headers: list[tuple[str, str]] = []
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if name.startswith("header."):
            headers.append((name.removeprefix("header."), value))
        elif name not in _SETTINGS:
            known = ", ".join([*_SETTINGS, "header.<Name>"])
            raise ValueError(f"{spec!r}: unknown setting {name!r} (known: {known})")
        elif name in fields:
            raise ValueError(f"{spec!r}: {name} is given twice")
        elif name == "engine":
            if value not in ENGINES:
                raise ValueError(f"{spec!r}: engine={value!r}; expected one of {', '.join(ENGINES)}")
            fields[name] = value
        elif name == "price":
            parts = value.split("/")
            if len(parts) != 2:
                raise ValueError(
                    f"{spec!r}: price={value!r}; expected IN/OUT in USD per million tokens, e.g. 0.15/0.6"
                )
            prompt, completion = (float(_number(spec, "price", p, float)) for p in parts)
            fields[name] = (prompt, completion)
        elif name == "rps":
            fields[name] = _number(spec, name, value, float)
        elif name == "concurrency":
            fields[name] = _number(spec, name, value, int)
        elif name == "cache":
            if value.lower() not in ("true", "false"):
                raise ValueError(f"{spec!r}: cache={value!r}; expected true or false")
            fields[name] = value.lower() == "true"
        elif name == "api_key_env":
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
                raise ValueError(
                    f"{spec!r}: api_key_env={value!r} is not a variable name (the key itself "
                    "never goes in the spec: name the variable that holds it)"
                )
            fields[name] = value
        else:
            fields[name] = value
    if fields.get("engine") == "lm15" and headers:
        raise ValueError(
            f"{spec!r}: extra headers need LiteLLM; DSPy's lm15 client carries only api_base and the key"
        )
    return Endpoint(model, headers=tuple(headers), **fields)


def with_defaults(spec: str, **defaults: Any) -> str:
    """`spec` with settings it does not give itself (None values are skipped): e.g. the run's
    `--lm-engine`, `--lm-rps` and `--lm-concurrency`. Specs that are not live models
    (`replay:`, `py:`, `heuristic`) are returned unchanged; `record:` keeps its prefix."""
    if spec == "heuristic" or spec.startswith(("replay:", "py:")):
        return spec
    prefix = "record:" if spec.startswith("record:") else ""
    endpoint = parse_spec(spec.removeprefix(prefix))
    given = {k: v for k, v in defaults.items() if v is not None and getattr(endpoint, k) is None}
    return prefix + replace(endpoint, **given).spec


def spec_from_mapping(data: Mapping[str, Any], where: str = "lm") -> str:
    """A suite's mapping form of an LM (`{model: …, api_base: …, headers: {…}, price: {input,
    output}}`) as a spec string."""
    data = dict(data)
    model = data.pop("model", None)
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"{where}: `model` is required (a model string, e.g. openai/gpt-4o-mini)")
    headers = data.pop("headers", None) or {}
    price = data.pop("price", None)
    if isinstance(price, Mapping):
        if set(price) != {"input", "output"}:
            raise ValueError(f"{where}.price: give `input` and `output` (USD per million tokens)")
        data["price"] = f"{price['input']}/{price['output']}"
    elif price is not None:
        data["price"] = str(price)
    unknown = sorted(set(data) - set(_SETTINGS))
    if unknown:
        known = ", ".join(["model", *_SETTINGS, "headers"])
        raise ValueError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {known})")
    query = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in data.items()]
    query += [(f"header.{k}", str(v)) for k, v in dict(headers).items()]
    spec = f"{model}?{urllib.parse.urlencode(query)}" if query else model
    return parse_spec(spec).spec  # checked, and spelled one way


def check_key(endpoint: Endpoint, timeout: float = 10.0) -> int | None:
    """Ask an OpenAI-compatible server's `GET /models` whether it accepts the key.

    Returns the HTTP status of a refusal (401, 403), or None when the key was accepted or the
    question could not be answered (no `api_base`; the server is unreachable or has no
    `/models`): a transient problem is the run's retries' to handle, not a refusal.
    """
    if not endpoint.api_base:
        return None
    request = urllib.request.Request(endpoint.api_base.rstrip("/") + "/models")
    key = endpoint.api_key() if endpoint.api_key_env else None
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    for name, value in endpoint.headers:
        request.add_header(name, _expand(name, value))
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return None
    except urllib.error.HTTPError as e:
        return e.code if e.code in (401, 403) else None
    except (OSError, ValueError):
        return None


# ─── Rate limits ──────────────────────────────────────────────────────────────


class RateLimit:
    """Requests per second and requests in flight for one endpoint, for async and sync callers.

    Waiting is a short sleep loop rather than a semaphore so a caller cancelled while waiting
    (a case timeout) holds nothing.
    """

    def __init__(self, rps: float | None, concurrency: int | None):
        self.rps = rps
        self.concurrency = concurrency
        self.active = 0
        self.peak = 0
        self._next = 0.0
        self._lock = threading.Lock()

    def _try(self) -> float:
        """0 when a slot was taken, else how long to wait before trying again."""
        with self._lock:
            now = time.monotonic()
            if self.concurrency is not None and self.active >= self.concurrency:
                return 0.01
            if self.rps is not None and now < self._next:
                return self._next - now
            self.active += 1
            self.peak = max(self.peak, self.active)
            if self.rps is not None:
                self._next = max(now, self._next) + 1.0 / self.rps
            return 0.0

    def _release(self) -> None:
        with self._lock:
            self.active -= 1

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        while wait := self._try():
            await asyncio.sleep(wait)
        try:
            yield
        finally:
            self._release()

    @contextlib.contextmanager
    def sync_slot(self) -> Iterator[None]:
        while wait := self._try():
            time.sleep(wait)
        try:
            yield
        finally:
            self._release()


_LIMITS: dict[tuple[str, float | None, int | None], RateLimit] = {}
_LIMITS_LOCK = threading.Lock()


def rate_limit(endpoint: Endpoint) -> RateLimit | None:
    """The process-wide limit for the endpoint's address (None when it sets none): every LM
    reaching one server with the same limits shares one, as the server's quota does."""
    if endpoint.rps is None and endpoint.concurrency is None:
        return None
    key = (endpoint.limit_key, endpoint.rps, endpoint.concurrency)
    with _LIMITS_LOCK:
        if key not in _LIMITS:
            _LIMITS[key] = RateLimit(endpoint.rps, endpoint.concurrency)
        return _LIMITS[key]
