"""RagPipeline: the reference Cairo assistant, shaped like production ones.

    query ─► QueryProcessor (LM) ─► DocumentRetriever (pgvector) ─► RetrievalJudge (LM)
          ─► Generation (LM) ─► answer with a ```cairo block

Async only: the harness awaits `acall`. Sync callers wrap it with `dspy.syncify(pipeline)`;
each syncified call then runs its own event loop and so its own connection pool (closed when
that loop ends). The LM is whatever `dspy.context(lm=...)` / `dspy.settings` provides: the
pipeline never configures DSPy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import dspy
from dspy.utils.exceptions import AdapterParseError

from .db import Database
from .embed import Embedder, make_embedder
from .retrieve import Document, DocumentRetriever
from .signatures import Generation, QueryProcessor, RetrievalJudge
from .sources import SOURCES

log = logging.getLogger(__name__)

NO_CONTEXT = "No relevant documentation was found."


def format_history(chat_history: Any) -> str:
    """Chat history as `role: content` lines. Accepts None, a string, `{"role", "content"}`
    dicts, `(role, content)` pairs, or a `dspy.History` of such dicts."""
    if not chat_history:
        return ""
    if isinstance(chat_history, str):
        return chat_history
    messages = getattr(chat_history, "messages", chat_history)
    lines = []
    for m in messages:
        if isinstance(m, dict):
            lines.append(f"{m.get('role', 'user')}: {m.get('content', '')}")
        else:
            role, content = m
            lines.append(f"{role}: {content}")
    return "\n".join(lines)


def format_context(docs: Sequence[Document]) -> str:
    """The documents as the generator sees them: numbered, titled, with source and id."""
    if not docs:
        return NO_CONTEXT
    return "\n\n".join(
        f"[{i}] {d.title} (source: {d.source}, id: {d.id[:12]})\n{d.content}" for i, d in enumerate(docs, 1)
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return [str(v).strip() for v in (value or []) if str(v).strip()]


class RagPipeline(dspy.Module):
    """Retrieval-augmented Cairo generation over the pgvector document store.

    Args:
        db: the store; None makes a `Database()` (a `CAIRO_EVALS_DSN`, else the embedded server).
        embedder: an embedder, `"local"` (default, the hashing embedder) or a LiteLLM model string.
            It must be the embedder the stored corpus was built with (checked on first use).
        top_k: documents retrieved per query.
        similarity_threshold: cosine similarity below which a document is not retrieved.
        judge_threshold: documents the judge scores below this are dropped.
        mcp_mode: return the retrieved context as the answer, without the generation step (what an
            MCP server hands to another assistant).
        sources: the source names the query processor may choose from (default: the shipped ones).
    """

    def __init__(
        self,
        db: Database | None = None,
        embedder: Embedder | str | None = None,
        top_k: int = 5,
        similarity_threshold: float = 0.1,
        mcp_mode: bool = False,
        judge_threshold: float = 0.4,
        sources: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.query_processor = dspy.Predict(QueryProcessor)
        self.retriever = DocumentRetriever(
            db or Database(), make_embedder(embedder), top_k, similarity_threshold
        )
        self.retrieval_judge = dspy.Predict(RetrievalJudge)
        self.generation = dspy.Predict(Generation)
        self.judge_threshold = judge_threshold
        self.mcp_mode = mcp_mode
        self.sources = list(sources or SOURCES)

    @property
    def db(self) -> Database:
        return self.retriever.db

    def forward(self, query: str, chat_history: list | None = None) -> dspy.Prediction:
        raise RuntimeError(
            "RagPipeline is async: use `await pipeline.acall(query=...)`; from synchronous code wrap it "
            "with `dspy.syncify(pipeline)` (each call then runs its own event loop and connection pool)"
        )

    async def aforward(self, query: str, chat_history: list | None = None) -> dspy.Prediction:
        """Answer `query`.

        Returns:
            A `dspy.Prediction` with `answer` (the context itself in `mcp_mode`), `sources` (ids of
            the documents used), `search_terms`, `resources` (the sources searched, empty for all)
            and `context` (the formatted documents).
        """
        history = format_history(chat_history)
        terms, resources = await self._process_query(query, history)
        docs = await self.retriever.search(query, terms, resources or None)
        if not docs and resources:  # the chosen sources had nothing close: widen to all
            docs = await self.retriever.search(query, terms, None)
        docs = await self._judge(query, docs)
        context = format_context(docs)
        outputs = dict(sources=[d.id for d in docs], search_terms=terms, resources=resources, context=context)
        if self.mcp_mode:
            return dspy.Prediction(answer=context, **outputs)
        generated = await self.generation.acall(query=query, chat_history=history, context=context)
        return dspy.Prediction(answer=generated.answer, **outputs)

    async def _process_query(self, query: str, history: str) -> tuple[list[str], list[str]]:
        try:
            processed = await self.query_processor.acall(query=query, chat_history=history)
        except AdapterParseError as e:  # an unparsable reply still leaves the query to search with
            log.warning("query processor output unparsable, searching with the query alone: %s", e)
            return [], []
        resources = [r for r in _strings(processed.resources) if r in self.sources]
        return _strings(processed.search_terms), resources

    async def _judge(self, query: str, docs: list[Document]) -> list[Document]:
        """Drop the documents the judge scores below `judge_threshold`; keep all of them when its
        output is malformed (unparsable, wrong length, not numbers)."""
        if not docs:
            return docs
        numbered = [f"[{i}] {d.title}\n{d.content}" for i, d in enumerate(docs, 1)]
        try:
            judged = await self.retrieval_judge.acall(query=query, documents=numbered)
            scores = [float(s) for s in judged.scores]
        except (AdapterParseError, TypeError, ValueError) as e:
            log.warning("retrieval judge output unusable, keeping every document: %s", e)
            return docs
        if len(scores) != len(docs):
            log.warning(
                "retrieval judge gave %d scores for %d documents; keeping all", len(scores), len(docs)
            )
            return docs
        return [d for d, s in zip(docs, scores, strict=True) if s >= self.judge_threshold]

    async def aclose(self) -> None:
        """Close the running loop's connection pool (the harness awaits this once per run)."""
        await self.retriever.aclose()
