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

The same scripted model drives the offline optimizer demo, as live LMs built by code:

- `--lm py:harness.demo:program_lm`: the student. A sample whose header says `fixed when told:
  <phrase>` is a mistake the student stops making once the generation instructions contain
  that phrase (the reviewer's words for it: a compiler message, a failing test's name); it then
  answers with the case's golden reference. A stand-in for a model that learns from feedback,
  so GEPA has something to find; with the shipped instructions it answers exactly as recorded.
- `--reflection-lm py:harness.demo:reflection_lm`: the reflector. It reads GEPA's reflection
  prompt and returns the current instruction plus, as "lessons", the feedback lines that report
  a problem. A real reflection model writes better instructions; this one is deterministic.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import dspy
from dspy.lm15 import Request
from dspy.utils.exceptions import LMConfigurationError

from .lm import ScriptedEngine, chat_adapter_reply, current_case, prompt_text, recording_lm, system_text
from .paths import project_root
from .program import load_program
from .suite import Case, Suite, load_suites

LABEL = "sample responses written for the demo"
HEADER = re.compile(r"\A<!--(.*?)-->\s*", re.S)
FIXED_WHEN_TOLD = re.compile(r"fixed when told: (.+?)\s*$", re.S)
LESSONS = "Lessons from reviewed answers:"


def _sample_path(case: Case) -> Path:
    return Path("suites") / "samples" / case.suite / f"{case.id}.md"


def _sample(root: Path, case: Case) -> str:
    return (root / _sample_path(case)).read_text()


def sample_answer(root: Path, case: Case) -> str:
    return HEADER.sub("", _sample(root, case)).strip() + "\n"


def fixed_when_told(root: Path, case: Case) -> str | None:
    """The phrase that, once in the instructions, makes the student avoid its sample's mistake."""
    header = HEADER.match(_sample(root, case))
    found = FIXED_WHEN_TOLD.search(header.group(1)) if header else None
    return found.group(1) if found else None


def _section(text: str, field: str) -> str:
    """The field's value in the user message (its last occurrence: the first is DSPy's template)."""
    found = re.findall(rf"\[\[ ## {field} ## \]\]\n(.*?)(?=\n\[\[ ## |\Z)", text, re.S)
    return found[-1].strip() if found else ""


class NotADemoCase(LMConfigurationError):
    """The scripted demo model was asked about a case it has no sample answer for.

    A configuration error, so DSPy passes it through unchanged and the runner does not retry it.
    """

    default_code = "not_a_demo_case"


def not_a_demo_case(asked: str) -> NotADemoCase:
    shown = " ".join(asked.split())[:120]
    return NotADemoCase(
        "py:harness.demo:program_lm is the scripted demo model: it answers only the starter suites' "
        "cases (suites/cairo-basics.yaml, suites/starknet-contracts.yaml), from the sample answers "
        f"in suites/samples/, and this request is about none of them ({shown!r}). For your own "
        "suite, use a real model (--lm openai/gpt-4o-mini) or script one behind py: (see the "
        "README, 'Scripting an LM for your own suite')."
    )


def scripted_model(cases: list[Case], root: Path) -> ScriptedEngine:
    # the cases with a sample answer; a suite asking the same queries (starknet-snforge asks
    # starknet-contracts') gets the same answers, found by the query
    cases = sorted((c for c in cases if (root / _sample_path(c)).is_file()), key=lambda c: -len(c.query))
    told = {c.nodeid: fixed_when_told(root, c) for c in cases}

    def respond(request: Request) -> str:
        text = prompt_text(request)
        asked = request.messages[-1].text or ""  # the request itself, not the few-shot demos before it
        case = next((c for c in cases if c.query in asked), None)
        if case is None:
            raise not_a_demo_case(asked)
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
        phrase = told[case.nodeid]
        if phrase and phrase in system_text(request):
            golden = case.golden.rstrip()
            return chat_adapter_reply(answer=f"Here is a corrected solution.\n\n```cairo\n{golden}\n```\n")
        return chat_adapter_reply(answer=sample_answer(root, case))

    return ScriptedEngine(respond)


def program_lm() -> dspy.LM:
    """`py:harness.demo:program_lm`: the scripted student over every suite's cases, live."""
    root = project_root()
    return scripted_model([c for s in load_suites() for c in s.cases], root).lm("scripted/demo")


def reflect(request: Request) -> str:
    """DSPy GEPA's reflection request (`current_instruction`, `examples_with_feedback`) in, a
    `new_instruction` out: the current instruction plus the feedback lines that report a problem.
    Any other request (MIPROv2's proposer) gets each output field it asks for: the basic
    instruction with one Cairo rule added for instruction fields, a plain sentence otherwise."""
    text = prompt_text(request)
    if "[[ ## examples_with_feedback ## ]]" not in text:
        return _propose(text)
    current = _section(text, "current_instruction")
    examples, _ = json.JSONDecoder().raw_decode(_section(text, "examples_with_feedback") or "[]")
    lessons: list[str] = []
    for example in examples:
        for line in str(example.get("Feedback", "")).splitlines():
            line = line.strip(" -")[:160]
            if not line or line.startswith("review (heuristic): matches") or line.endswith(":"):
                continue
            if line not in current and line not in lessons:
                lessons.append(line)
    head = current if LESSONS in current or not lessons else f"{current}\n\n{LESSONS}"
    new = head + "".join(f"\n- {lesson}" for lesson in lessons)
    if "JSON object" in text:  # GEPA asks through DSPy's JSONAdapter
        return json.dumps({"new_instruction": new})
    return chat_adapter_reply(new_instruction=new)


def _propose(text: str) -> str:
    fields = re.findall(
        r"^\d+\. `(\w+)`", text.split("Your output fields are:", 1)[-1].split("All interactions", 1)[0], re.M
    )
    basic = _section(text, "basic_instruction") or "Answer with correct Cairo."
    rule = (
        "Cairo has no `as` casts and no Rust String methods: convert with `.into()`; "
        "grow a ByteArray with `append`."
    )
    reply = {
        f: f"{basic}\n\n{rule}" if "instruction" in f else "Cairo programs and Starknet contracts."
        for f in fields
    }
    return json.dumps(reply) if "JSON object" in text else chat_adapter_reply(**reply)


def reflection_lm() -> dspy.LM:
    """`py:harness.demo:reflection_lm`: the scripted reflector for offline GEPA runs."""
    return ScriptedEngine(reflect).lm("scripted/reflection")


async def record(suite: Suite, root: Path) -> Path:
    path = root / "suites" / "recordings" / f"{suite.name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    engine = scripted_model(list(suite.cases), root)
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
