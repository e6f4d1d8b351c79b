"""Calibrating a judge: does it rank the golden above broken versions of it?

For each case the judge sees the golden, and broken variants generated from it:

- `renamed`: an item the query asks for, renamed (`transfer` → `transfer_impl`);
- `no-emit`: every `self.emit(...)` removed (only for goldens that emit events);
- `rust-ism`: a helper written the Rust way appended (`&mut Vec<u64>`, `usize`).

The empty answer scores 0 by construction (no code). A judge is miscalibrated when a variant
scores at least as high as its golden.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .cairo import Compiler
from .judge import Judge
from .metric import combine
from .structure import items, required_names
from .suite import Case, Suite

RUST_HELPER = (
    "\nfn total_len(items: &mut Vec<u64>) -> usize {\n"
    "    let mut n: usize = 0;\n    for _ in items.iter() { n += 1; }\n    n\n}\n"
)


def _remove_emits(code: str) -> str:
    out, i = [], 0
    for m in re.finditer(r"self\.emit\s*\(", code):
        if m.start() < i:
            continue
        depth, j = 0, m.end() - 1
        while j < len(code):
            depth += {"(": 1, ")": -1}.get(code[j], 0)
            j += 1
            if depth == 0:
                break
        while j < len(code) and code[j] in " ;":
            j += 1
        out.append(code[i : m.start()])
        i = j
    return "".join(out) + code[i:]


def mutants(case: Case) -> Iterator[tuple[str, str]]:
    golden = items(case.golden)
    required = sorted(required_names(case.query, golden) & (golden.functions | golden.modules | golden.types))
    if required:
        name = max(required, key=len)  # the most specific name; short ones may be substrings
        yield "renamed", re.sub(rf"\b{re.escape(name)}\b", f"{name}_impl", case.golden)
    if golden.emits:
        yield "no-emit", _remove_emits(case.golden)
    yield "rust-ism", case.golden.rstrip() + "\n" + RUST_HELPER


@dataclass(frozen=True)
class Row:
    case: str
    golden: float
    empty: float
    variants: dict[str, float]

    @property
    def ok(self) -> bool:
        return (
            self.golden >= 0.9 and self.empty == 0.0 and all(v < self.golden for v in self.variants.values())
        )


async def calibrate(suite: Suite, judge: Judge, compiler: Compiler | None = None) -> list[Row]:
    """Judge scores (and, with a compiler, the composite score's inputs) for each case's variants.

    Without a compiler the judge sees "not compiled"; with one it sees the real verdicts.
    """
    rows = []
    for case in suite.cases:

        async def judged(code: str, case: Case = case) -> float:
            compiled = await compiler.acompile(code, case.kind, case.tests) if compiler else None
            return (await judge.judge(case, code, compiled)).score

        empty = combine(case, suite.scoring, None, "no code", None, None).score
        variants = {name: await judged(code) for name, code in mutants(case)}
        rows.append(Row(case.nodeid, await judged(case.golden), empty, variants))
    return rows
