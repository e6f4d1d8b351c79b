"""A stand-in for an OpenAI-compatible server, for the tests only (no product code uses it).

No model's weights exist on these machines, so the live-model path is exercised against this:
a real HTTP server on 127.0.0.1 (stdlib `http.server`, one thread per connection) speaking the
OpenAI wire format the clients use: `POST /v1/chat/completions`, `POST /v1/embeddings` and
`GET /v1/models`. Neither DSPy client streams the harness's requests (DSPy 3.4, checked: no
request carries `"stream": true`), so a streamed request is refused with a 400. The harness
reaches it as a user's configuration would (`--lm openai/<model>` with an `api_base` and a
key), through DSPy's own `lm15` client or LiteLLM.

What it answers comes from the test's script: `script(call) -> Reply | Fail | Drop | Raw | Slow`.
Usage is realistic (prompt tokens ≈ chars/4 of the prompt, completion tokens ≈ chars/4 of the
reply) and every served exchange is counted, so a test can hold the harness's tokens next to
the server's own count.

Bounded: loopback only, a request body limit, and the server stops by itself after `lifetime`
seconds even if a test forgets to stop it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 4 << 20
API_KEY = "sk-stand-in-0123456789"


@dataclass(frozen=True)
class Reply:
    """A 200 with this completion text (its usage counted as chars/4 unless given)."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Fail:
    """An HTTP error status with an OpenAI-shaped error body."""

    status: int
    message: str = "stand-in failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drop:
    """Close the connection without a reply."""


@dataclass(frozen=True)
class Raw:
    """Exactly these bytes as the body, with this status and content type."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Slow:
    """Wait `seconds`, then answer `then`."""

    seconds: float
    then: Any


@dataclass(frozen=True)
class Call:
    """One request as the script sees it."""

    path: str
    model: str
    body: dict[str, Any]
    headers: dict[str, str]
    attempt: int  # 1 for the first time this exact body arrives, 2 for its first retry …

    @property
    def prompt(self) -> str:
        """Every message's text, joined (what the model would read)."""
        out = []
        for message in self.body.get("messages") or []:
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
            out.append(str(content or ""))
        return "\n\n".join(out)

    @property
    def last_user(self) -> str:
        users = [m for m in self.body.get("messages") or [] if m.get("role") == "user"]
        content = users[-1].get("content") if users else ""
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content or "")


