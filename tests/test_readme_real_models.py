"""The README's "Real models" section, run line by line against a stand-in OpenAI-compatible server.

Every `cairo-evals` command in the section's bash blocks is run here as written, in a project
folder whose `suites/` is the starter suites, with the section's hosts (`localhost:8000`,
`localhost:11434`) pointed at stand-in servers on 127.0.0.1 (real HTTP), its `export`ed keys
set to the stand-in's, and `OPENAI_BASE_URL` at the stand-in for the hosted model. The only
addition is `--shard 1/8` on each `run`, so each runs a few of the 33 cases: the commands,
flags and specs are the README's. The stand-in answers as a good model would: each case's
golden through the reference RAG pipeline, and a judge score.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.demo import _section
from harness.lm import chat_adapter_reply
from harness.runner import read_results
from harness.suite import load_suite
from tests.openai_stand_in import API_KEY, Call, OpenAIStandIn
from tests.test_rag import _create_database, server  # noqa: F401 (the session's pgserver fixture)

pytestmark = pytest.mark.native  # answers are scored by the native compiler, for real
REPO = Path(__file__).resolve().parents[1]
SHARD = ["--shard", "1/8"]


def section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("## Real models")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def commands() -> list[str]:
    """Each shell line of the section's bash blocks, continuation lines joined."""
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", section(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip():
                lines.append(" ".join(line.split()))
    return lines


def test_the_section_shows_the_commands_this_module_runs() -> None:
    shown = commands()
    runs = [c for c in shown if c.startswith("cairo-evals run")]
    assert len(runs) == 5 and any(c.startswith("cairo-evals ingest") for c in shown)
    assert {c.split()[0] for c in shown} <= {"export", "cairo-evals"}, shown


def golden_script(cases: dict[str, str]) -> Any:
    """The reference pipeline's predictors and the judge, answered as a good model would."""

    def script(call: Call) -> Any:
        text = call.prompt
        if "Review Cairo code" in text:
            return chat_adapter_reply(score="0.9", feedback="matches the reference")
        if "search_terms" in text and "resources" in text and "[[ ## context ## ]]" not in text:
            return chat_adapter_reply(search_terms='["array"]', resources="[]")
        if "[[ ## scores ## ]]" in text or "`scores`" in text:
            docs, _ = json.JSONDecoder().raw_decode(_section(text, "documents"))
            return chat_adapter_reply(scores=json.dumps([0.8] * len(docs)))
        query = next(q for q in sorted(cases, key=len, reverse=True) if q in call.last_user)
        return chat_adapter_reply(answer=f"Here you go.\n\n```cairo\n{cases[query].rstrip()}\n```\n")

    return script


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "suites").symlink_to(REPO / "suites")
    monkeypatch.chdir(root)
    monkeypatch.setenv("CAIRO_EVALS_CACHE_DIR", str(REPO / ".cache" / "cairo-evals"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlruns.db")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for var in ("OPENAI_API_BASE", "CAIRO_EVALS_DSN"):
        monkeypatch.delenv(var, raising=False)
    yield root


def test_every_command_of_the_real_models_section_runs_against_the_stand_in(
    project: Path,
    server: Any,  # noqa: F811 (the pgserver fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio
    import uuid

    suite = load_suite(REPO / "suites" / "cairo-basics.yaml")
    cases = {c.query.strip(): c.golden for c in suite.cases}
    keyed = OpenAIStandIn(golden_script(cases)).__enter__()
    keyless = OpenAIStandIn(golden_script(cases), api_key=None).__enter__()
    runs_db = asyncio.run(_create_database(server, f"readme_{uuid.uuid4().hex[:8]}"))
    embed_db = asyncio.run(_create_database(server, f"readme_embed_{uuid.uuid4().hex[:8]}"))
    monkeypatch.setenv("OPENAI_BASE_URL", keyed.base_url)
    seen: list[str] = []
    try:
        for command in commands():
            words = shlex.split(command)
            if words[0] == "export":
                name = words[1].split("=", 1)[0]
                monkeypatch.setenv(name, API_KEY)
                continue
            words = [
                w.replace("http://localhost:8000/v1", keyed.base_url).replace(
                    "http://localhost:11434/v1", keyless.base_url
                )
                for w in words[1:]
            ]
            if words[0] == "run":
                words += SHARD
                monkeypatch.setenv("CAIRO_EVALS_DSN", runs_db)
            else:
                monkeypatch.setenv("CAIRO_EVALS_DSN", embed_db)
            before = len(keyed.calls) + len(keyless.calls)
            tokens_before = keyed.total_tokens + keyless.total_tokens
            capsys.readouterr()
            code = main(words)
            out, err = capsys.readouterr()
            assert code == 0, f"{command}\n{out}\n{err}"
            served = len(keyed.calls) + len(keyless.calls) - before
            if "replay:" in command:
                assert served == 0, command  # offline
            else:
                assert served > 0, command
            seen.append(command)
            if words[0] == "run":
                assert "LM " in out and " tokens, $" in out and "retries 0" in out, out
                folder = Path(re.search(r"report (\S+)/report\.html", out).group(1))
                rows = read_results(folder / "results.jsonl")
                assert rows and all(r.status == "ok" and r.passed for r in rows), rows
                if "replay:" not in command:  # the run's tokens are the server's own count
                    served_tokens = keyed.total_tokens + keyless.total_tokens - tokens_before
                    assert sum(r.tokens for r in rows) == served_tokens, command
                if "gpt-4o-mini" in command or "price=" in command:
                    assert sum(r.cost for r in rows) > 0, command
                with capsys.disabled():
                    print(f"\n$ {command}\n  {out.strip().splitlines()[-1]}")
        assert keyless.calls and all("authorization" not in c.headers for c in keyless.calls)
        assert all(c.headers.get("user-agent", "").startswith("lm15/") for c in keyless.calls)
        recorded = read_results(project / "reports" / "nightly-1" / "results.jsonl")
        replayed_folder = max(
            (p for p in (project / "reports").iterdir() if (p / "results.jsonl").is_file()),
            key=lambda p: p.stat().st_mtime,
        )
        replayed = read_results(replayed_folder / "results.jsonl")
        assert recorded and {r.case: r.score for r in recorded} == {r.case: r.score for r in replayed}
        assert all(r.passed for r in recorded)
    finally:
        keyed.stop()
        keyless.stop()
    assert len(seen) == len([c for c in commands() if not c.startswith("export")])
    written = [p for p in project.parent.rglob("*") if p.is_file() and not p.is_symlink()]
    assert written and not [p for p in written if API_KEY.encode() in p.read_bytes()]  # runs, MLflow
