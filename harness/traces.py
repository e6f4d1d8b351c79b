"""One MLflow trace per case, with assessments, linked to the suite's evaluation run.

This is MLflow 3's own evaluation data model (what `mlflow.genai.evaluate` writes), so the UI's
per-case list, trace view and run-against-run comparison work on cairo-evals runs.

A case's trace:

- root span `<case id>`: inputs `{"query"}`, outputs `{"answer"}`;
  - the program's spans as the run recorded them (`spans.jsonl`, see `harness.spans`): the
    program's attempt, DSPy's module calls, each LM call (messages, reply, tokens, cost) and the
    retrieval (the chunks, as MLflow's retriever documents);
  - `score`: `extract` (which block was scored and why), `compile` (backend and version,
    diagnostics) with `tests` (each test's result), `judge` (score and review).
- assessments: Expectations `golden` and `tests` (the case's test module); Feedback `score`
  (its rationale the feedback text), `tier`, `tests_passed` (`n/N`), `compiled` (source CODE),
  `judge` (source LLM_JUDGE with the judge's model, or CODE for the heuristic judge), the
  judge's review as its rationale. A harness fault or a skipped case is an assessment error on
  `score`, never a score.

Texts longer than `MAX_TEXT` are cut in spans and assessments; the full texts are in the run's
artifacts (`spans.jsonl`, `results.jsonl`, `cases/`).

Traces are written in batches straight to the tracking store (one `start_trace` per case with
its assessments, one `log_spans` per batch of cases): span by span through MLflow's live tracing
and one `log_feedback` call per assessment took 0.25 s a case on sqlite. During a run they are
written as the cases finish, by `tracking.RunLog`'s thread, not all at the end.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .extract import extract_cairo
from .spans import SpanRecord, read_spans

if TYPE_CHECKING:
    from pathlib import Path

    from .metric import CaseResult
    from .suite import Case

MAX_TEXT = 4000
SOURCE_ID = "cairo-evals"
BATCH = 20  # cases per log_spans call


def _cut(text: Any, limit: int = MAX_TEXT) -> Any:
    if isinstance(text, str) and len(text) > limit:
        return (
            text[:limit]
            + f"\n… [cut: {len(text)} characters in all; the full text is in the run's artifacts]"
        )
    return text


def _cut_all(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _cut(value)
    if depth > 8:
        return value
    if isinstance(value, dict):
        return {k: _cut_all(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut_all(v, depth + 1) for v in value[:200]]
    return value


class _TraceBuilder:
    """Spans of one trace in MLflow's span dict form (OTLP-like, attribute values JSON-encoded)."""

    def __init__(self, trace_id: str) -> None:
        self.trace_id = trace_id
        self._otel_trace = base64.b64encode(bytes.fromhex(trace_id.removeprefix("tr-"))).decode()
        self.spans: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        kind: str,
        start_ns: int,
        end_ns: int,
        parent: str | None = None,
        inputs: Any = None,
        outputs: Any = None,
        attributes: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> str:
        span_id = base64.b64encode(secrets.token_bytes(8)).decode()
        attrs = {
            "mlflow.traceRequestId": self.trace_id,
            "mlflow.spanType": kind,
            "mlflow.spanInputs": _cut_all(inputs),
            "mlflow.spanOutputs": _cut_all(outputs),
        } | {k: _cut_all(v) for k, v in (attributes or {}).items()}
        self.spans.append(
            {
                "trace_id": self._otel_trace,
                "span_id": span_id,
                "parent_span_id": parent,
                "name": name,
                "start_time_unix_nano": int(start_ns),
                "end_time_unix_nano": int(max(end_ns, start_ns)),
                "events": [],
                "status": {
                    "code": "STATUS_CODE_ERROR" if error else "STATUS_CODE_OK",
                    "message": _cut(error or "", 1000),
                },
                "attributes": {k: json.dumps(v, default=str) for k, v in attrs.items() if v is not None},
            }
        )
        return span_id


def _program_spans(b: _TraceBuilder, records: list[SpanRecord], root: str) -> dict[int, str]:
    """The recorded spans under `root`; their ids by index."""
    ids: dict[int, str] = {}
    for i, r in enumerate(records):
        attrs: dict[str, Any] = {}
        if r.kind == "CHAT_MODEL":
            usage = r.attributes.get("usage") or {}
            attrs["mlflow.chat.tokenUsage"] = {
                "input_tokens": int(usage.get("prompt_tokens") or 0),
                "output_tokens": int(usage.get("completion_tokens") or 0),
                "total_tokens": int(usage.get("total_tokens") or 0),
            }
            # the cost the run counted (0 when the LM reported none): with no cost, the store
            # would look the model up in LiteLLM's price list, importing LiteLLM (seconds)
            attrs["mlflow.llm.cost"] = {"total_cost": float(r.attributes.get("cost") or 0.0)}
            attrs["mlflow.llm.model"] = r.attributes.get("model")
            attrs["mlflow.message.format"] = "dspy"
        attrs |= {f"cairo_evals.{k}": v for k, v in r.attributes.items() if k != "usage"}
        parent = ids.get(r.parent) if r.parent is not None else root
        ids[i] = b.add(
            r.name,
            r.kind,
            r.start_ns,
            r.end_ns or r.start_ns,
            parent or root,
            r.inputs,
            r.outputs,
            attrs,
            r.error,
        )
    return ids


