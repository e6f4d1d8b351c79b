"""No faults on demand, for real: the native Cairo 2.16 compiler, its real workers, small budgets.

An answer must not be able to fail by making our compile hit a bound: a bound hit twice, the
second time alone on a fresh worker with the full budget, is the answer's verdict (does not
compile, `compile-budget`, cached). A fault that does not repeat is not held against the answer:
a stalled worker (SIGSTOP, as heavy load would) is run again and the second run's verdict counts;
a worker killed mid-compile (not a bound) stays a harness fault. Faults are injected into the real
worker processes; no compiler is mocked. Budgets are small (4-10 s) so the tests are quick; no
timing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cairo import Compiler
from harness.cairo.native import NativeBackend, native_pool
from harness.cairo.pool import Gate, WorkerPool
from harness.judge import make_judge
from harness.metric import Scorer
from harness.suite import Case, Suite, load_suite

pytestmark = pytest.mark.native

REPO = Path(__file__).resolve().parents[1]
CASE = "checked-factorial"


@pytest.fixture(scope="module")
def suite() -> Suite:
    return load_suite(REPO / "suites" / "cairo-basics.yaml")


@pytest.fixture(scope="module")
def case(suite: Suite) -> Case:
    return next(c for c in suite.cases if c.id == CASE)


def doubling_chain(case: Case, depth: int = 40) -> str:
    """The attack as a model could write it: the golden, whose `checked_factorial` calls the top of
    a chain of `#[inline(always)]` functions, each calling the one below twice: inlining doubles
    the work at each step, so the compile takes as long as the answer likes."""
    chain = ["#[inline(always)]", "fn w0(x: u64) -> u64 {\n    x + 1\n}"]
    for i in range(1, depth):
        chain += ["#[inline(always)]", f"fn w{i}(x: u64) -> u64 {{\n    w{i - 1}(x) + w{i - 1}(x + 1)\n}}"]
    head = "pub fn checked_factorial(n: u8) -> Option<u64> {"
    assert head in case.golden
    code = case.golden.replace(
        head, f"{head}\n    if n == 255 {{\n        return Option::Some(w{depth - 1}(n.into()));\n    }}", 1
    )
    return (
        "Here is the implementation, with a small helper for the edge case:\n\n```cairo\n"
        + code
        + "\n"
        + "\n".join(chain)
        + "\n```\n"
    )


def compiler_for(pool: WorkerPool, cache: Path, timeout: float) -> Compiler:
    return Compiler(NativeBackend(pool), cache_root=cache, timeout=timeout)


def score(compiler: Compiler, suite: Suite, case: Case, answer: str):  # -> CaseResult
    scorer = Scorer(compiler, make_judge("heuristic"), suite.dependencies)
    return asyncio.run(scorer.ascore(case, answer, suite.scoring))


@pytest.fixture()
def pool() -> Iterator[WorkerPool]:
    pool = native_pool(size=1)
    yield pool
    pool.close()


def on_first_call(pool: WorkerPool, sig: signal.Signals, after: float = 0.3) -> threading.Thread:
    """Send `sig` to the pool's first worker once a call is in flight on it (once, never again)."""

    def watch() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            busy = [w for w in list(pool._live) if w.calls >= 1 and w.alive]
            if busy:
                time.sleep(after)
                os.killpg(busy[0].proc.pid, sig)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_doubling_inline_chain_is_a_verdict_against_the_answer_cached_and_scored(
    tmp_path: Path, pool: WorkerPool, suite: Suite, case: Case
) -> None:
    answer = doubling_chain(case)
    compiler = compiler_for(pool, tmp_path, timeout=4)
    result = score(compiler, suite, case, answer)
    assert result.status == "ok" and result.fault is None  # a verdict, not a harness error
    assert result.tier == "does-not-compile" and not result.passed and result.score <= 0.10
    assert "exceeds the compile budget of 4 s" in result.feedback and "hit twice" in result.feedback
    compiled = result.compile
    assert compiled is not None and compiled["status"] == "ok" and compiled["budget_s"] == 4
    assert [d["code"] for d in compiled["diagnostics"]] == ["compile-budget"]
    assert pool.started >= 2  # the second compile ran on a fresh worker

    again = compiler.compile(result.code or "", "program", case.tests)  # cached like any verdict
    assert again.cached and again.status == "ok" and not again.ok and again.budget_s == 4
    assert score(compiler, suite, case, answer).score == result.score

    # a larger budget never reuses the smaller one's verdict: it tries for itself
    larger = compiler_for(pool, tmp_path, timeout=5).compile(result.code or "", "program", case.tests)
    assert not larger.cached and larger.budget_s == 5 and larger.status == "ok" and not larger.ok
    # ... and a smaller one may reuse the larger one's
    smaller = compiler_for(pool, tmp_path, timeout=3).compile(result.code or "", "program", case.tests)
    assert smaller.cached and smaller.budget_s == 5


