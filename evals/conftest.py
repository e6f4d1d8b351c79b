"""`pytest evals`: every case of every suite under ../suites is one test item.

The collection, options (`--suite`, `--program`, `--lm`, `--judge-lm`, `--compiler`,
`--repeats`) and per-session state live in `harness.pytest_plugin`, registered as the
`cairo_evals` pytest11 entry point when the package is installed. This file marks the
folder and loads the plugin for checkouts where the package is not installed.
"""

import importlib.util

if importlib.util.find_spec("harness") is None:  # pragma: no cover - running from a bare checkout
    raise RuntimeError("install cairo-evals first: pip install -e .")
