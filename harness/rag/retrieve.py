"""DocumentRetriever: embed the query, search pgvector by cosine similarity. Not an LM call.

The retriever owns the store and the embedder. On first use it creates the schema and, when the
documents table is empty, ingests the shipped corpus (through `ingest.ensure_corpus`), so a fresh
clone retrieves offline with no setup step.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ..spans import span
from .db import Database
from .embed import Embedder
from .ingest import ensure_corpus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """A retrieved chunk.

    Attributes:
        id: the chunk id (sha256 of its content).
        similarity: cosine similarity to the query embedding, in [-1, 1].
    """

    id: str
    source: str
    title: str
    content: str
    similarity: float


class DocumentRetriever:
    """Top-k cosine search over `documents`, optionally restricted to some sources.

    Args:
        db: the store (its pool for the running loop is used).
        embedder: embeds the query; must be the embedder the corpus was built with.
        top_k: the most documents returned.
        similarity_threshold: documents below this cosine similarity are dropped.
    """

    def __init__(self, db: Database, embedder: Embedder, top_k: int = 5, similarity_threshold: float = 0.1):
        self.db = db
        self.embedder = embedder
        self.top_k = top_k
        self.similarity_threshold = similarity_threshold
        self._ready = False
        self._preparing: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}

    def __deepcopy__(self, memo: dict) -> DocumentRetriever:
        # Holds a connection manager and no tunable state: copies of a program share it.
        return self

    async def ensure_ready(self) -> None:
        """Schema and (if empty) corpus, once per process; concurrent first calls wait for one."""
        if self._ready:
            return
        loop = asyncio.get_running_loop()
        task = self._preparing.get(loop)
        if task is None:
            task = self._preparing[loop] = loop.create_task(ensure_corpus(self.db, self.embedder))
        try:
            report = await asyncio.shield(task)
        finally:
            if task.done():
                self._preparing.pop(loop, None)
        if report is not None:
            log.info("ingested the shipped corpus on first use: %s", report)
        self._ready = True

    async def search(
        self,
        query: str,
        search_terms: list[str] | None = None,
        sources: list[str] | None = None,
        top_k: int | None = None,
    ) -> list[Document]:
        """The documents nearest to the query, best first.

        Args:
            query: the user's request.
            search_terms: extra phrases (from the query processor) embedded together with the query.
            sources: restrict to these `documents.source` values; None or empty searches all.
            top_k: overrides the retriever's `top_k`.
        """
        with span(
            "retrieve", "RETRIEVER", {"query": query, "search_terms": search_terms, "sources": sources}
        ) as s:
            docs = await self._search(query, search_terms, sources, top_k)
            # MLflow's retriever shape: the UI lists each chunk with its source and score
            s.set_outputs(
                [
                    {
                        "page_content": d.content,
                        "metadata": {"doc_uri": d.source, "title": d.title, "score": d.similarity},
                        "id": str(d.id),
                    }
                    for d in docs
                ]
            )
        return docs

    async def _search(
        self, query: str, search_terms: list[str] | None, sources: list[str] | None, top_k: int | None
    ) -> list[Document]:
        await self.ensure_ready()
        text = "\n".join([query, *(search_terms or [])])
        [vector] = await self.embedder.aembed([text])
        where = "WHERE source = ANY($3::text[])" if sources else ""
        sql = (
            "SELECT id, source, title, content, 1 - (embedding <=> $1) AS similarity FROM documents "
            f"{where} ORDER BY embedding <=> $1 LIMIT $2"
        )
        args: list = [vector, top_k or self.top_k] + ([list(sources)] if sources else [])
        pool = await self.db.pool()
        rows = await pool.fetch(sql, *args)
        return [
            Document(r["id"], r["source"], r["title"], r["content"], float(r["similarity"]))
            for r in rows
            if r["similarity"] >= self.similarity_threshold
        ]

    async def aclose(self) -> None:
        """Close the running loop's pool."""
        await self.db.aclose()