def tokens_of(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def hashed_vector(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for a text: bag of words hashed into `dim` buckets."""
    import hashlib

    v = [0.0] * dim
    for word in text.lower().split():
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        v[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / norm for x in v]


class OpenAIStandIn:
    """The server. Use as a context manager; `base_url` is what a client's `api_base` takes.

    Args:
        script: `(Call) -> Reply | Fail | Drop | Raw | Slow` for chat completions.
        api_key: the bearer key it accepts; any other gets a 401. None: no key is needed (Ollama).
        max_concurrent: requests served at once; one beyond gets a 429 (Retry-After: 1).
        embed_dim: the dimension of the vectors `/v1/embeddings` returns.
        lifetime: seconds after which the server stops by itself.
    """

    def __init__(
        self,
        script: Callable[[Call], Any],
        *,
        api_key: str | None = API_KEY,
        max_concurrent: int | None = None,
        embed_dim: int = 64,
        lifetime: float = 600.0,
    ):
        self.script = script
        self.api_key = api_key
        self.max_concurrent = max_concurrent
        self.embed_dim = embed_dim
        self.lifetime = lifetime
        self.calls: list[Call] = []  # every request that reached the script, in order
        self.script_errors: list[str] = []  # exceptions the test's script raised (answered as 500)
        self.arrivals: list[float] = []  # time.monotonic() of each chat request's arrival
        self.statuses: list[int] = []  # every reply's status (0 for a dropped connection)
        self.prompt_tokens = 0  # served in 200 replies (chat and embeddings)
        self.completion_tokens = 0
        self.usage_by_model: dict[str, list[int]] = {}  # model -> [prompt, completion] tokens served
        self.peak_concurrent = 0
        self.rejected_busy = 0  # 429s for too many requests at once
        self._active = 0
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStandIn:
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="openai-stand-in", daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    # --- figures ---------------------------------------------------------------------------
    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def chat_calls(self, model: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.path.endswith("/chat/completions") and (model is None or c.model == model)
        ]

    # --- serving ---------------------------------------------------------------------------
    def _enter(self) -> bool:
        with self._lock:
            if self.max_concurrent is not None and self._active >= self.max_concurrent:
                self.rejected_busy += 1
                return False
            self._active += 1
            self.peak_concurrent = max(self.peak_concurrent, self._active)
            return True

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1

    def _call(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Call:
        key = json.dumps(body, sort_keys=True)
        with self._lock:
            attempt = self._attempts[key] = self._attempts.get(key, 0) + 1
            call = Call(path, str(body.get("model", "")), body, headers, attempt)
            self.calls.append(call)
        return call

    def _served(self, status: int, prompt: int = 0, completion: int = 0, model: str = "") -> None:
        with self._lock:
            self.statuses.append(status)
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            if status == 200:
                counts = self.usage_by_model.setdefault(model, [0, 0])
                counts[0] += prompt
                counts[1] += completion


class _Handler(BaseHTTPRequestHandler):
    stand_in: OpenAIStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
        pass

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(status, "server_error")
        self._json(status, {"error": {"message": message, "type": kind, "code": status}}, headers)
        self.stand_in._served(status)

    def do_GET(self) -> None:
        me = self.stand_in
        if me.api_key is not None and self.headers.get("Authorization") != f"Bearer {me.api_key}":
            self._error(401, "Incorrect API key provided.")
        elif self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "stand-in", "object": "model"}]})
        else:
            self._error(404, f"the stand-in serves no {self.path}")

    def do_POST(self) -> None:
        me = self.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(413, "request too large")
            return
        raw = self.rfile.read(length)
        if me.api_key is not None and self.headers.get("Authorization") != f"Bearer {me.api_key}":
            self._error(401, "Incorrect API key provided.")
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._error(400, "body is not JSON")
            return
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        if not me._enter():
            self._error(429, "too many requests at once", {"Retry-After": "1"})
            return
        try:
            if self.path.rstrip("/").endswith("/embeddings"):
                self._embeddings(body, headers)
            elif self.path.rstrip("/").endswith("/chat/completions"):
                with me._lock:
                    me.arrivals.append(time.monotonic())
                self._chat(me._call(self.path, body, headers))
            else:
                self._error(404, f"the stand-in serves no {self.path}")
        finally:
            me._leave()

    def _embeddings(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        me = self.stand_in
        me._call(self.path, body, headers)
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        used = sum(tokens_of(t) for t in texts)
        data = [
            {"object": "embedding", "index": i, "embedding": hashed_vector(t, me.embed_dim)}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": used, "total_tokens": used}
        self._json(200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage})
        me._served(200, used, 0, str(body.get("model", "")))

    def _chat(self, call: Call) -> None:
        me = self.stand_in
        try:
            reply = me.script(call)
        except Exception as e:  # a bug in the test's script: say so, loudly, as a 500
            me.script_errors.append(f"{type(e).__name__}: {e}")
            self._error(500, f"the stand-in's script failed: {type(e).__name__}: {e}")
            return
        while isinstance(reply, Slow):
            time.sleep(reply.seconds)
            reply = reply.then
        if isinstance(reply, Drop):
            me._served(0)
            self.close_connection = True
            self.connection.close()
            return
        if isinstance(reply, Fail):
            self._error(reply.status, reply.message, reply.headers)
            return
        if isinstance(reply, Raw):
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            me._served(reply.status)
            return
        if isinstance(reply, str):
            reply = Reply(reply)
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else tokens_of(call.prompt)
        completion = reply.completion_tokens if reply.completion_tokens is not None else tokens_of(reply.text)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if call.body.get("stream"):  # neither client streams these requests; say so if one starts
            self._error(400, "the stand-in does not stream")
            return
        message = {"role": "assistant", "content": reply.text}
        self._json(
            200,
            {
                "id": f"chatcmpl-standin-{len(me.calls)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": call.model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": usage,
            },
        )
        me._served(200, prompt, completion, call.model)
