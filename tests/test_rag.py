"""The reference RAG pipeline against real parts: an embedded pgserver (PostgreSQL 16 + pgvector),
asyncpg pools, the shipped corpus and real DSPy modules. The only fake is the LM: no model is
reachable here, so DSPy's `DummyLM` plays scripted answers (tests say "scripted LM").

One pgserver runs for the whole session, with its data under the project cache (deleted at the
end); each test that writes gets a fresh database in it.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import dspy
import pytest
from dspy.utils import DummyLM

from harness.cli import main as cli_main
from harness.paths import cache_dir
from harness.rag import (
    Database,
    HashEmbedder,
    RagPipeline,
    SchemaMismatch,
    ingest,
    load_chunks,
)
from harness.rag.chunk import chunk_cairo, chunk_markdown
from harness.rag.db import DSN_ENV
from harness.rag.retrieve import DocumentRetriever

CAIRO_ANSWER = (
    "Use an event enum:\n```cairo\n#[event]\n#[derive(Drop, starknet::Event)]\npub enum Event {}\n```"
)


def scripted_lm(scores: object = (0.9, 0.1, 0.8), answer: str = CAIRO_ANSWER) -> DummyLM:
    """Answers keyed by the output field each signature asks for (stateless, so thread-safe)."""
    return DummyLM(
        {
            "[[ ## search_terms ## ]]": {
                "search_terms": ["emit event", "#[event] enum", "self.emit"],
                "resources": ["starknet-docs", "not-a-source"],
            },
            "[[ ## scores ## ]]": {"scores": list(scores) if isinstance(scores, tuple) else scores},
            "[[ ## answer ## ]]": {"answer": answer},
        }
    )


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server() -> Iterator[Database]:
    """The session's embedded server: a `Database` in embedded mode with its own data dir."""
    pgdata = cache_dir() / "pgtest" / f"session-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    db = Database(pgdata=pgdata)
    assert db.embedded

    async def no_fsync() -> None:  # a throwaway server: skip fsync (creating databases gets ~6x faster)
        conn = await asyncpg.connect(db.dsn())  # starts it
        try:
            await conn.execute("ALTER SYSTEM SET fsync = off")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    asyncio.run(no_fsync())
    yield db
    db.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)


async def _create_database(server: Database, name: str) -> str:
    """Create an empty database `name` on the session server; its DSN."""
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _with_database(server.dsn(), name)


@pytest.fixture
def fresh_dsn(server: Database) -> str:
    """A DSN to a new, empty database on the session server."""
    return asyncio.run(_create_database(server, f"t_{uuid.uuid4().hex[:10]}"))


@pytest.fixture(scope="session")
def corpus_dsn(server: Database) -> str:
    """A database holding the shipped corpus (ingested once; tests only read it)."""

    async def create() -> str:
        dsn = await _create_database(server, f"corpus_{uuid.uuid4().hex[:8]}")
        db = Database(dsn)
        await ingest(db)
        await db.aclose()
        return dsn

    return asyncio.run(create())


async def _fetchval(db: Database, sql: str, *args: object) -> object:
    pool = await db.pool()
    return await pool.fetchval(sql, *args)


# --- schema ----------------------------------------------------------------------------------


