"""The document store: PostgreSQL + pgvector, one asyncpg pool per event loop.

Where the database comes from, first match wins:

1. the `dsn` argument (any PostgreSQL with the pgvector extension available);
2. the `CAIRO_EVALS_DSN` environment variable;
3. an embedded server: `pgserver` (PostgreSQL 16 + pgvector) with its data under
   `cache_dir()/pgdata`, started on first use and stopped at process exit (or `cleanup()`).
   It listens on a unix socket only, in the data dir: `postgresql://postgres:@/postgres?host=<pgdata>`.

What the embedded server does to the machine (pgserver's own behaviour, not ours):

- run as root, it creates a system user `pgserver` (`useradd`), chowns the data dir to it and
  adds g+rx,o+rx to **every parent directory** of the data dir (up to `/`), so that user can
  reach it. Keep the cache inside a project whose parents may be world-traversable.
- its inter-process lock file lives under `$XDG_RUNTIME_DIR`; we point that variable at
  `cache_dir()/run` while pgserver is imported, so nothing is written outside the project
  (unless something imported pgserver before us).
- several processes (pytest-xdist workers) may share one data dir: the server stops when the
  last of them exits. pgserver keeps their pids in `<pgdata>/.handle_pids.json`; a process
  killed with -9 never takes its pid out, and pgserver would then never stop the server. So
  before each start the pids of processes that are gone are dropped from that list
  (`forget_dead_handles`): the next process to exit normally stops the server.

Pools belong to the event loop that made them. `await db.pool()` returns the running loop's pool
and creates it on first use; another loop (another `asyncio.run`, a `dspy.syncify`-ed call, an
Evaluate thread) gets its own. A pool is never handed to a foreign loop — sharing one across
loops is the "attached to a different loop" bug that other assistants work around with
environment switches. A pool is closed by `await db.aclose()` on its loop, or automatically
when `asyncio.run` shuts its loop down (the pool's lifetime is tied to an async generator, and
`asyncio.run` finalises those before closing the loop). Pools of loops closed some other way are
dropped on the next `pool()` call.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import sys
import threading
from collections.abc import AsyncGenerator
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
from pgvector.asyncpg import register_vector

from ..paths import cache_dir

DSN_ENV = "CAIRO_EVALS_DSN"
HANDLES_FILE = ".handle_pids.json"  # pgserver's list of the processes holding a server
log = logging.getLogger(__name__)

# Advisory-lock key for schema changes and ingestion ("cairo-ev" in hex), so concurrent
# processes and pools serialise DDL instead of racing on CREATE ... IF NOT EXISTS.
SCHEMA_LOCK = 0x636169726F2D6576


class SchemaMismatch(RuntimeError):
    """The stored corpus was embedded with another embedder or dimension than the one in use."""


def _import_pgserver() -> ModuleType:
    """Import pgserver with its lock file under `cache_dir()/run` (it reads XDG_RUNTIME_DIR at import)."""
    if "pgserver" in sys.modules:
        return sys.modules["pgserver"]
    runtime = cache_dir() / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)  # platformdirs only accepts a private runtime dir
    saved = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        import pgserver
    finally:
        if saved is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved
    return pgserver


def _alive(pid: int) -> bool:
    import psutil  # pgserver's own dependency

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:  # gone, or never was
        return False


def forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop the pids of processes that are gone (or zombies) from pgserver's handle list of the
    server on `pgdata`; the dropped pids.

    pgserver adds a process's pid when it gets the server and removes it at the process's exit,
    stopping the server when the list becomes empty. A process killed with -9 runs no exit
    handler, so its pid would stay forever and no later process would ever stop the server.
    This runs under pgserver's inter-process lock (the one it holds while changing the list), so
    it cannot race another process's start or stop.
    """
    from pgserver.postgres_server import PostgresServer

    path = Path(pgdata).expanduser().resolve() / HANDLES_FILE
    with PostgresServer._lock:
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return []
        if not isinstance(pids, list):
            return []
        alive = [p for p in pids if isinstance(p, int) and _alive(p)]
        dead = [p for p in pids if p not in alive]
        if dead:
            path.write_text(json.dumps(alive))
    if dead:
        log.info("embedded PostgreSQL at %s: dropped handles of processes that are gone: %s", pgdata, dead)
    return dead


