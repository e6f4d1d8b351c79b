"""The Cairo inputs of the compile-layer tests (tests/cairo/), split into answer and tests."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent / "cairo"


def split(path: Path) -> tuple[str, str]:
    """A file's code, and its `#[cfg(test)]` module as the case's tests."""
    code, tests = path.read_text().split("#[cfg(test)]")
    return code, "#[cfg(test)]" + tests


COUNTER_CODE, COUNTER_TESTS = split(HERE / "counter.cairo")
AVG_CODE, AVG_TESTS = split(HERE / "checked_average.cairo")
