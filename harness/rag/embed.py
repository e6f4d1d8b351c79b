"""Embedders: turn texts into vectors for the document store.

Every embedder has a `name` (stored with the corpus, so a mismatch is caught), an async
`dimension()` and an async `aembed(texts)`.

- `HashEmbedder` (the default, name `local-hash-v1-384`) is deterministic, local and instant:
  feature hashing of lower-cased word unigrams and bigrams plus Cairo identifiers (whole paths
  like `starknet::storage::Map`, their segments, and the parts of snake_case / CamelCase names)
  into 384 signed buckets, sublinear term weights, L2-normalised. Texts sharing vocabulary get a
  high cosine similarity; there is no model to download and no network.
- `LiteLLMEmbedder(model)` calls an embedding model's `/embeddings` endpoint through
  `dspy.Embedder` (or litellm directly). The model string may carry its endpoint like any live
  LM (`openai/nomic-embed-text?api_base=http://gpu-box:8000/v1&api_key_env=EMBED_KEY`, see
  `harness.endpoint`). Tested over HTTP against a stand-in OpenAI-compatible server.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from typing import Any, Protocol, runtime_checkable

import numpy as np

_WORD = re.compile(r"[a-z0-9_]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+")
_STOPWORDS = frozenset(
    _WORD.findall(
        "a an and are as at be by can do does for from how i if in into is it its me my of on or so "
        "that the their them then there these this to use using was we what when which with write "
        "you your will should would"
    )
)


@runtime_checkable
class Embedder(Protocol):
    """What the store and the retriever need from an embedder."""

    name: str

    async def dimension(self) -> int: ...

    async def aembed(self, texts: list[str]) -> list[list[float]]: ...


def _normalise_word(word: str) -> str:
    # A light plural fold ("events" ~ "event", "spans" ~ "span"), enough for a hashing embedder.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def features(text: str) -> dict[str, float]:
    """The weighted features `HashEmbedder` hashes (exposed for tests and debugging).

    Words: lower-cased, stop words dropped, light plural folding; bigrams of consecutive kept
    words. Identifiers: every `a::b::C` path as written, and, for identifiers with `_` or inner
    capitals, their lower-cased parts (`get_caller_address` → get, caller, address).
    """
    counts: dict[str, float] = {}

    def add(feature: str, weight: float = 1.0) -> None:
        counts[feature] = counts.get(feature, 0.0) + weight

    words = [_normalise_word(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    for w in words:
        add("w:" + w)
    for a, b in itertools.pairwise(words):
        add(f"b:{a} {b}", 0.5)
    for ident in _IDENT.findall(text):
        if "::" in ident:
            add("p:" + ident, 1.5)
        for segment in ident.split("::"):
            parts = [p.lower() for chunk in segment.split("_") for p in _CAMEL.findall(chunk)]
            if len(parts) > 1:
                add("i:" + segment, 1.0)
                for p in parts:
                    add("w:" + _normalise_word(p), 0.5)
    return counts


class HashEmbedder:
    """Deterministic feature-hashing embedder (see the module docstring). Same text, same vector,
    in every process: hashing uses blake2b, not Python's salted `hash()`.

    Args:
        dim: number of buckets (the vector dimension).
    """

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.name = f"local-hash-v1-{dim}"

    def __repr__(self) -> str:
        return f"HashEmbedder(dim={self.dim})"

    async def dimension(self) -> int:
        return self.dim

    def embed_one(self, text: str) -> list[float]:
        """The unit vector for `text` (all zeros for a text with no features)."""
        vec = np.zeros(self.dim, dtype=np.float64)
        for feature, count in features(text).items():
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            h = int.from_bytes(digest, "little")
            sign = 1.0 if h >> 63 else -1.0
            vec[h % self.dim] += sign * (1.0 + math.log(count)) if count >= 1 else sign * count
        norm = float(np.linalg.norm(vec))
        return (vec / norm).tolist() if norm else vec.tolist()

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Vectors for `texts`, in order."""
        return [self.embed_one(t) for t in texts]

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)


class LiteLLMEmbedder:
    """An embedding model behind an `/embeddings` endpoint (`openai/text-embedding-3-small`, a
    self-hosted one with `?api_base=…`).

    Args:
        model: a LiteLLM model string, with endpoint settings after `?` (`harness.endpoint`):
            `api_base`, `api_key_env`, `header.<Name>`, `cache=true`. The stored name (checked
            against the corpus) is the model alone, not where it is served.
        dim: the vector size if known; otherwise learnt from one probe call on first use.
        via_dspy: True calls `dspy.Embedder(model).acall`; False calls `litellm.aembedding`
            directly. DSPy's cache is used only with `cache=true`.
        batch_size: texts per request.
    """

    def __init__(self, model: str, dim: int | None = None, *, via_dspy: bool = True, batch_size: int = 100):
        from ..endpoint import parse_spec

        self.endpoint = parse_spec(model)
        self.model = self.endpoint.model
        self.name = f"litellm:{self.model}"
        self._dim = dim
        self.via_dspy = via_dspy
        self.batch_size = batch_size

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs = self.endpoint.client_kwargs()
        kwargs.pop("engine", None)
        kwargs.pop("cache", None)
        if "headers" in kwargs:
            kwargs["extra_headers"] = kwargs.pop("headers")
        return kwargs

    def __repr__(self) -> str:
        return f"LiteLLMEmbedder({self.model!r})"

    async def dimension(self) -> int:
        if self._dim is None:
            self._dim = len((await self.aembed(["dimension probe"]))[0])
        return self._dim

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            if self.via_dspy:
                import dspy

                embedder = dspy.Embedder(
                    self.model,
                    batch_size=self.batch_size,
                    caching=bool(self.endpoint.cache),
                    **self._client_kwargs(),
                )
                arr = await embedder.acall(batch)
                out.extend(np.asarray(arr, dtype=float).reshape(len(batch), -1).tolist())
            else:
                import litellm

                resp = await litellm.aembedding(model=self.model, input=batch, **self._client_kwargs())
                out.extend(list(item["embedding"]) for item in resp.data)
        return out


def make_embedder(spec: str | Embedder | None = None) -> Embedder:
    """`None` / `"local"` → `HashEmbedder()`; another string → `LiteLLMEmbedder(spec)`; an
    embedder object is returned as is."""
    if spec is None or spec == "local":
        return HashEmbedder()
    if isinstance(spec, str):
        return LiteLLMEmbedder(spec)
    return spec
