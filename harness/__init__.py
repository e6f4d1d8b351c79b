"""cairo-evals: evaluation and regression-testing harness for DSPy programs that write Cairo."""

import os

__version__ = "0.1.0"

# LiteLLM fetches its price list from the network when first imported (MLflow's tracing imports
# it), retrying for seconds where there is no network: use the copy it ships unless told otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def main() -> int:
    """The `cairo-evals` command. `--version` is answered here, before the CLI module is imported
    (its suite models, compiler back-ends and rich take most of a second to import); every other
    command is `harness.cli.main`."""
    import sys

    if sys.argv[1:] == ["--version"]:
        print(f"cairo-evals {__version__}")
        return 0
    from .cli import main as cli_main

    code = cli_main()
    # The process ends here, and what is alive now lives until then: spare the interpreter's exit
    # its garbage collections over all of it (0.8 s once MLflow is loaded; benchmarks/README.md).
    # Exit handlers (atexit, weakref.finalize) still run.
    import gc

    gc.freeze()
    return code