def test_a_worker_stalled_once_is_run_again_alone_and_the_answer_gets_its_verdict(
    tmp_path: Path, pool: WorkerPool, suite: Suite, case: Case
) -> None:
    """A stop of the worker mid-compile (as a loaded machine would make it slow) hits the time
    bound once; the compile is run again, alone on a fresh worker, and the golden passes."""
    compiler = compiler_for(pool, tmp_path, timeout=10)
    on_first_call(pool, signal.SIGSTOP, after=0.0)
    result = score(compiler, suite, case, f"```cairo\n{case.golden}\n```")
    assert result.status == "ok" and result.passed and result.tier == "passes"
    assert "run again alone on a fresh idle worker" in result.feedback
    assert pool.started == 2


def test_a_worker_killed_mid_compile_stays_a_harness_fault_never_cached(
    tmp_path: Path, pool: WorkerPool, suite: Suite, case: Case
) -> None:
    """A crash of our worker that is not a bound (SIGKILL mid-compile) is no verdict on the answer:
    status error, out of the cache; the next score of the same answer is the real verdict."""
    compiler = compiler_for(pool, tmp_path, timeout=30)
    answer = f"```cairo\n{case.golden}\n```"
    killer = on_first_call(pool, signal.SIGKILL)
    faulted = score(compiler, suite, case, answer)
    killer.join()
    assert faulted.status == "error" and faulted.fault and "SIGKILL" in faulted.fault
    assert faulted.compile is not None and faulted.compile["status"] == "crash"
    assert "run again" not in faulted.feedback  # a crash is not a bound: not run again
    verdict = score(compiler, suite, case, answer)
    assert verdict.status == "ok" and verdict.passed
    assert verdict.compile is not None and not verdict.compile["cached"]


def test_the_gate_lets_one_run_alone_only_when_nothing_else_runs() -> None:
    gate, order, running = Gate(), [], threading.Event()
    release = threading.Event()

    def shared_holder() -> None:
        with gate.shared():
            order.append("shared in")
            running.set()
            release.wait(30)
            order.append("shared out")

    def alone() -> None:
        with gate.alone():
            order.append("alone")

    def late_shared() -> None:
        with gate.shared():
            order.append("late shared")

    holder = threading.Thread(target=shared_holder)
    holder.start()
    running.wait(30)
    loner = threading.Thread(target=alone)
    loner.start()
    while not gate._waiting:  # the loner waits for the holder
        time.sleep(0.01)
    late = threading.Thread(target=late_shared)
    late.start()  # a new compile waits behind the one that must run alone
    time.sleep(0.2)
    assert order == ["shared in"]
    release.set()
    for t in (holder, loner, late):
        t.join(30)
    assert order == ["shared in", "shared out", "alone", "late shared"]


def test_the_memory_bound_hit_twice_is_a_verdict_too() -> None:
    """The memory bound (a worker past `kill_rss`) takes the same path as the time bound; making a
    real worker pass 6 GB is not done here, so this checks the verdict built from two such hits
    as the pool reports them."""
    from harness.cairo.pool import Reply
    from harness.cairo.results import fault_result, over_budget

    hit = fault_result(
        "native", "v", Reply({}, 0, 7 << 30, failure="memory"), time.monotonic(), [], 9, "2.16.0"
    )
    assert hit.fault and hit.bound == "memory"
    crash = fault_result("native", "v", Reply({}, 0, 0, failure="crash", detail="panicked"), 0.0, [], 9, None)
    assert crash.fault and crash.bound is None  # a crash is not a bound: never run again, stays a fault
    verdict = over_budget(hit, hit, 9)
    assert verdict.status == "ok" and not verdict.fault and not verdict.ok and verdict.budget_s is None
    assert verdict.errors[0].code == "compile-budget" and "memory bound" in verdict.errors[0].message


def test_code_that_makes_the_cairo_compiler_panic_every_time_is_its_verdict(
    tmp_path: Path, pool: WorkerPool
) -> None:
    """Cairo 2.16 panics ("Failed to specialize: `dup<Array<Array<i64>>>`") on this answer to
    `matrix` with its tests, every time: run again alone on a fresh worker, it is the answer's
    verdict (does not compile, cached), not a harness fault an answer could cause at will."""
    matrix = next(
        c for s in [load_suite(REPO / "suites" / "cairo-basics.yaml")] for c in s.cases if c.id == "matrix"
    )
    code = (
        "pub type Matrix = Array<Array<i64>>;\n\n"
        "pub fn identity(n: u32) -> Matrix { Default::default() }\n\n"
        "pub fn transpose(m: @Matrix) -> Matrix { Default::default() }\n\n"
        "pub fn multiply(a: @Matrix, b: @Matrix) -> Option<Matrix> { Option::None }\n"
    )
    compiler = compiler_for(pool, tmp_path, timeout=120)
    result = compiler.compile(code, matrix.kind, matrix.tests)
    assert result.status == "ok" and not result.ok, result
    assert "the Cairo compiler itself panics on this code" in result.errors[0].message
    assert "Failed to specialize" in result.errors[0].message
    assert compiler.compile(code, matrix.kind, matrix.tests).cached
