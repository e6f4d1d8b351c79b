"""Re-create the demo recordings: `python -m harness.demo`.

No model is reachable where this project is developed, so the starter suites run offline from
recordings of a SCRIPTED model. It plays answers we wrote by hand (`suites/samples/<suite>/
<case>.md`: right ones and realistic wrong ones) through the real `record:` path and the real
reference pipeline (Postgres retrieval included), so `suites/recordings/<suite>.jsonl` has the
real format and replays exactly what the pipeline asks. Every entry is labelled
"sample responses written for the demo".

The scripted model answers each of the pipeline's predictors: the query processor with the
query's backticked names as search terms, the retrieval judge by word overlap, and the
generator with the case's sample answer. Re-run this after changing the corpus, the pipeline's
prompts or a sample: replay then misses (loudly, naming the case) until you do.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

from .lm import ScriptedEngine, chat_adapter_reply, current_case, prompt_text, recording_lm
from .paths import project_root
from .program import load_program
from .suite import Case, Suite, load_suites

LABEL = "sample responses written for the demo"
HEADER = re.compile(r"\A<!--.*?-->\s*", re.S)


def sample_answer(root: Path, case: Case) -> str:
    path = root / "suites" / "samples" / case.suite / f"{case.id}.md"
    return HEADER.sub("", path.read_text()).strip() + "\n"


def _section(text: str, field: str) -> str:
    """The field's value in the user message (its last occurrence: the first is DSPy's template)."""
    found = re.findall(rf"\[\[ ## {field} ## \]\]\n(.*?)(?=\n\[\[ ## |\Z)", text, re.S)
    return found[-1].strip() if found else ""


def scripted_model(suite: Suite, root: Path) -> ScriptedEngine:
    cases = sorted(suite.cases, key=lambda c: -len(c.query))

    def respond(request: object) -> str:
        text = prompt_text(request)
        case = next(c for c in cases if c.query in text)
        if "search_terms" in text and "resources" in text and "[[ ## context ## ]]" not in text:
            terms = list(dict.fromkeys(re.findall(r"`([A-Za-z_][\w:]*)", case.query)))[:6]
            resources = (
                ["starknet-docs", "cairo-book"] if case.kind == "contract" else ["cairo-book", "corelib"]
            )
            return chat_adapter_reply(search_terms=json.dumps(terms), resources=json.dumps(resources))
        if "[[ ## scores ## ]]" in text or "`scores`" in text:
            docs, _ = json.JSONDecoder().raw_decode(_section(text, "documents"))  # a JSON list, then prose
            words = set(re.findall(r"[a-z_]{4,}", case.query.lower()))
            scores = [
                round(min(1.0, 0.3 + len(words & set(re.findall(r"[a-z_]{4,}", str(d).lower()))) / 8), 2)
                for d in docs
            ]
            return chat_adapter_reply(scores=json.dumps(scores))
        return chat_adapter_reply(answer=sample_answer(root, case))

    return ScriptedEngine(respond)


async def record(suite: Suite, root: Path) -> Path:
    path = root / "suites" / "recordings" / f"{suite.name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    engine = scripted_model(suite, root)
    lm = recording_lm(engine, engine.async_engine, path, "scripted/demo", label=LABEL)
    program = load_program("harness.rag:RagPipeline")
    try:
        for case in suite.cases:
            with current_case(case.nodeid):
                answer = await program.answer(case, lm)
            print(f"{case.nodeid}: sources {answer.extra.get('sources')}", file=sys.stderr)
    finally:
        await program.aclose()
    return path


def main() -> int:
    root = project_root()
    for suite in load_suites():
        print(f"recorded {asyncio.run(record(suite, root))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