def test_ensure_schema_is_idempotent_and_safe_concurrently(fresh_dsn: str) -> None:
    async def run() -> tuple[object, object, object]:
        db = Database(fresh_dsn)
        await db.ensure_schema(384, "local-hash-v1-384")
        await asyncio.gather(*(db.ensure_schema(384, "local-hash-v1-384") for _ in range(4)))
        tables = await _fetchval(
            db, "SELECT count(*) FROM pg_tables WHERE tablename IN ('documents', 'corpus_meta')"
        )
        meta = await _fetchval(db, "SELECT count(*) FROM corpus_meta")
        indexes = await _fetchval(db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'documents'")
        await db.aclose()
        return tables, meta, indexes

    tables, meta, indexes = asyncio.run(run())
    assert tables == 2
    assert meta == 1
    assert indexes == 3  # primary key, HNSW on embedding, b-tree on source


def test_dimension_or_embedder_mismatch_raises_and_says_how_to_reingest(fresh_dsn: str) -> None:
    async def run() -> None:
        db = Database(fresh_dsn)
        await ingest(db, HashEmbedder(384))
        with pytest.raises(SchemaMismatch, match=r"cairo-evals ingest --reset --embedder"):
            await db.ensure_schema(128, HashEmbedder(128).name)
        with pytest.raises(SchemaMismatch, match="local-hash-v1-384"):
            await ingest(db, HashEmbedder(128))
        report = await ingest(db, HashEmbedder(128), reset=True)
        assert report.new > 0
        dim = await _fetchval(db, "SELECT vector_dims(embedding) FROM documents LIMIT 1")
        assert dim == 128
        await db.aclose()

    asyncio.run(run())


# --- ingest ----------------------------------------------------------------------------------


def test_shipped_corpus_has_enough_chunks_from_every_source() -> None:
    chunks = load_chunks()
    assert len(chunks) >= 30
    assert {c.source for c in chunks} == {"cairo-book", "starknet-docs", "corelib", "pitfalls"}
    assert all(len(c.id) == 64 and c.title and c.content for c in chunks)


def test_ingest_twice_the_second_is_a_no_op(fresh_dsn: str) -> None:
    async def run() -> None:
        db = Database(fresh_dsn)
        first = await ingest(db)
        second = await ingest(db)
        rows = await _fetchval(db, "SELECT count(*) FROM documents")
        await db.aclose()
        assert first.new == len(load_chunks()) == rows
        assert (first.unchanged, first.removed) == (0, 0)
        assert (second.new, second.unchanged, second.removed) == (0, first.new, 0)

    asyncio.run(run())


def test_ingest_replaces_the_chunks_of_an_edited_file(fresh_dsn: str, tmp_path: Path) -> None:
    notes = tmp_path / "mynotes"
    notes.mkdir()
    doc = notes / "storage.md"
    doc.write_text(
        "---\nsource: starknet-docs\n---\n# Storage\n\n## Maps\n\nUse Map.\n\n## Reads\n\nUse read.\n"
    )

    async def run() -> None:
        db = Database(fresh_dsn)
        first = await ingest(db, path=notes)
        doc.write_text(
            "---\nsource: starknet-docs\n---\n# Storage\n\n## Maps\n\nUse Map.\n\n## Reads\n\nCall read().\n"
        )
        second = await ingest(db, path=notes)
        contents = await (await db.pool()).fetch("SELECT content FROM documents ORDER BY content")
        await db.aclose()
        assert (first.new, second.new, second.unchanged, second.removed) == (2, 1, 1, 1)
        assert [r["content"] for r in contents] == ["## Maps\n\nUse Map.", "## Reads\n\nCall read()."]

    asyncio.run(run())


def test_markdown_chunks_by_heading_with_size_cap_overlap_and_intact_code() -> None:
    code = "```cairo\n# not a heading inside a fence\nfn f() {}\n```"
    para = "word " * 60
    text = f"---\nsource: corelib\ntitle: Doc\n---\n# Doc\n\n## A\n\n{code}\n\n## B\n\n" + "\n\n".join(
        [para.strip()] * 5
    )
    chunks = chunk_markdown(text, file="doc.md", source="folder", max_chars=700, overlap=400)
    a = [c for c in chunks if c.title == "Doc › A"]
    b = [c for c in chunks if c.title == "Doc › B"]
    assert len(a) == 1 and code in a[0].content  # the '#' line in the fence did not split it
    assert len(b) >= 2 and all(c.content.startswith("## B") for c in b)  # continuation keeps the heading
    assert b[1].content.count(para.strip()) >= 2  # overlap: the previous piece's last paragraph repeats
    assert all(c.source == "corelib" for c in chunks)


def test_cairo_files_chunk_by_top_level_item_with_their_comments_and_imports() -> None:
    source = (
        "// source: corelib\n"
        "use core::num::traits::CheckedAdd;\n\n"
        "/// Adds without panicking.\n"
        "pub fn add(a: u32, b: u32) -> Option<u32> {\n    a.checked_add(b)\n}\n\n"
        "#[derive(Drop)]\n"
        "pub struct S {\n    x: felt252, // a '}' in a comment\n}\n\n"
        "const LIMIT: u32 = 10;\n"
    )
    chunks = chunk_cairo(source, file="lib.cairo", source="examples")
    assert [c.title for c in chunks] == [
        "lib.cairo: pub fn add(a: u32, b: u32) -> Option<u32>",
        "lib.cairo: pub struct S",
        "lib.cairo: const LIMIT: u32 = 10",
    ]
    assert chunks[0].content.startswith("use core::num::traits::CheckedAdd;")
    assert "/// Adds without panicking." in chunks[0].content
    assert chunks[1].content.startswith("#[derive(Drop)]")
    assert {c.source for c in chunks} == {"corelib"}


def test_cli_ingest_reports_new_then_unchanged(fresh_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    n = len(load_chunks())
    assert cli_main(["ingest", "--dsn", fresh_dsn]) == 0
    assert f"{n} new, 0 unchanged" in capsys.readouterr().out
    assert cli_main(["ingest", "--dsn", fresh_dsn]) == 0
    assert f"0 new, {n} unchanged" in capsys.readouterr().out
    assert cli_main(["ingest", "--dsn", fresh_dsn, "--embedder", "local", "/no/such/dir"]) == 2


# --- embeddings and search -------------------------------------------------------------------


def test_hash_embedder_is_deterministic_normalised_and_similarity_tracks_topic() -> None:
    emb = HashEmbedder()
    [a, b, c] = emb.embed(
        [
            "emit an event with self.emit and #[key] fields",
            "events: #[event] enum, self.emit(Transfer { .. }), #[key]",
            "u256 checked_add overflow",
        ]
    )
    assert emb.embed(["emit an event with self.emit and #[key] fields"])[0] == a
    assert len(a) == 384 and abs(sum(x * x for x in a) - 1) < 1e-9

    def cos(u: list[float], v: list[float]) -> float:
        return sum(x * y for x, y in zip(u, v, strict=True))

    assert cos(a, b) > cos(a, c) + 0.2


@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("How do I emit an event from a Starknet contract?", "Events ›"),
        ("checked_add that returns None on overflow", "Checked arithmetic"),
        ("storage Map read and write imports", "Contract storage and Map"),
        ("call another contract through IFooDispatcher", "dispatchers"),
        ("I wrote return inside a while loop and it fails", "No return inside a loop"),
        ("unit test a contract with set_caller_address", "set_caller_address"),
    ],
)
def test_similarity_search_returns_a_relevant_chunk(corpus_dsn: str, query: str, expected_title: str) -> None:
    async def run() -> list:
        db = Database(corpus_dsn)
        docs = await DocumentRetriever(db, HashEmbedder(), top_k=3).search(query)
        await db.aclose()
        return docs

    docs = asyncio.run(run())
    assert any(expected_title in d.title for d in docs), [d.title for d in docs]
    assert all(len(d.id) == 64 for d in docs)
    assert [d.similarity for d in docs] == sorted((d.similarity for d in docs), reverse=True)


