"""Session-wide care: the tests leave no server behind.

Every process the session starts (xdist workers, CLI subprocesses, the embedded PostgreSQL, the
compiler's workers) inherits a marker, `CAIRO_EVALS_TEST_SESSION` (kept when `.ci/run` set it
already). When the whole session ends (on the xdist controller, after every worker), the
embedded PostgreSQL servers it started and nobody uses any more are stopped, including those
whose starter was killed with -9 on purpose (pgserver would keep them forever).
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.leftovers import MARKER, stop_postgres

os.environ.setdefault(MARKER, f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # a worker: the controller cleans up once every worker is done
    stop_postgres(os.environ[MARKER])
