"""Parsing compiler text into `Diagnostic`s, shared by the Scarb and wasm backends.

Both print Cairo's own diagnostic format::

    error[E0006]: Identifier not found.      (Scarb text mode; the wasm compiler has no code)
     --> src/lib.cairo:19:30
    fn get(self: @ContractState) -> u64 { x }
                                          ^

Positions are never fields: they are parsed out of the ` --> path:line:col` line.
The answer and the case's sealed tests are compiled as one file (`seal.seal`), so a line is
mapped back to `lib.cairo` (the answer) or `tests.cairo` by the `locate` the caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from ._types import Diagnostic

LOCATION = re.compile(r"^\s*--> (?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+)", re.M)
HEADER = re.compile(r"^[ \t]*(?P<sev>error|warning|warn)(?:\[(?P<code>\w+)\])?: (?P<msg>.*)$", re.M)
CARETS = re.compile(r"^\s*\^[*^]*\^?\s*$")


def split_blocks(text: str) -> Iterator[str]:
    """Yield each diagnostic's block of text (from its header to the next header)."""
    starts = [m.start() for m in HEADER.finditer(text)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        yield text[start:end].strip("\n")


def span_text(block: str) -> str | None:
    """The source text the carets point at (`^*^` under `Vec`), or None."""
    lines = block.splitlines()
    for i, line in enumerate(lines):
        if i > 0 and CARETS.match(line) and "^" in line:
            source = lines[i - 1]
            start = line.index("^")
            end = line.rindex("^") + 1
            return source[start:end].strip() or None
    return None


Locate = Callable[[int], tuple[str, int]]


def parse_block(
    block: str, answer_lines: int, *, recovered: bool = False, locate: Locate | None = None
) -> Diagnostic | None:
    """One diagnostic from one block; positions mapped to lib.cairo / tests.cairo (by `locate`,
    else: lines past `answer_lines` are the tests')."""
    header = HEADER.search(block)
    if header is None:
        return None
    severity = "warning" if header["sev"].startswith("warn") else "error"
    file = line = col = None
    loc = LOCATION.search(block)
    if loc:
        line, col = int(loc["line"]), int(loc["col"])
        if locate is not None:
            file, line = locate(line)
        else:
            file = "lib.cairo"
            if line > answer_lines:
                file, line = "tests.cairo", line - answer_lines
    message = header["msg"].strip()
    span = span_text(block)
    if span and span not in message and len(span) <= 80 and message.endswith("."):
        message = f"{message[:-1]}: `{span}`."  # "Invalid path." says which path only this way
    return Diagnostic(
        severity=severity,
        message=message,
        code=header["code"],
        file=file,
        line=line,
        col=col,
        recovered=recovered,
    )


def parse_text(text: str, answer_lines: int, *, recovered: bool = False) -> list[Diagnostic]:
    """Every diagnostic in a compiler's text output."""
    found = (parse_block(b, answer_lines, recovered=recovered) for b in split_blocks(text))
    return [d for d in found if d is not None]