def test_source_filter_restricts_the_search(corpus_dsn: str) -> None:
    async def run() -> tuple[list, list]:
        db = Database(corpus_dsn)
        retriever = DocumentRetriever(db, HashEmbedder(), top_k=5, similarity_threshold=-1.0)
        book = await retriever.search("emit an event", sources=["cairo-book"])
        both = await retriever.search("overflow", sources=["corelib", "pitfalls"])
        await db.aclose()
        return book, both

    book, both = asyncio.run(run())
    assert len(book) == 5 and {d.source for d in book} == {"cairo-book"}
    assert both and {d.source for d in both} <= {"corelib", "pitfalls"}


# --- the pipeline with a scripted LM ----------------------------------------------------------


def test_pipeline_with_scripted_lm_answers_with_a_cairo_block_and_sources(corpus_dsn: str) -> None:
    lm = scripted_lm(scores=(0.9, 0.1, 0.8))

    async def run() -> tuple[dspy.Prediction, list]:
        db = Database(corpus_dsn)
        pipeline = RagPipeline(db=db, top_k=3)
        retrieved = await pipeline.retriever.search(
            "How do I emit an event?", ["emit event", "#[event] enum", "self.emit"], ["starknet-docs"]
        )
        with dspy.context(lm=lm):
            pred = await pipeline.acall(
                query="How do I emit an event?", chat_history=[{"role": "user", "content": "hello"}]
            )
        await pipeline.aclose()
        return pred, retrieved

    pred, retrieved = asyncio.run(run())
    assert "```cairo" in pred.answer
    assert len(retrieved) == 3
    assert pred.sources == [retrieved[0].id, retrieved[2].id]  # the judge dropped the 0.1 document
    assert pred.search_terms == ["emit event", "#[event] enum", "self.emit"]
    assert pred.resources == ["starknet-docs"]  # unknown source names are ignored
    assert retrieved[0].content in pred.context and retrieved[1].content not in pred.context
    assert len(lm.history) == 3  # query processor, judge, generation
    assert "user: hello" in lm.history[0]["messages"][-1]["content"]


def test_pipeline_keeps_all_documents_when_the_judge_output_is_malformed(corpus_dsn: str) -> None:
    lm = scripted_lm(scores="definitely not a list of numbers")

    async def run() -> dspy.Prediction:
        pipeline = RagPipeline(db=Database(corpus_dsn), top_k=3)
        with dspy.context(lm=lm):
            pred = await pipeline.acall(query="How do I emit an event?")
        await pipeline.aclose()
        return pred

    pred = asyncio.run(run())
    assert len(pred.sources) == 3
    assert "```cairo" in pred.answer


