"""The MLflow store cairo-evals logs to, ready for use: where it is, one process migrating it at a
time, a tracking server checked to answer before anything waits on it.

Every module that talks to MLflow (tracking, prompts, traces, ui, label) opens its client here,
so none of them imports another to get one.
"""

from __future__ import annotations

import contextlib
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from filelock import FileLock

from .paths import project_root

_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

HTTP_LIMITS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}
STORE_LOCK_TIMEOUT = 600.0  # a migration on a loaded machine takes seconds; never wait forever


class TrackingUnavailable(RuntimeError):
    """The tracking server did not answer, or answered with an error."""


def default_uri() -> str:
    """`$MLFLOW_TRACKING_URI`, else `sqlite:///<project>/mlruns.db`."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{project_root() / 'mlruns.db'}"


def _sqlite_path(uri: str) -> Path | None:
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///").split("?", 1)[0])


def artifact_location(uri: str, experiment: str = "") -> str | None:
    """`mlartifacts/<experiment>` beside a sqlite store (a file URI); None (the server decides)
    for any other store."""
    path = _sqlite_path(uri)
    if path is None:
        return None
    folder = path.resolve().parent / "mlartifacts"
    if experiment:
        folder = folder / (_FILE_UNSAFE.sub("_", experiment).strip("._") or "experiment")
    return folder.as_uri()


def _check_reachable(uri: str, timeout: float = 3.0) -> None:
    """Fail fast on a dead or failing HTTP server (MLflow's own client retries for minutes)."""
    if not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout):
            pass
    except urllib.error.HTTPError as e:
        if e.code >= 500 or e.code == 429:
            raise TrackingUnavailable(f"MLflow at {uri} answers HTTP {e.code} ({e.reason})") from None
        # a 4xx: a proxy or an old server without /health answered: good enough
    except (OSError, ValueError) as e:
        raise TrackingUnavailable(f"MLflow at {uri} is unreachable: {e}") from None


def store_lock(uri: str) -> contextlib.AbstractContextManager[Any]:
    """The lock that serialises creating and migrating the sqlite store at `uri` (a no-op for
    other stores: a server migrates its own database)."""
    path = _sqlite_path(uri)
    if path is None:
        return contextlib.nullcontext()
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock", timeout=STORE_LOCK_TIMEOUT)


def client_for(uri: str | None = None) -> Any:
    """An `MlflowClient` for tracking and the prompt registry at `uri` (default: `default_uri()`),
    with its store ready: a server checked to answer, a sqlite database created and migrated
    (under `store_lock`, one process at a time)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = uri or default_uri()
    if uri.startswith(("http://", "https://")):
        for name, value in HTTP_LIMITS.items():
            os.environ.setdefault(name, value)
    _check_reachable(uri)
    from mlflow.tracking import MlflowClient

    with store_lock(uri):
        # MLflow creates and migrates a store when it first opens it (once per process): here,
        # inside the lock, for the tracking tables and the registry's.
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        if _sqlite_path(uri) is not None:
            client.search_experiments(max_results=1)
            client.search_registered_models(max_results=1)
    return client


def experiment_id(client: Any, name: str, uri: str) -> str:
    """The id of experiment `name`, created (with its artifact location) when missing."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
        return str(found.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_location(uri, name)))
