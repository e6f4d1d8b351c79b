"""Small DSPy programs the program-stage tests load by their import path, as a user would."""

from __future__ import annotations

import hashlib
import threading

import dspy

THREADS: dict[str, int] = {}


class AsyncCoder(dspy.Module):
    """Async-native: the harness must await it on its own loop."""

    def __init__(self) -> None:
        super().__init__()
        self.generate = dspy.Predict("query -> answer")

    async def aforward(self, query: str) -> dspy.Prediction:
        THREADS["async"] = threading.get_ident()
        return await self.generate.acall(query=query)


class SyncCoder(dspy.Module):
    """Sync-only: the harness must run it in a worker thread."""

    def __init__(self) -> None:
        super().__init__()
        self.generate = dspy.Predict("query -> answer")

    def forward(self, query: str) -> dspy.Prediction:
        THREADS["sync"] = threading.get_ident()
        return self.generate(query=query)


class CodeOnly(dspy.Module):
    """Outputs `code`, not `answer`."""

    def __init__(self) -> None:
        super().__init__()
        self.generate = dspy.Predict("query -> code")

    def forward(self, query: str) -> dspy.Prediction:
        return self.generate(query=query)


def make_coder() -> AsyncCoder:
    return AsyncCoder()


def not_a_module() -> str:
    return "nope"


INSTANCE = AsyncCoder()


class SlowGolden(dspy.Module):
    """A scripted program with no LM, slow on purpose (CAIRO_EVALS_TEST_DELAY seconds) so a run
    can be killed halfway: the golden for most cases, no code for every third, so scores vary."""

    def __init__(self) -> None:
        super().__init__()
        from harness.suite import load_suites

        self.goldens = {c.query: c.golden for s in load_suites() for c in s.cases}

    async def aforward(self, query: str) -> dspy.Prediction:
        import asyncio
        import os

        await asyncio.sleep(float(os.environ.get("CAIRO_EVALS_TEST_DELAY", "0")))
        if hashlib.sha256(query.encode()).digest()[0] % 3 == 0:
            return dspy.Prediction(answer="Sorry, I cannot write that one.")
        return dspy.Prediction(answer=f"```cairo\n{self.goldens[query]}```")


def slow_demo_lm() -> dspy.LM:
    """The scripted demo student (see harness.demo), CAIRO_EVALS_TEST_DELAY seconds a call, so an
    optimisation can be killed halfway."""
    import os

    from harness.demo import scripted_model
    from harness.paths import project_root
    from harness.suite import load_suites

    engine = scripted_model([c for s in load_suites() for c in s.cases], project_root())
    engine.latency = float(os.environ.get("CAIRO_EVALS_TEST_DELAY", "0"))
    return engine.lm("scripted/demo")