class Database:
    """A PostgreSQL + pgvector database, with one connection pool per event loop.

    Args:
        dsn: a PostgreSQL URI; None reads `CAIRO_EVALS_DSN`, and without it uses the embedded
            pgserver (see the module docstring for what that does as root).
        pgdata: the embedded server's data dir (default `cache_dir()/pgdata`); ignored with a DSN.
        min_size: connections a new pool opens at once. 1, so a short-lived loop (one
            `dspy.syncify`-ed call) costs one connection, not a full pool.
        max_size: the most connections one pool (one loop) holds.

    Attributes:
        connections_opened: connections opened so far by every pool of this object (counted in
            the pool's per-connection `init`; a reconnect counts again).
        pools_created: pools created so far (one per event loop that used this object).
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pgdata: Path | str | None = None,
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        self._dsn = dsn or os.environ.get(DSN_ENV) or None
        self._pgdata = Path(pgdata) if pgdata is not None else None
        self.min_size = min_size
        self.max_size = max_size
        self.connections_opened = 0
        self.pools_created = 0
        self._server: Any = None
        self._lock = threading.Lock()
        # loop -> the task creating (then holding) that loop's pool and its lifetime generator
        self._pools: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}

    def __deepcopy__(self, memo: dict) -> Database:
        # A connection manager is shared, never copied (DSPy deep-copies programs it optimises).
        return self

    def __repr__(self) -> str:
        where = "embedded" if self.embedded else "dsn"
        return f"Database({where}, pools={len(self._pools)}, connections_opened={self.connections_opened})"

    @property
    def embedded(self) -> bool:
        """True when this object runs the embedded pgserver rather than an external DSN."""
        return self._dsn is None

    @property
    def pgdata(self) -> Path:
        """The embedded server's data dir."""
        return self._pgdata or cache_dir() / "pgdata"

    def dsn(self) -> str:
        """The connection URI; starts the embedded server (≈1 s first time, blocking) when needed."""
        if self._dsn is not None:
            return self._dsn
        with self._lock:
            if self._server is None:
                pgserver = _import_pgserver()
                self.pgdata.parent.mkdir(parents=True, exist_ok=True)
                forget_dead_handles(self.pgdata)  # else a starter killed with -9 keeps it running forever
                self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
                atexit.register(self.cleanup)
            return self._server.get_uri()

    def cleanup(self) -> None:
        """Stop the embedded server (no-op with a DSN). Runs at exit; safe to call twice.

        The server is shared by every `Database` on the same data dir in this process (and by
        other processes using it): pgserver stops it when the last user lets go.
        """
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.cleanup()

    async def pool(self) -> asyncpg.Pool:
        """The running loop's pool, created on first use (concurrent first callers share it)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._forget_closed_loops()
            task = self._pools.get(loop)
            if task is None:
                task = self._pools[loop] = loop.create_task(self._create_pool())
        try:
            pool, _ = await asyncio.shield(task)
        except BaseException:
            if task.done():  # creation failed: let the next call try again
                with self._lock:
                    if self._pools.get(loop) is task:
                        del self._pools[loop]
            raise
        return pool

    async def aclose(self) -> None:
        """Close the running loop's pool (if it has one); other loops' pools are untouched."""
        with self._lock:
            task = self._pools.pop(asyncio.get_running_loop(), None)
        if task is None:
            return
        try:
            _, lifetime = await task
        except Exception:  # the pool was never created: nothing to close
            return
        await lifetime.aclose()  # its `finally` closes the pool

    @property
    def open_pools(self) -> int:
        """Pools currently held (one per live event loop that used this object)."""
        return len(self._pools)

    async def _create_pool(self) -> tuple[asyncpg.Pool, AsyncGenerator[None, None]]:
        dsn = await asyncio.to_thread(self.dsn)
        pool = await asyncpg.create_pool(dsn, min_size=self.min_size, max_size=self.max_size, init=self._init)
        with self._lock:
            self.pools_created += 1
        lifetime = self._lifetime(pool)
        await lifetime.__anext__()
        return pool, lifetime

    async def _init(self, conn: asyncpg.Connection) -> None:
        """Per new connection: the pgvector codec (creating the extension in a fresh database)."""
        try:
            await register_vector(conn)
        except ValueError as e:  # "unknown type: public.vector": the extension is not there yet
            if "unknown type" not in str(e):
                raise
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            await conn.reload_schema_state()
            await register_vector(conn)
        with self._lock:
            self.connections_opened += 1

    async def _lifetime(self, pool: asyncpg.Pool) -> AsyncGenerator[None, None]:
        # `asyncio.run` calls `aclose()` on live async generators before it closes the loop,
        # which runs this `finally` on the right loop: the pool cannot outlive its loop.
        try:
            yield
        finally:
            loop = asyncio.get_running_loop()
            with self._lock:
                task = self._pools.get(loop)
                if task is not None and task.done() and task.result()[0] is pool:
                    del self._pools[loop]
            await _close_pool(pool)

    def _forget_closed_loops(self) -> None:
        # Loops closed without `asyncio.run`'s shutdown: their pools cannot be closed politely any
        # more; dropping them lets the garbage collector close the sockets.
        for loop in [lp for lp in self._pools if lp.is_closed()]:
            del self._pools[loop]

    async def ensure_schema(self, dim: int, embedder: str | None = None) -> None:
        """Create the extension, tables and indexes if missing (idempotent, safe concurrently).

        Tables: `documents(id text primary key -- sha256 of content, source, title, content,
        embedding vector(dim), metadata jsonb)` with an HNSW cosine index on `embedding` and a
        b-tree on `source`; `corpus_meta` (one row) records the dimension and embedder name.

        Args:
            dim: the embedding dimension in use.
            embedder: the embedder's name; when given, it must match the stored one too.

        Raises:
            SchemaMismatch: the stored corpus used another dimension or embedder; the message says
                how to re-ingest.
        """
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS corpus_meta ("
                " singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
                " dim integer NOT NULL, embedder text NOT NULL)"
            )
            row = await conn.fetchrow("SELECT dim, embedder FROM corpus_meta")
            if row is None:
                await conn.execute(
                    "INSERT INTO corpus_meta (dim, embedder) VALUES ($1, $2)", dim, embedder or "unknown"
                )
            elif row["dim"] != dim or (embedder is not None and row["embedder"] != embedder):
                raise SchemaMismatch(
                    f"the corpus in this database was embedded with '{row['embedder']}' "
                    f"(dimension {row['dim']}), but '{embedder or 'this embedder'}' (dimension {dim}) "
                    "is in use. Re-ingest with the embedder you want: "
                    f"`cairo-evals ingest --reset --embedder {embedder or '<embedder>'}` "
                    "(drops and rebuilds the documents), or use the embedder the corpus was built with."
                )
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS documents ("
                " id text PRIMARY KEY, source text NOT NULL, title text NOT NULL, content text NOT NULL,"
                f" embedding vector({int(dim)}) NOT NULL, metadata jsonb NOT NULL DEFAULT '{{}}'::jsonb)"
            )
            await conn.execute(
                "CREATE INDEX IF NOT EXISTS documents_embedding_hnsw"
                " ON documents USING hnsw (embedding vector_cosine_ops)"
            )
            await conn.execute("CREATE INDEX IF NOT EXISTS documents_source ON documents (source)")

    async def reset(self) -> None:
        """Drop the corpus tables (documents and corpus_meta); the next `ensure_schema` recreates them."""
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await conn.execute("DROP TABLE IF EXISTS documents; DROP TABLE IF EXISTS corpus_meta")


async def _close_pool(pool: asyncpg.Pool, timeout: float = 10.0) -> None:
    """Close politely (waits for connections to be released); terminate when that takes too long."""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except TimeoutError:
        pool.terminate()
    except asyncio.CancelledError:
        pool.terminate()
        raise