def test_mcp_mode_returns_the_context_without_calling_generation(corpus_dsn: str) -> None:
    lm = scripted_lm(scores=(1.0, 1.0, 1.0))

    async def run() -> dspy.Prediction:
        pipeline = RagPipeline(db=Database(corpus_dsn), top_k=3, mcp_mode=True)
        with dspy.context(lm=lm):
            pred = await pipeline.acall(query="How do I emit an event?")
        await pipeline.aclose()
        return pred

    pred = asyncio.run(run())
    assert pred.answer == pred.context
    assert "self.emit" in pred.context and len(pred.sources) == 3
    prompts = [h["messages"][-1]["content"] for h in lm.history]
    assert len(prompts) == 2 and not any("[[ ## answer ## ]]" in p for p in prompts)


def test_pipeline_ingests_the_shipped_corpus_on_first_use_of_an_empty_database(fresh_dsn: str) -> None:
    async def run() -> tuple[dspy.Prediction, object]:
        db = Database(fresh_dsn)
        pipeline = RagPipeline(db=db)
        with dspy.context(lm=scripted_lm(scores=(1.0,) * 5)):
            pred, _ = await asyncio.gather(
                pipeline.acall(query="How do I emit an event?"), pipeline.acall(query="u256 overflow")
            )
        rows = await _fetchval(db, "SELECT count(*) FROM documents")
        await pipeline.aclose()
        return pred, rows

    pred, rows = asyncio.run(run())
    assert rows == len(load_chunks())
    assert pred.sources


def test_sync_call_raises_a_clear_error_and_syncify_makes_it_work(corpus_dsn: str) -> None:
    pipeline = RagPipeline(db=Database(corpus_dsn), top_k=2)
    with pytest.raises(RuntimeError, match=r"acall.*dspy\.syncify"):
        pipeline(query="events")
    synced = dspy.syncify(pipeline, in_place=False)
    with dspy.context(lm=scripted_lm(scores=(1.0, 1.0))):
        pred = synced(query="How do I emit an event?")
    assert "```cairo" in pred.answer and len(pred.sources) == 2
    assert pipeline.db.open_pools == 0  # the syncified call's loop closed its pool on the way out


# --- pools and connection settings ------------------------------------------------------------


def test_each_event_loop_gets_its_own_pool_and_aclose_closes_it(fresh_dsn: str) -> None:
    db = Database(fresh_dsn)

    async def use() -> tuple[asyncpg.Pool, bool]:
        pools = await asyncio.gather(*(db.pool() for _ in range(5)))
        assert all(p is pools[0] for p in pools)  # concurrent first callers share one pool
        assert await pools[0].fetchval("SELECT 1") == 1
        await db.aclose()
        return pools[0], pools[0].is_closing()

    first, first_closed = asyncio.run(use())
    second, second_closed = asyncio.run(use())
    assert first is not second
    assert first_closed and second_closed
    assert db.pools_created == 2
    assert db.connections_opened == 2  # min_size=1: one connection per pool
    assert db.open_pools == 0


def test_a_pool_left_open_is_closed_when_asyncio_run_ends_its_loop(fresh_dsn: str) -> None:
    db = Database(fresh_dsn)

    async def use() -> asyncpg.Pool:
        pool = await db.pool()
        await pool.fetchval("SELECT 1")
        return pool  # no aclose()

    pool = asyncio.run(use())
    assert pool.is_closing()
    assert db.open_pools == 0

    async def backends() -> int:
        conn = await asyncpg.connect(fresh_dsn)
        try:
            return await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()

    assert asyncio.run(backends()) == 0


def test_dsn_comes_from_the_argument_then_the_environment(
    fresh_dsn: str, corpus_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DSN_ENV, fresh_dsn)
    from_env = Database()
    from_arg = Database(corpus_dsn)
    assert not from_env.embedded and not from_arg.embedded

    async def current(db: Database) -> object:
        name = await _fetchval(db, "SELECT current_database()")
        await db.aclose()
        return name

    assert asyncio.run(current(from_env)) == urlsplit(fresh_dsn).path.lstrip("/")
    assert asyncio.run(current(from_arg)) == urlsplit(corpus_dsn).path.lstrip("/")


def test_an_unreachable_database_raises_and_leaves_no_pool_behind(tmp_path: Path) -> None:
    db = Database(f"postgresql://postgres@/postgres?host={tmp_path}")  # no server on that socket

    async def use() -> None:
        with pytest.raises(OSError):
            await db.pool()
        assert db.open_pools == 0  # the next call tries again instead of reusing a failed task

    asyncio.run(use())
