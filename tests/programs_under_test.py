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


class HangsOnMarked(dspy.Module):
    """Sync-only, no LM: answers prose (no code, so nothing compiles), except that it never returns
    for a query containing "[hang]": a program stuck in a sync call."""

    def forward(self, query: str) -> dspy.Prediction:
        if "[hang]" in query:
            threading.Event().wait()  # forever: only a daemon thread lets the process end
        return dspy.Prediction(answer="I would rather not write Cairo today.")


class SlowProse(dspy.Module):
    """Async, no LM: CAIRO_EVALS_TEST_DELAY seconds per case, then prose (nothing compiles)."""

    async def aforward(self, query: str) -> dspy.Prediction:
        import asyncio
        import os

        await asyncio.sleep(float(os.environ.get("CAIRO_EVALS_TEST_DELAY", "0")))
        return dspy.Prediction(answer="I would rather not write Cairo today.")


class AsksQuestion(dspy.Module):
    """Takes `question`, not the `query` the harness passes."""

    def __init__(self) -> None:
        super().__init__()
        self.generate = dspy.Predict("question -> answer")

    def forward(self, question: str) -> dspy.Prediction:
        return self.generate(question=question)


class NoHistory(dspy.Module):
    """Takes `query` but no `chat_history`."""

    def forward(self, query: str) -> dspy.Prediction:
        return dspy.Prediction(answer="prose")


def rag_scripted_lm() -> dspy.LM:
    """A scripted LM for the reference RAG pipeline (`py:tests.programs_under_test:rag_scripted_lm`):
    search terms, document scores, then a prose answer (no code, so nothing compiles);
    CAIRO_EVALS_TEST_DELAY seconds per call."""
    import json
    import os

    from harness.lm import ScriptedEngine, chat_adapter_reply, prompt_text

    def respond(request: object) -> str:
        text = prompt_text(request)  # type: ignore[arg-type]
        if "[[ ## context ## ]]" not in text and "search_terms" in text:
            return chat_adapter_reply(search_terms=json.dumps(["storage", "events"]), resources="[]")
        if "`scores`" in text or "[[ ## scores ## ]]" in text:  # one score per document shown
            shown = text.rsplit("[[ ## documents ## ]]\n", 1)[-1]
            documents, _ = json.JSONDecoder().raw_decode(shown)
            return chat_adapter_reply(scores=json.dumps([0.9] * len(documents)))
        return chat_adapter_reply(answer="Storage lives in a `#[storage]` struct; no code today.")

    engine = ScriptedEngine(respond, latency=float(os.environ.get("CAIRO_EVALS_TEST_DELAY", "0")))
    return engine.lm("scripted/rag")


class GoldenUnlessProse(dspy.Module):
    """No LM: each case's golden, from the suite file named by $CAIRO_EVALS_TEST_SUITE, except
    prose (no code, so nothing compiles) for a query containing "[prose]"."""

    def __init__(self) -> None:
        super().__init__()
        import os

        from harness.suite import load_suite

        suite = load_suite(os.environ["CAIRO_EVALS_TEST_SUITE"])
        self.goldens = {c.query: c.golden for c in suite.cases}

    async def aforward(self, query: str) -> dspy.Prediction:
        if "[prose]" in query:
            return dspy.Prediction(answer="I would rather not write Cairo today.")
        return dspy.Prediction(answer=f"```cairo\n{self.goldens[query]}```")
