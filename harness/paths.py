"""Where the project lives and where it keeps its caches.

Nothing is written outside the project: the compiler package, compile cache and (later)
the embedded database live under `<project>/.cache/cairo-evals` unless
`CAIRO_EVALS_CACHE_DIR` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root(start: Path | None = None) -> Path:
    """The nearest ancestor of `start` (default: cwd) that holds a `suites/` folder or a
    `pyproject.toml`; `start` itself when there is none."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "suites").is_dir() or (candidate / "pyproject.toml").is_file():
            return candidate
    return here


def cache_dir() -> Path:
    """The cache root, created on first use."""
    env = os.environ.get("CAIRO_EVALS_CACHE_DIR")
    path = Path(env) if env else project_root() / ".cache" / "cairo-evals"
    path.mkdir(parents=True, exist_ok=True)
    return path
