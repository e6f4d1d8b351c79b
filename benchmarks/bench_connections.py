"""How many PostgreSQL connections the RAG pipeline opens: harness style vs `dspy.syncify` + Evaluate.

Runs the same program (`RagPipeline` over the shipped corpus, a scripted DSPy LM giving the same
answers every time) on N cases at concurrency C, two ways:

(a) harness style: one event loop, `asyncio.Semaphore(C)`, `await pipeline.acall(...)` per case,
    one `Database` -> one pool, which grows to at most C connections;
(b) `dspy.syncify(pipeline)` run by `dspy.Evaluate(num_threads=C)`: every call runs its own event
    loop (`asyncio.run`), so it gets its own pool and opens its own connection.

Figures per mode: connections opened (the `Database` counter, incremented per new connection),
pools created, the server's own count of sessions started (`pg_stat_database.sessions`) as a
cross-check, the peak of concurrently open connections (`pg_stat_activity`, sampled), and wall time.

    .venv/bin/python benchmarks/bench_connections.py [--cases 50] [--concurrency 10] [--dsn URI]

Without `--dsn` it uses an embedded pgserver under `<cache>/bench/pgdata`; a scratch database is
created for the run and dropped at the end.
"""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import argparse
import asyncio
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import dspy
from dspy.utils import DummyLM

from harness.paths import cache_dir
from harness.rag import Database, RagPipeline, ingest

QUERIES = [
    "How do I emit an event from a Starknet contract?",
    "Write a function that adds two u32 values without panicking on overflow.",
    "How do I store a balance per address in contract storage?",
    "Call another contract's function through its dispatcher.",
    "Sum the values of a Span<u64> with a loop.",
]


def scripted_lm(top_k: int) -> DummyLM:
    """The same three answers every time (query processor, judge, generation); stateless."""
    return DummyLM(
        {
            "[[ ## search_terms ## ]]": {"search_terms": ["storage Map", "emit event"], "resources": []},
            "[[ ## scores ## ]]": {"scores": [1.0] * top_k},
            "[[ ## answer ## ]]": {"answer": "```cairo\nfn main() {}\n```"},
        }
    )


@dataclass
class Figures:
    mode: str
    cases: int
    opened: int
    pools: int
    server_sessions: int
    peak_open: int
    seconds: float
    score: float


class ActivityMonitor:
    """Samples how many client connections are open on the database, from its own thread and loop."""

    def __init__(self, dsn: str, interval: float = 0.005) -> None:
        self.dsn = dsn
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._started = threading.Event()

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        self._started.set()
        try:
            while not self._stop.is_set():
                n = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                self.peak = max(self.peak, n)
                await asyncio.sleep(self.interval)
        finally:
            await conn.close()

    def __enter__(self) -> ActivityMonitor:
        self._thread.start()
        self._started.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _sessions(dsn: str) -> int:
    """Sessions the server has counted for this database (flushed when backends exit)."""
    await asyncio.sleep(0.5)  # let backends that just closed finish exiting and flush their stats
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
    finally:
        await conn.close()


def measure(mode: str, dsn: str, cases: int, run) -> Figures:
    """Run `run(db) -> score` and collect the figures; the helper connections are subtracted."""
    before = asyncio.run(_sessions(dsn))  # this reading's own session is counted in `after`
    db = Database(dsn)
    start = time.monotonic()
    with ActivityMonitor(dsn) as monitor:
        score = run(db)
    seconds = time.monotonic() - start
    after = asyncio.run(_sessions(dsn))
    # minus the `before` reading and the monitor
    return Figures(
        mode, cases, db.connections_opened, db.pools_created, after - before - 2, monitor.peak, seconds, score
    )


def harness_style(db: Database, lm: DummyLM, cases: int, concurrency: int, top_k: int) -> float:
    async def main() -> float:
        pipeline = RagPipeline(db=db, top_k=top_k)
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> float:
            async with sem:
                with dspy.context(lm=lm):
                    pred = await pipeline.acall(query=QUERIES[i % len(QUERIES)])
            return float("```cairo" in pred.answer)

        try:
            scores = await asyncio.gather(*(one(i) for i in range(cases)))
        finally:
            await pipeline.aclose()
        return sum(scores) / len(scores)

    return asyncio.run(main())


def syncify_evaluate(db: Database, lm: DummyLM, cases: int, concurrency: int, top_k: int) -> float:
    program = dspy.syncify(RagPipeline(db=db, top_k=top_k))
    devset = [dspy.Example(query=QUERIES[i % len(QUERIES)]).with_inputs("query") for i in range(cases)]

    def metric(gold: dspy.Example, pred: dspy.Prediction, trace: object = None) -> float:
        return float("```cairo" in pred.answer)

    evaluate = dspy.Evaluate(devset=devset, metric=metric, num_threads=concurrency, display_progress=False)
    with dspy.context(lm=lm):
        result = evaluate(program)
    return result.score / 100 if result.score > 1 else result.score


def _on_server(server_dsn: str, sql: str) -> None:
    """Run one statement on the server's maintenance connection (CREATE/DROP DATABASE)."""

    async def run() -> None:
        conn = await asyncpg.connect(server_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _scratch_database(server_dsn: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    _on_server(server_dsn, f'CREATE DATABASE "{name}"')
    return name, urlunsplit(urlsplit(server_dsn)._replace(path=f"/{name}"))


def _drop_database(server_dsn: str, name: str) -> None:
    _on_server(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--dsn", default=None, help="a PostgreSQL server with pgvector (default: embedded)")
    args = parser.parse_args()

    server = Database(args.dsn, pgdata=cache_dir() / "bench" / "pgdata")
    if server.embedded:
        server.pgdata.parent.mkdir(parents=True, exist_ok=True)
    server_dsn = server.dsn()
    name, dsn = _scratch_database(server_dsn)
    try:
        loader = Database(dsn)

        async def load() -> None:
            await ingest(loader)
            await loader.aclose()

        asyncio.run(load())
        lm = scripted_lm(args.top_k)
        a = measure(
            "(a) one loop, Semaphore, acall",
            dsn,
            args.cases,
            lambda db: harness_style(db, lm, args.cases, args.concurrency, args.top_k),
        )
        b = measure(
            "(b) dspy.syncify + Evaluate(threads)",
            dsn,
            args.cases,
            lambda db: syncify_evaluate(db, lm, args.cases, args.concurrency, args.top_k),
        )
    finally:
        _drop_database(server_dsn, name)
        server.cleanup()

    pool = Database(dsn)
    print(
        f"{args.cases} cases, concurrency {args.concurrency}, pool min_size={pool.min_size} "
        f"max_size={pool.max_size} (one pool per event loop)"
    )
    header = f"{'mode':38} {'opened':>6} {'pools':>5} {'server':>6} {'peak':>4} {'time':>7} {'score':>5}"
    print(header)
    for f in (a, b):
        print(
            f"{f.mode:38} {f.opened:6d} {f.pools:5d} {f.server_sessions:6d} {f.peak_open:4d} "
            f"{f.seconds:6.2f}s {f.score:5.2f}"
        )
    print(
        "opened: Database counter (pool init per new connection); server: pg_stat_database.sessions "
        "delta; peak: most connections open at once (pg_stat_activity, sampled every 5 ms)"
    )


if __name__ == "__main__":
    main()
