"""Human labels on a run's answers, and how well the judge agrees with them.

`cairo-evals label RUN` puts a logged run's case traces in a review queue of MLflow's Review page
(MLflow 3.17's open-source labeling sessions: a queue of traces plus the questions to answer),
with one question, `correct` (Correct / Incorrect, with a comment). A reviewer's answer is a
HUMAN `Feedback` assessment named `correct` on the case's trace, as the review UI writes it.

`cairo-evals calibrate --labels RUN|QUEUE` reads those labels and reports, over the labelled
cases, the judge's agreement with people: Cohen's κ, the true-positive rate (the judge calls
correct what people call correct) and the true-negative rate, each with a 95% Wilson interval,
and n; beside it the same for execution (the answer passes all its tests) against people, and
judge against execution. The judge says "correct" when its score is at least `JUDGE_CUT`.
With `--align`, harness/align.py then aligns the LLM judge with these labels (MLflow's judge
alignment) and reports κ before and after.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from typing import Any

from .mlstore import client_for, default_uri
from .tracking import suite_runs

LABEL = "correct"
JUDGE_CUT = 0.5
QUEUE_PREFIX = "cairo-evals "
INSTRUCTION = (
    "Is this answer a correct solution of the query (it compiles and does what was asked)? "
    "Say why in the comment."
)


@dataclass(frozen=True)
class Agreement:
    """Two raters' yes/no verdicts on the same items: `a` is rated against the truth `b`."""

    name: str
    pairs: tuple[tuple[bool, bool], ...]  # (rater, truth)

    @property
    def n(self) -> int:
        return len(self.pairs)

    def _count(self, rater: bool, truth: bool) -> int:
        return sum(1 for a, b in self.pairs if a is rater and b is truth)

    @property
    def kappa(self) -> float | None:
        """Cohen's κ; None when undefined (no items, or both raters constant and equal)."""
        n = self.n
        if not n:
            return None
        observed = sum(a == b for a, b in self.pairs) / n
        pa = sum(a for a, _ in self.pairs) / n
        pb = sum(b for _, b in self.pairs) / n
        expected = pa * pb + (1 - pa) * (1 - pb)
        return None if expected == 1 else (observed - expected) / (1 - expected)

    @property
    def tpr(self) -> tuple[int, int]:
        return self._count(True, True), sum(1 for _, b in self.pairs if b)

    @property
    def tnr(self) -> tuple[int, int]:
        return self._count(False, False), sum(1 for _, b in self.pairs if not b)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """The 95% Wilson score interval of k successes in n trials; None when n is 0."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(k: int, n: int) -> str:
    ci = wilson(k, n)
    if ci is None:
        return "n/a (no such labels)"
    return f"{k / n:.2f} ({k}/{n}; 95% CI {ci[0]:.2f}–{ci[1]:.2f})"


def describe(a: Agreement) -> str:
    kappa = "n/a" if a.kappa is None else f"{a.kappa:.2f}"
    return f"{a.name}: κ {kappa}, TPR {_rate(*a.tpr)}, TNR {_rate(*a.tnr)}, n {a.n}"


# -- MLflow -----------------------------------------------------------------------------------


def run_traces(client: Any, run: str) -> list[Any]:
    import mlflow
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    runs = suite_runs(client, run)
    if not runs:
        raise LookupError(f"no MLflow run {run!r} (neither an MLflow run id nor a logged cairo-evals run)")
    traces = []
    with _use_tracking_uri(client.tracking_uri):
        for r in runs.values():
            traces += mlflow.search_traces(
                run_id=r.info.run_id, locations=[r.info.experiment_id], return_type="list"
            )
    return traces


def create_queue(run: str, uri: str | None = None, users: list[str] | None = None) -> tuple[Any, int]:
    """A review queue of `run`'s case traces with the `correct` question; (queue, items)."""
    from mlflow.genai.label_schemas import InputPassFail, create_label_schema, list_label_schemas
    from mlflow.genai.review_queues import add_items_to_review_queue, create_review_queue
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    client = client_for(uri)
    traces = run_traces(client, run)
    if not traces:
        raise LookupError(
            f"run {run} has no case traces to label (logged before traces, or with --no-mlflow)"
        )
    by_exp: dict[str, list[str]] = {}
    for t in traces:
        by_exp.setdefault(t.info.experiment_id, []).append(t.info.trace_id)
    queue = None
    with _use_tracking_uri(client.tracking_uri):
        for exp, ids in by_exp.items():
            schema = next((s for s in list_label_schemas(exp) if s.name == LABEL), None)
            if schema is None:
                schema = create_label_schema(
                    LABEL,
                    type="feedback",
                    input=InputPassFail(positive_label="Correct", negative_label="Incorrect"),
                    instruction=INSTRUCTION,
                    enable_comment=True,
                    experiment_id=exp,
                )
            queue = create_review_queue(
                f"{QUEUE_PREFIX}{run}",
                queue_type="custom",
                users=users or [],
                schema_ids=[schema.schema_id],
                experiment_id=exp,
            )
            add_items_to_review_queue(queue.queue_id, item_ids=ids)
    return queue, len(traces)


