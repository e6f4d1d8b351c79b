"""Runner benchmark (issue 6). Run: .venv/bin/python benchmarks/bench_runner.py

200 cases (the 16 starter cases, repeated under new ids) of a scripted program whose LM takes
1 s per call, golden answers (so every compile is a cache hit), heuristic judge:
- ours: `Runner` at concurrency 20 (one event loop, async LM calls);
- baseline: `dspy.Evaluate(num_threads=20)` on the same program with the same metric
  (`make_metric`), same run.
Then the harness's own overhead per case: the same 200 cases at 0 s latency.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy

from harness.cairo import Compiler
from harness.judge import HeuristicJudge
from harness.lm import ScriptedEngine, chat_adapter_reply, prompt_text
from harness.metric import Scorer, case_example, make_metric
from harness.runner import Runner, RunOptions
from harness.suite import load_suites

N = 200


def bench_suite():
    base = load_suites()
    cases = [c for s in base for c in s.cases]
    many = tuple(
        replace(cases[i % len(cases)], suite="bench", id=f"{cases[i % len(cases)].id}-{i}", min_score=None)
        for i in range(N)
    )
    return replace(base[0], name="bench", cases=many, lm=None, program=None)


def engine(latency: float, suite) -> ScriptedEngine:
    goldens = sorted(((c.query, c.golden) for c in suite.cases), key=lambda qg: -len(qg[0]))

    def respond(request: object) -> str:
        text = prompt_text(request)
        golden = next(g for q, g in goldens if q in text)
        return chat_adapter_reply(answer=f"```cairo\n{golden}```")

    return ScriptedEngine(respond, latency=latency)


def ours(suite, latency: float) -> tuple[float, int]:
    eng = engine(latency, suite)
    runner = Runner(
        RunOptions(
            program="tests.programs_under_test:AsyncCoder", lm="bench", concurrency=20, out=tempfile.mkdtemp()
        ),
        suites=[suite],
        lms={"bench": eng.lm(num_retries=0)},
    )
    start = time.monotonic()
    result = asyncio.run(runner.run())
    return time.monotonic() - start, len(result.results)


def baseline(suite, latency: float) -> tuple[float, float]:
    eng = engine(latency, suite)
    compiler = Compiler("wasm")
    metric = make_metric(Scorer(compiler, HeuristicJudge()))
    devset = [case_example(c, suite.scoring) for c in suite.cases]
    program = dspy.Predict("query -> answer")
    start = time.monotonic()
    with dspy.context(lm=eng.lm(num_retries=0)):
        result = dspy.Evaluate(devset=devset, metric=metric, num_threads=20, display_progress=False)(program)
    compiler.close()
    return time.monotonic() - start, result.score


def main() -> int:
    sys.path.insert(0, ".")
    suite = bench_suite()
    ours(replace(suite, cases=suite.cases[:16]), 0.0)  # warm the compile cache with the 16 goldens
    o1, n = ours(suite, 1.0)
    b1, score = baseline(suite, 1.0)
    o0, _ = ours(suite, 0.0)
    print(
        f"{n} cases, 1 s LM latency, concurrency 20: ours {o1:.1f} s, dspy.Evaluate(num_threads=20) "
        f"{b1:.1f} s (score {score:.1f}); ratio {b1 / o1:.2f}x"
    )
    print(f"harness overhead at 0 s latency: {o0:.2f} s for {n} cases = {o0 / n * 1000:.1f} ms per case")
    return 0


if __name__ == "__main__":
    sys.exit(main())
