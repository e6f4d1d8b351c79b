"""Where the project lives and where it keeps its caches.

Nothing is written outside the project: the compiler package, compile cache and (later)
the embedded database live under `<project>/.cache/cairo-evals` unless
`CAIRO_EVALS_CACHE_DIR` points elsewhere.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any


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


class TargetError(ValueError):
    """A `package.module:attr` target that cannot be imported or has no such attribute."""


def import_target(target: str, expected: str = "'package.module:attr'") -> Any:
    """The object `package.module:attr` names (`attr` may be dotted), imported from the working
    directory as pytest and uvicorn do: the program or LM under test lives in the user's project."""
    if str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise TargetError(f"{target!r}: expected {expected}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise TargetError(f"cannot import '{module_name}': {e}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TargetError(f"module '{module_name}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    return obj