def _stage_spans(
    b: _TraceBuilder, r: CaseResult, answer: str | None, parent: str, start: int, end: int
) -> None:
    """extract, compile (+ tests) and judge under the `score` span, placed inside its time."""
    cursor = start
    if answer is not None:
        found = extract_cairo(answer)
        b.add(
            "extract",
            "PARSER",
            cursor,
            cursor,
            parent,
            {"answer": answer},
            {"code": found.code, "blocks": found.blocks, "note": found.note},
        )
    c = r.compile or {}
    if c:
        took = int(float(c.get("duration_s") or 0) * 1e9)
        c_end = min(cursor + took, end) if end > cursor else cursor + took
        diagnostics = [
            f"{d.get('severity')} {d.get('code') or ''} {d.get('file') or ''}:{d.get('line') or ''}: "
            f"{d.get('message')}"
            for d in c.get("diagnostics") or []
        ]
        compiled = b.add(
            "compile",
            "TOOL",
            cursor,
            c_end,
            parent,
            {"code": r.code},
            {
                "ok": c.get("ok"),
                "status": c.get("status"),
                "diagnostics": diagnostics,
                "notes": c.get("notes"),
            },
            {"backend": c.get("backend"), "backend_version": c.get("backend_version")},
            error=r.fault if r.status == "error" else None,
        )
        tests = c.get("tests")
        if isinstance(tests, dict):
            failures = {
                f.get("name"): f.get("message") for f in tests.get("failures") or [] if isinstance(f, dict)
            }
            each = [{"test": name, "result": "pass", "gas": gas} for name, gas in tests.get("gas") or []]
            each += [{"test": name, "result": "fail", "message": msg} for name, msg in failures.items()]
            b.add(
                "tests",
                "TOOL",
                cursor,
                c_end,
                compiled,
                None,
                {
                    "passed": tests.get("passed"),
                    "failed": tests.get("failed"),
                    "bound": tests.get("bound"),
                    "tests": each,
                },
            )
        cursor = c_end
    if r.judgement:
        j = r.judgement
        b.add(
            "judge",
            "LLM" if j.get("judge") not in (None, "heuristic") else "EVALUATOR",
            cursor,
            max(end, cursor),
            parent,
            {"code": r.code},
            {"score": j.get("score"), "review": j.get("feedback")},
            {"judge": j.get("judge")},
        )


def _assessments(r: CaseResult, case: Case | None, trace_id: str) -> list[Any]:
    from mlflow.entities import AssessmentError, AssessmentSource, Expectation, Feedback

    code = AssessmentSource(source_type="CODE", source_id=SOURCE_ID)
    out: list[Any] = []
    if case is not None:
        out.append(Expectation("golden", _cut(case.golden, 20000), source=code, trace_id=trace_id))
        if case.tests:
            out.append(Expectation("tests", _cut(case.tests, 20000), source=code, trace_id=trace_id))
    if r.status != "ok":
        kind = "HARNESS_FAULT" if r.status == "error" else "SKIPPED"
        error = AssessmentError(error_code=kind, error_message=_cut(r.fault or r.feedback, 2000))
        out.append(Feedback("score", error=error, source=code, trace_id=trace_id))
        return out
    out += [
        Feedback("score", float(r.score), source=code, rationale=_cut(r.feedback), trace_id=trace_id),
        Feedback("tier", r.tier or "unknown", source=code, trace_id=trace_id),
        Feedback("compiled", bool(r.compiled), source=code, trace_id=trace_id),
    ]
    if r.tests_total:
        out.append(
            Feedback("tests_passed", f"{r.tests_passed}/{r.tests_total}", source=code, trace_id=trace_id)
        )
    if r.judge_score is not None:
        judge = str((r.judgement or {}).get("judge") or "heuristic")
        kind = "CODE" if judge == "heuristic" else "LLM_JUDGE"  # the heuristic judge is code
        source = AssessmentSource(source_type=kind, source_id=judge)
        review = (r.judgement or {}).get("feedback") or ""
        out.append(
            Feedback("judge", float(r.judge_score), source=source, rationale=_cut(review), trace_id=trace_id)
        )
    return out


