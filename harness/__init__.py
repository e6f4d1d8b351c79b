"""cairo-evals: evaluation and regression-testing harness for DSPy programs that write Cairo."""

__version__ = "0.1.0"
