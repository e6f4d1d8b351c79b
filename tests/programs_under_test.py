"""Small DSPy programs the program-stage tests load by their import path, as a user would."""

from __future__ import annotations

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