def build_trace(
    r: CaseResult, case: Case | None, records: list[SpanRecord], experiment_id: str, run_id: str
) -> tuple[Any, list[dict[str, Any]]]:
    """(TraceInfo with its assessments, span dicts) of one case."""
    from mlflow.entities import TraceInfo, TraceLocation, TraceState

    trace_id = "tr-" + secrets.token_hex(16)
    b = _TraceBuilder(trace_id)
    starts = [s.start_ns for s in records]
    ends = [s.end_ns or s.start_ns for s in records]
    end = max(ends) if ends else time.time_ns()
    start = min(starts) if starts else end - int(r.duration_s * 1e9)
    program = next((s for s in records if s.kind == "AGENT"), None)
    answer = None
    if program is not None and isinstance(program.outputs, dict):
        answer = program.outputs.get("answer")
    query = case.query if case is not None else (program.inputs or {}).get("query") if program else None
    root = b.add(
        r.case,
        "CHAIN",
        start,
        end,
        None,
        {"query": query},
        {"answer": answer if answer is not None else r.code},
        {"cairo_evals.suite": r.suite, "cairo_evals.sample": r.sample, "cairo_evals.status": r.status},
        error=r.fault if r.status == "error" else (r.error if r.error else None),
    )
    ids = _program_spans(b, records, root)
    score = next((i for i, s in enumerate(records) if s.name == "score" and s.parent is None), None)
    if score is not None:
        s = records[score]
        _stage_spans(b, r, answer, ids[score], s.start_ns, s.end_ns or s.start_ns)
    else:  # a run without recorded spans: the stages at the end of the case
        _stage_spans(b, r, answer, root, end, end)
    preview_in = json.dumps({"query": query}, default=str)[:1000]
    preview_out = json.dumps({"answer": answer if answer is not None else r.code}, default=str)[:1000]
    info = TraceInfo(
        trace_id=trace_id,
        trace_location=TraceLocation.from_experiment_id(experiment_id),
        request_time=start // 1_000_000,
        execution_duration=max((end - start) // 1_000_000, 0),
        state=TraceState.ERROR if r.status == "error" or r.error else TraceState.OK,
        request_preview=preview_in,
        response_preview=preview_out,
        trace_metadata={
            "mlflow.trace_schema.version": "3",
            "mlflow.sourceRun": run_id,
            "mlflow.trace.tokenUsage": json.dumps({"total_tokens": r.tokens}),
        },
        tags={
            "mlflow.traceName": r.case,
            "mlflow.trace.spansLocation": "TRACKING_STORE",
            "cairo_evals.suite": r.suite,
            "cairo_evals.case": r.case,
            "cairo_evals.sample": str(r.sample),
            "cairo_evals.status": r.status,
            "cairo_evals.tier": str(r.tier),
        },
        assessments=_assessments(r, case, trace_id),
    )
    return info, b.spans


def write_traces(
    store: Any, experiment_id: str, items: Sequence[tuple[CaseResult, Case | None, list[SpanRecord], str]]
) -> list[str]:
    """Write one trace per (result, case, recorded spans, MLflow run id) to `store`: one
    `start_trace` per case with its assessments, one `log_spans` per batch; the trace ids."""
    from mlflow.entities import Span

    ids: list[str] = []
    for i in range(0, len(items), BATCH):
        batch: list[str] = []
        batch_spans: list[Any] = []
        try:
            for r, case, records, run_id in items[i : i + BATCH]:
                info, spans = build_trace(r, case, records, experiment_id, run_id)
                store.start_trace(info)
                batch.append(info.trace_id)
                batch_spans += [Span.from_dict(s) for s in spans]
            store.log_spans(experiment_id, batch_spans)
        except Exception:
            # no half-written traces (assessments without spans) are left for a retry to double
            with contextlib.suppress(Exception):
                if batch:
                    store.delete_traces(experiment_id, max_timestamp_millis=None, trace_ids=batch)
            raise
        ids += batch
    return ids


def log_traces(
    client: Any,
    experiment_id: str,
    run_id: str,
    results: Sequence[CaseResult],
    cases: dict[tuple[str, str], Case],
    folder: Path,
) -> list[str]:
    """Write one trace per result to the store behind `client`, linked to `run_id`; the trace ids."""
    recorded = read_spans(folder)
    items = [
        (r, cases.get((r.suite, r.case)), recorded.get((r.suite, r.case, r.sample), []), run_id)
        for r in results
    ]
    ids = write_traces(client._tracking_client.store, experiment_id, items)
    link_traces(client, ids, run_id)
    return ids


def link_traces(client: Any, ids: Sequence[str], run_id: str) -> None:
    """Link traces to their evaluation run (what the run's Traces tab lists), 100 per call."""
    for i in range(0, len(ids), 100):
        client.link_traces_to_run(list(ids[i : i + 100]), run_id)
