"""Which errors are worth another try: the one classification every retrying layer uses.

A failure is *transient* when the same request may well succeed a little later: a rate limit
(HTTP 429), a server error (5xx), a timeout, a refused or dropped connection, a database that
is restarting. It is judged by walking the exception and its causes (`raise … from …` and the
implicit context), because layers wrap each other: DSPy turns a `TimeoutError` or a
`litellm.RateLimitError` raised inside a custom LM into `LMUnexpectedError` *from* it, and a
program may wrap a Postgres error in its own.

Recognised, from any layer:
- DSPy's retryable LM errors (rate limit, timeout, server, transport, credential lock);
- Python's `TimeoutError` and `ConnectionError` (refused, reset, aborted, broken pipe);
- anything carrying an HTTP status of 408, 425, 429 or 5xx (`status_code`, `status`,
  `response.status_code`, `get_http_status_code()`): LiteLLM/OpenAI, httpx, requests,
  MLflow's `MlflowException`;
- httpx and requests transport errors (connect, read, timeouts);
- asyncpg connection errors and the SQLSTATE classes 08 (connection), 53 (insufficient
  resources), 57 (operator intervention: shutdown, "starting up") and 40001/40P01.

Everything else (a bug, a bad request, an authentication failure, a replay miss) is not: it
would fail the same way again.
"""

from __future__ import annotations

from collections.abc import Iterator

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_SQLSTATE_CLASSES = ("08", "53", "57")
_SQLSTATES = frozenset({"40001", "40P01"})
# Transport failures by class name, so that httpx/requests/aiohttp need not be imported here.
_TRANSPORT_NAMES = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "ReadError",
        "WriteError",
        "RemoteProtocolError",
        "NetworkError",
        "TimeoutException",
        "ChunkedEncodingError",
        "ServerDisconnectedError",
        "ClientConnectionError",
        "ClientConnectorError",
        "ClientOSError",
    }
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then its causes and contexts (each once; cycles stop). A context hidden
    with `raise … from None` is not followed: the raiser said it does not matter."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        context = None if e.__suppress_context__ else e.__context__
        todo += [x for x in (e.__cause__, context) if x is not None]


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, if any."""
    for candidate in (
        getattr(exc, "status_code", None),
        getattr(exc, "status", None),
        getattr(getattr(exc, "response", None), "status_code", None),
    ):
        if isinstance(candidate, int) and 100 <= candidate <= 599:
            return candidate
    getter = getattr(exc, "get_http_status_code", None)  # MlflowException
    if callable(getter):
        try:
            code = getter()
        except Exception:
            return None
        return code if isinstance(code, int) else None
    return None


def _one_is_transient(e: BaseException) -> bool:
    from dspy.utils.exceptions import LMConfigurationError, is_retryable_lm_error

    if isinstance(e, LMConfigurationError):  # a replay miss, a missing key: the same next time
        return False
    if isinstance(e, Exception) and is_retryable_lm_error(e):
        return True
    if isinstance(e, TimeoutError | ConnectionError):
        return True
    status = http_status(e)
    if status is not None:
        return status in RETRYABLE_STATUS
    if type(e).__name__ in _TRANSPORT_NAMES:
        return True
    module = type(e).__module__ or ""
    if module.startswith("asyncpg"):
        import asyncpg

        if isinstance(e, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
            # InterfaceError: "connection is closed", "pool is closing" … all about the link.
            return True
        state = getattr(e, "sqlstate", None) or ""
        return state.startswith(_SQLSTATE_CLASSES) or state in _SQLSTATES
    return False


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (or anything in its cause chain) is a failure worth retrying."""
    return any(_one_is_transient(e) for e in _chain(exc))


def describe(exc: BaseException) -> str:
    """`Type: message` for a person, never empty. An exception raised from another names it
    (`LMUnexpectedError from TimeoutError: …`), and one without a message says so."""
    message = getattr(exc, "message", None)  # DSPy's errors: the text without the model prefix
    text = "" if isinstance(message, str) and not message.strip() else str(exc).strip()
    name = type(exc).__name__
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        name = f"{name} from {type(cause).__name__}"
        if not text:
            text = str(cause).strip()
    return f"{name}: {text}" if text else f"{name} (no message)"


def retry_after(exc: BaseException) -> float | None:
    """The seconds a server asked the client to wait (`Retry-After`, or an error's `retry_after`),
    if anything in the cause chain carries it."""
    for e in _chain(exc):
        value = getattr(e, "retry_after", None)
        if value is None:
            headers = getattr(getattr(e, "response", None), "headers", None)
            value = headers.get("retry-after") if headers is not None and hasattr(headers, "get") else None
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            seconds = None
        if seconds is not None and seconds >= 0:
            return seconds
    return None


def refused_key(exc: BaseException) -> bool:
    """Whether a server refused the credentials (HTTP 401/403, or DSPy's `LMAuthError`)."""
    from dspy.utils.exceptions import LMAuthError

    return any(isinstance(e, LMAuthError) or http_status(e) in (401, 403) for e in _chain(exc))
