"""Calibrating a judge against execution: does it score broken versions of a golden lower?

Each case's golden is mutated the way mutation testing does, by behaviour rather than by
surface (each mutant is made when the golden has a place for it):

- `flipped-comparison`: the first comparison in a function body turned around (`<` → `>=`);
- `off-by-one`: the first strict comparison made non-strict, or the reverse (`<` → `<=`);
- `deleted-check`: the first `assert…` or access check (`assert_only_…`) in a body removed;
- `swapped-args`: the first call with two plain arguments called with them swapped;
- `wrong-constant`: the first integer literal in a body changed (`n` → `n + 1`);
- `default-body`: a function the query names given a default body (`Default::default()`);
- `no-emit`: every `self.emit(...)` removed (goldens that emit events);
- `renamed`: an item the query names renamed (the case's tests can no longer bind).

With a compiler (`--compile`) every mutant is also executed against the case's tests, and the
report gives, per judge:

- **golden ranked above the mutant**: how often the judge scores the golden strictly higher,
  per mutation kind;
- **judge–execution agreement**: over the mutants whose tests fail (mutants that pass every test
  "survived" and are left out), how often the judge scored the mutant lower than its golden.

A judge passes calibration when its agreement reaches `min_agreement` (0.75). Nothing is scored
by construction: a judge that returns a constant agrees 0% of the time and fails.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .cairo import Compiler
from .cairotext import mask, walk
from .judge import Judge
from .metric import tier_of
from .structure import items, required_names
from .suite import Case, Suite

COMPARISON = re.compile(r"(?<=\s)(<=|>=|==|!=|<|>)(?=\s)")
FLIP = {"<": ">=", ">": "<=", "<=": ">", ">=": "<", "==": "!=", "!=": "=="}
OFF_BY_ONE = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
CHECK_LINE = re.compile(
    r"^[ \t]*(?:assert\w*!?\s*\(|(?:self\.)?[\w.]*assert_only_\w*\s*\().*?;[ \t]*\n", re.M
)
CALL_TWO = re.compile(r"\b(\w+)\s*\(\s*([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s*\)")
INTEGER = re.compile(r"(?<![\w.'])(\d+)(?:_?(?:u8|u16|u32|u64|u128|u256|felt252|i8|i16|i32|i64|i128))?\b")


def _bodies(code: str) -> list[tuple[int, int, str | None]]:
    """The (start, end, name) of each function body in `code`, outermost first."""
    return [
        (item.body[0], item.body[1], item.name)
        for _, item in walk(code)
        if item.kind == "fn" and item.body is not None
    ]


def _first_in_bodies(
    code: str, pattern: re.Pattern[str], accept: Callable[[re.Match[str]], bool]
) -> re.Match[str] | None:
    masked = mask(code)
    best: re.Match[str] | None = None
    for start, end, _ in _bodies(code):
        for m in pattern.finditer(masked, start, end):
            if accept(m) and (best is None or m.start() < best.start()):
                best = m
                break
    return best


def _replace(code: str, m: re.Match[str], text: str, group: int = 0) -> str:
    return code[: m.start(group)] + text + code[m.end(group) :]


def _remove_emits(code: str) -> str:
    masked = mask(code)
    out, i = [], 0
    for m in re.finditer(r"self\.emit\s*\(", masked):
        if m.start() < i:
            continue
        depth, j = 0, m.end() - 1
        while j < len(masked):
            depth += {"(": 1, ")": -1}.get(masked[j], 0)
            j += 1
            if depth == 0:
                break
        while j < len(masked) and masked[j] in " ;":
            j += 1
        out.append(code[i : m.start()])
        i = j
    return "".join(out) + code[i:]


def mutants(case: Case) -> Iterator[tuple[str, str]]:
    """(kind, code) for each mutation the golden has a place for."""
    golden = case.golden
    masked = mask(golden)
    m = _first_in_bodies(golden, COMPARISON, lambda m: True)
    if m:
        yield "flipped-comparison", _replace(golden, m, FLIP[m[1]], 1)
    m = _first_in_bodies(golden, COMPARISON, lambda m: m[1] in OFF_BY_ONE)
    if m:
        yield "off-by-one", _replace(golden, m, OFF_BY_ONE[m[1]], 1)
    m = _first_in_bodies(golden, CHECK_LINE, lambda m: True)
    if m:
        yield "deleted-check", _replace(golden, m, "")
    m = _first_in_bodies(golden, CALL_TWO, lambda m: m[2] != m[3] and m[1] not in ("assert", "assert_eq"))
    if m:
        yield (
            "swapped-args",
            golden[: m.start(2)] + m[3] + golden[m.end(2) : m.start(3)] + m[2] + golden[m.end(3) :],
        )
    m = _first_in_bodies(golden, INTEGER, lambda m: True)
    if m:
        yield "wrong-constant", _replace(golden, m, str(int(m[1]) + 1), 1)
    named = required_names(case.query, items(golden))
    for start, end, name in _bodies(golden):
        if name in named:
            header = masked[:start].rsplit("fn ", 1)[-1]
            default = "Default::default()" if "->" in header else ""
            yield "default-body", golden[:start] + f" {default} " + golden[end:]
            break
    if items(golden).emits:
        yield "no-emit", _remove_emits(golden)
    renamable = sorted(named & (items(golden).functions | items(golden).modules | items(golden).types))
    if renamable:
        name = max(renamable, key=len)  # the most specific name; short ones may be substrings
        yield "renamed", re.sub(rf"\b{re.escape(name)}\b", f"{name}_impl", golden)


@dataclass(frozen=True)
class Mutant:
    kind: str
    judge: float
    tier: str | None = None  # with a compiler: the mutant's execution tier

    @property
    def fails_tests(self) -> bool | None:
        return None if self.tier is None else self.tier != "passes"


@dataclass(frozen=True)
class Row:
    case: str
    golden: float
    golden_tier: str | None
    mutants: tuple[Mutant, ...]


@dataclass(frozen=True)
class Calibration:
    judge: str
    rows: list[Row]
    min_agreement: float = 0.75
    per_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (ranked right, total)

    @property
    def agreement(self) -> tuple[int, int]:
        """(mutants whose tests fail and that the judge scored below the golden, such mutants)."""
        failing = [(r, m) for r in self.rows for m in r.mutants if m.fails_tests]
        return sum(m.judge < r.golden for r, m in failing), len(failing)

    @property
    def survived(self) -> int:
        return sum(m.fails_tests is False for r in self.rows for m in r.mutants)

    @property
    def executed(self) -> bool:
        return any(m.tier is not None for r in self.rows for m in r.mutants)

    @property
    def ok(self) -> bool:
        agree, n = self.agreement
        if self.executed:
            return n > 0 and agree / n >= self.min_agreement
        ranked = sum(m.judge < r.golden for r in self.rows for m in r.mutants)
        total = sum(len(r.mutants) for r in self.rows)
        return total > 0 and ranked / total >= self.min_agreement


async def calibrate(
    suite: Suite, judge: Judge, compiler: Compiler | None = None, min_agreement: float = 0.75
) -> Calibration:
    """The judge's scores of each golden and its mutants; with a compiler, their execution too
    (the judge then sees the real verdicts, as in a run)."""
    rows = []
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in suite.cases:

        async def judged(code: str, case: Case = case) -> tuple[float, str | None]:
            compiled = None
            if compiler is not None:
                compiled = await compiler.acompile(code, case.kind, case.tests, suite.dependencies)
            tier = tier_of(case, compiled, code) if compiled is not None and not compiled.fault else None
            return (await judge.judge(case, code, compiled)).score, tier

        golden, golden_tier = await judged(case.golden)
        found = []
        for kind, code in mutants(case):
            score, tier = await judged(code)
            found.append(Mutant(kind, score, tier))
            per_kind[kind][0] += score < golden
            per_kind[kind][1] += 1
        rows.append(Row(case.nodeid, golden, golden_tier, tuple(found)))
    kinds = {k: (v[0], v[1]) for k, v in sorted(per_kind.items())}
    return Calibration(getattr(judge, "name", "judge"), rows, min_agreement, kinds)
