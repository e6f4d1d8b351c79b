"""The prompts a DSPy program sends, rendered and versioned in the MLflow Prompt Registry.

Each predictor of a program (`module.named_predictors()`) is rendered exactly as DSPy's
`ChatAdapter` sends it: the system message (field descriptions, the structure, the
instructions), the demos as user/assistant turns, and the user message, with each input
replaced by a `{{field}}` placeholder (MLflow's template variable syntax, so
`load_prompt(...).format(query=...)` fills it in).

`register_prompts` registers each as `<program>.<predictor>` (names reduced to the characters
the registry accepts) and makes a new version only when the rendered messages changed since the
latest version, so a run can be tagged `prompt.<name>=<version>` and two runs with the same tag
value sent the same prompt.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from typing import Any

import dspy

log = logging.getLogger(__name__)

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_.-]+")
ADAPTER = "ChatAdapter"


def prompt_name(program_name: str, predictor: str) -> str:
    """`<program>.<predictor>` with every run of characters the registry rejects made `_`.

    A saved program (`pkg.mod:Attr@program.json`, e.g. an optimizer's output) names the same
    prompts as its base program: what it changed shows as their next versions."""
    base = program_name.partition("@")[0]
    name = _NOT_ALLOWED.sub("_", f"{base}.{predictor}").strip("_.-")
    return name or "prompt"


def render_messages(predictor: dspy.Predict) -> list[dict[str, str]]:
    """The chat messages DSPy's ChatAdapter sends for this predictor, inputs as `{{name}}`."""
    signature = predictor.signature
    inputs = {name: "{{" + name + "}}" for name in signature.input_fields}
    demos = list(getattr(predictor, "demos", None) or [])
    messages = dspy.ChatAdapter().format(signature, demos, inputs)
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in messages]


def as_text(messages: list[dict[str, str]]) -> str:
    """The messages as one readable text: a `=== role ===` header before each."""
    return "\n\n".join(f"=== {m['role']} ===\n{m['content']}" for m in messages)


def render_prompts(module: dspy.Module) -> dict[str, list[dict[str, str]]]:
    """Every predictor's messages, by predictor name (`module.named_predictors()` order)."""
    return {name: render_messages(pred) for name, pred in module.named_predictors()}


def _client(uri: str | None) -> Any:
    from .mlstore import client_for

    return client_for(uri)


def _versions(client: Any, name: str) -> list[Any]:
    """Every version of prompt `name`, oldest first (none when it is not registered)."""
    try:
        if client.get_prompt(name) is None:
            return []
    except Exception:  # some stores raise "not found"
        return []
    return sorted(client.search_prompt_versions(name, max_results=1000), key=lambda v: int(v.version))


def register_prompts(program_name: str, module: dspy.Module, uri: str | None = None) -> dict[str, int]:
    """Register each predictor's rendered prompt as `<program>.<predictor>`; a new version only
    when the messages differ from the latest version's. Returns {prompt name: version}.

    Raises whatever MLflow raises (an unreachable server, a bad URI): `tracking.log_run`
    catches it, so a run's logging never fails the run.
    """
    return register_rendered(program_name, render_prompts(module), uri)


def register_rendered(
    program_name: str,
    rendered: dict[str, list[dict[str, str]]],
    uri: str | None = None,
    reuse_any: bool = False,
    tags: dict[str, str] | None = None,
) -> dict[str, int]:
    """Register rendered prompts (`render_prompts`'s {predictor: messages}) as
    `<program>.<predictor>`: a new version unless the latest version (with `reuse_any`, any
    version: an optimizer's candidate that is the baseline's prompt is that version) has the
    same messages. Returns {prompt name: version}."""
    client = _client(uri)
    versions: dict[str, int] = {}
    for predictor, messages in rendered.items():
        name = prompt_name(program_name, predictor)
        known = _versions(client, name)
        same = [v for v in (known if reuse_any else known[-1:]) if v.template == messages]
        if same:
            versions[name] = int(same[0].version)
            continue
        created = client.register_prompt(
            name,
            messages,
            commit_message=f"{program_name}: {predictor} as rendered by dspy {ADAPTER}",
            tags={"cairo_evals.program": program_name, "cairo_evals.predictor": predictor} | (tags or {}),
        )
        versions[name] = int(created.version)
        log.info("registered prompt %s version %s", name, created.version)
    return versions


def prompt_tags(versions: dict[str, int], prefix: str = "prompt.") -> dict[str, str]:
    """The run tags recording which prompt versions a run used: `prompt.<name>` = version."""
    return {f"{prefix}{name}": str(v) for name, v in versions.items()}


def prompt_versions(tags: dict[str, str], prefix: str = "prompt.") -> dict[str, int]:
    """The prompt versions a run's tags record: the inverse of `prompt_tags`."""
    return {k.removeprefix(prefix): int(v) for k, v in tags.items() if k.startswith(prefix)}


# -- the command ------------------------------------------------------------------------------


def cmd_prompts(args: argparse.Namespace) -> int:
    from .program import ProgramError, load_program

    try:
        program = load_program(args.program, answer_field=args.answer_field)
    except ProgramError as e:
        print(f"error: {e}")
        return 2
    if program.module is None or not program.module.named_predictors():
        print(f"{program.name} has no DSPy predictors: nothing is sent to an LM")
        return 0
    for predictor, messages in render_prompts(program.module).items():
        print(f"##### {prompt_name(program.name, predictor)}\n")
        print(as_text(messages))
        print()
    if args.register:
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        try:
            versions = register_prompts(program.name, program.module, args.mlflow_uri)
        except Exception as e:
            print(f"error: could not register the prompts: {type(e).__name__}: {e}")
            return 1
        for name, version in versions.items():
            print(f"registered {name} version {version}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prompts", help="print each predictor's prompt as DSPy's ChatAdapter sends it")
    p.add_argument("program", help="golden, empty, package.module:attr or package.module:attr@program.json")
    p.add_argument("--answer-field", default="answer", help="the output field holding the answer")
    p.add_argument("--register", action="store_true", help="also register them in the MLflow Prompt Registry")
    p.add_argument(
        "--mlflow-uri", default=None, help="tracking URI (default: $MLFLOW_TRACKING_URI or mlruns.db)"
    )
    p.set_defaults(func=cmd_prompts)
