"""Write corpus chunks into the document store, keyed by content hash.

`ingest` embeds only chunks whose id (sha256 of the content) is not stored yet and inserts them
with `ON CONFLICT DO NOTHING`, so re-ingesting an unchanged corpus is a no-op. Chunks that used to
come from a re-ingested file but no longer do (the file was edited) are removed, so stale text
does not linger in retrieval. Everything happens in one transaction under an advisory lock:
concurrent ingests (several xdist workers on a fresh database) serialise instead of racing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from pgvector import Vector

from .chunk import DEFAULT_CORPUS, Chunk, load_chunks
from .db import SCHEMA_LOCK, Database
from .embed import Embedder, make_embedder


@dataclass(frozen=True)
class IngestReport:
    """What an ingest changed.

    Attributes:
        new: chunks inserted.
        unchanged: chunks already stored (same content hash).
        removed: stored chunks of the ingested files that the files no longer contain.
        files: files read.
        embedder: the embedder's name.
    """

    new: int
    unchanged: int
    removed: int
    files: int
    embedder: str

    def __str__(self) -> str:
        return (
            f"{self.new} new, {self.unchanged} unchanged, {self.removed} removed chunks "
            f"from {self.files} files (embedder {self.embedder})"
        )


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded for a chunk: its title (heading path) and its content."""
    return f"{chunk.title}\n{chunk.content}"


def _file_key(path: Path, file: str) -> str:
    # Recorded as `<root folder>/<file>` so pruning one corpus never touches another's files.
    root = path if path.is_dir() else path.parent
    return f"{root.name}/{file}"


async def _write(
    conn: asyncpg.Connection, embedder: Embedder, chunks: list[Chunk], files: list[str], *, prune: bool
) -> tuple[int, int, int]:
    ids = [c.id for c in chunks]
    stored = await conn.fetch("SELECT id FROM documents WHERE id = ANY($1::text[])", ids)
    existing = {r["id"] for r in stored}
    fresh = [c for c in chunks if c.id not in existing]
    new = 0
    if fresh:
        vectors = await embedder.aembed([embedding_text(c) for c in fresh])
        status = await conn.execute(
            "INSERT INTO documents (id, source, title, content, embedding, metadata)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::vector[], $6::jsonb[])"
            " ON CONFLICT (id) DO NOTHING",
            [c.id for c in fresh],
            [c.source for c in fresh],
            [c.title for c in fresh],
            [c.content for c in fresh],
            [Vector(v) for v in vectors],  # asyncpg needs Vector objects inside arrays
            [json.dumps(c.metadata) for c in fresh],
        )
        new = int(status.split()[-1])
    removed = 0
    if prune and files:
        status = await conn.execute(
            "DELETE FROM documents WHERE metadata->>'file' = ANY($1::text[]) AND NOT (id = ANY($2::text[]))",
            files,
            ids,
        )
        removed = int(status.split()[-1])
    return new, len(chunks) - new, removed


def _load(path: Path | str | None) -> tuple[Path, list[Chunk], list[str]]:
    root = Path(path) if path is not None else DEFAULT_CORPUS
    chunks = [
        Chunk(c.id, c.source, c.title, c.content, {**c.metadata, "file": _file_key(root, c.metadata["file"])})
        for c in load_chunks(root)
    ]
    files = sorted({c.metadata["file"] for c in chunks})
    return root, chunks, files


async def ingest(
    db: Database,
    embedder: Embedder | str | None = None,
    path: Path | str | None = None,
    *,
    reset: bool = False,
) -> IngestReport:
    """Chunk, embed and store the corpus at `path`.

    Args:
        db: the store.
        embedder: an embedder, `"local"` (default) or a LiteLLM model string.
        path: a file or folder of `.md` / `.cairo` files (default: the shipped corpus).
        reset: drop the stored corpus first (needed to switch embedder or dimension).

    Raises:
        SchemaMismatch: the stored corpus uses another embedder and `reset` is False.
    """
    embedder = make_embedder(embedder)
    _, chunks, files = _load(path)
    if reset:
        await db.reset()
    await db.ensure_schema(await embedder.dimension(), embedder.name)
    pool = await db.pool()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        new, unchanged, removed = await _write(conn, embedder, chunks, files, prune=True)
    return IngestReport(new, unchanged, removed, len(files), embedder.name)


async def ensure_corpus(
    db: Database, embedder: Embedder, path: Path | str | None = None
) -> IngestReport | None:
    """Create the schema, and ingest the corpus at `path` (default: the shipped one) when the
    documents table is empty, so a fresh clone answers offline. None when there was nothing to do.
    A database that already holds documents (a production corpus) is left as it is."""
    await db.ensure_schema(await embedder.dimension(), embedder.name)
    pool = await db.pool()
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM documents)"):
            return None
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM documents)"):
                return None  # another worker filled it while we waited for the lock
            _, chunks, files = _load(path)
            new, unchanged, _ = await _write(conn, embedder, chunks, files, prune=False)
    return IngestReport(new, unchanged, 0, len(files), embedder.name)