def _latest(trace: Any, name: str, source: str | None = None) -> Any:
    found = [
        a
        for a in trace.info.assessments
        if a.name == name and a.valid is not False and (source is None or a.source.source_type == source)
    ]
    return max(found, key=lambda a: a.last_update_time_ms or 0) if found else None


def labelled_traces(client: Any, what: str) -> list[Any]:
    """The traces of a run, or of a review queue (by id or name), with their assessments."""
    from mlflow.genai.review_queues import list_review_queue_items, list_review_queues
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    try:
        return run_traces(client, what)
    except LookupError:
        pass
    with _use_tracking_uri(client.tracking_uri):
        for exp in client.search_experiments():
            for q in list_review_queues(experiment_id=exp.experiment_id):
                if what in (q.queue_id, q.name, f"{QUEUE_PREFIX}{what}"):
                    items = list_review_queue_items(q.queue_id, max_results=1000)
                    return [client.get_trace(i.item_id) for i in items]
    raise LookupError(f"no logged run and no review queue named {what!r}")


def agreements(traces: list[Any]) -> tuple[list[Agreement], int]:
    """(judge–human, execution–human, judge–execution) over the traces a person labelled; and the
    labelled count."""
    judge_human, exec_human, judge_exec = [], [], []
    labelled = 0
    for t in traces:
        human = _latest(t, LABEL, "HUMAN")
        if human is None or not isinstance(human.value, bool):
            continue
        labelled += 1
        judge = _latest(t, "judge")
        tier = _latest(t, "tier")
        j = None if judge is None or judge.value is None else float(judge.value) >= JUDGE_CUT
        x = None if tier is None or tier.value is None else tier.value == "passes"
        if j is not None:
            judge_human.append((j, human.value))
        if x is not None:
            exec_human.append((x, human.value))
        if j is not None and x is not None:
            judge_exec.append((j, x))
    return [
        Agreement("judge vs human", tuple(judge_human)),
        Agreement("execution vs human", tuple(exec_human)),
        Agreement("judge vs execution", tuple(judge_exec)),
    ], labelled


# -- the commands -----------------------------------------------------------------------------


def cmd_label(args: argparse.Namespace) -> int:
    try:
        queue, n = create_queue(args.run, args.mlflow_uri, args.user or None)
    except LookupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    uri = args.mlflow_uri or default_uri()
    print(
        f"review queue {queue.name!r} ({queue.queue_id}) holds the {n} case traces of {args.run}; "
        f"reviewers answer `{LABEL}` on MLflow's Review page (cairo-evals ui, store {uri})"
    )
    return 0


def calibrate_labels(what: str, uri: str | None = None) -> int:
    client = client_for(uri)
    try:
        traces = labelled_traces(client, what)
    except LookupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    found, labelled = agreements(traces)
    print(f"human labels on {what}: {labelled} of {len(traces)} cases labelled `{LABEL}`")
    for a in found:
        print("  " + describe(a))
    if not labelled:
        print(
            f"no HUMAN `{LABEL}` labels yet: label the cases first (cairo-evals label {what})",
            file=sys.stderr,
        )
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("label", help="put a logged run's cases in a review queue for human labels")
    p.add_argument("run", metavar="RUN", help="MLflow run id or cairo-evals run id")
    p.add_argument("--user", action="append", help="assign a reviewer (repeatable)")
    p.add_argument(
        "--mlflow-uri", default=None, help="tracking URI (default: $MLFLOW_TRACKING_URI or mlruns.db)"
    )
    p.set_defaults(func=cmd_label)
