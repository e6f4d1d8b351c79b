"""Sealing a case's tests: only the case's own tests run and count, whatever the answer brings.

Every compile gets a fresh random marker (`cairo_evals_<16 hex>`) that the answer cannot
predict, and the case's tests file is placed under it:

- **wrapped** (backends with glob imports: native Cairo 2.16, Scarb): the whole tests file goes
  into `mod <marker> { use super::*; … }`, so its `mod tests { use super::… }`, `use super::*`,
  bare `#[test]` functions and helpers all see the answer's items, and none of them can clash
  with the answer's own (a `use` both declare, a `mod tests` in the answer).
- **renamed** (the wasm compiler, Cairo ~2.8, which has no glob imports): the tests file's
  top-level modules and test functions get the marker in their names; its loose `use` lines
  stay at the crate root.

Either way a test belongs to the case only when its full path contains the marker, and the
number of tests is the number of `#[test]` functions in the tests file (`#[ignore]`d ones
excepted), not what the runner reports: a test that did not run is a failed test.

The answer itself is compiled as `scarb build` would see it (`cairotext.build_configuration`):
its `#[cfg(test)]` items, e.g. its own test module or test-only versions of its functions,
are removed first (said in the result's notes), and never run.

The marker never enters the compile cache's key: the key is made from the case's request;
sealing happens inside the backend, afresh for each compile.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from .. import cairotext

MARKER_PREFIX = "cairo_evals_"


def new_marker() -> str:
    return MARKER_PREFIX + secrets.token_hex(8)


@dataclass(frozen=True)
class Sealed:
    """What a backend compiles for one request.

    Attributes:
        answer: the answer as a build sees it.
        source: `answer` followed by the sealed tests (just `answer` without tests).
        answer_lines: lines of `answer` in `source`.
        tests_start: the line of `source` that holds the tests file's first line.
        marker: the sealed tests' marker (None without tests); a test runs when its path contains it.
        expected: the tests that must run and pass (paths in the tests file, `tests::it_works`).
        notes: what was done to the answer, for the result.
    """

    answer: str
    source: str
    answer_lines: int
    tests_start: int
    marker: str | None
    expected: tuple[str, ...]
    notes: tuple[str, ...]

    def locate(self, line: int) -> tuple[str, int]:
        """A line of `source` as (file, line): `lib.cairo` is the answer, `tests.cairo` the tests."""
        if line <= self.answer_lines:
            return "lib.cairo", line
        return "tests.cairo", max(1, line - self.tests_start + 1)

    def own(self, reported: str) -> str | None:
        """The tests-file path of a test the runner reported (`cairo_evals::<marker>::tests::t` →
        `tests::t`), or None when it is not one of the case's tests."""
        if not self.marker or self.marker not in reported:
            return None
        parts = reported.split("::")
        if self.marker in parts:  # wrapped: everything after the marker module
            return "::".join(parts[parts.index(self.marker) + 1 :])
        suffix = f"__{self.marker}"
        tail = [p.removesuffix(suffix) for p in parts[1:]]  # renamed: drop the crate, unmark names
        return "::".join(tail)


def seal(code: str, tests: str | None, *, wrap: bool = True, marker: str | None = None) -> Sealed:
    """The source to compile for `code` with the case's `tests` (see the module's docstring)."""
    answer, removed = cairotext.build_configuration(code)
    answer = answer.rstrip("\n") + "\n"
    notes = []
    if removed:
        notes.append(
            "compiled as built: removed the answer's test-only items ("
            + ", ".join(removed[:6])
            + (" …" if len(removed) > 6 else "")
            + "); only the case's tests run"
        )
    answer_lines = answer.count("\n")
    if tests is None:
        return Sealed(answer, answer, answer_lines, answer_lines + 1, None, (), tuple(notes))
    marker = marker or new_marker()
    expected = cairotext.expected_tests(tests)
    if wrap:
        header = f"#[cfg(test)] #[allow(unused_imports)] mod {marker} {{ use super::*;\n"
        body = tests.rstrip("\n") + "\n}\n"
        return Sealed(
            answer, answer + header + body, answer_lines, answer_lines + 2, marker, expected, tuple(notes)
        )
    return Sealed(
        answer,
        answer + _renamed(tests, marker),
        answer_lines,
        answer_lines + 1,
        marker,
        expected,
        tuple(notes),
    )


def _renamed(tests: str, marker: str) -> str:
    """The tests file with its top-level modules and test functions marked (same lines)."""
    masked = cairotext.mask(tests)
    edits = []
    for item in cairotext.items(tests, masked=masked):
        marked = item.kind == "mod" and item.body is not None
        marked |= item.kind == "fn" and item.has_attr(cairotext.TEST_ATTR)
        if marked and item.name:
            at = re.compile(rf"\b{item.kind}\s+{re.escape(item.name)}\b").search(masked, item.keyword)
            if at:
                edits.append(at.end())
    return cairotext.splice(tests, [(pos, pos, f"__{marker}") for pos in edits]).rstrip("\n") + "\n"
