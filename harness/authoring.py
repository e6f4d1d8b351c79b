"""What a suite author is told about each case: how many tests its tests file holds, and which
items the tests use that the query does not name.

Tests files are written as people write them: any number of `#[cfg(test)]` modules with any
names, bare `#[test]` functions, helpers, `use super::*`. The harness counts every `#[test]` in
the file (`cairotext.test_functions`), at any depth; a test that does not run is a failed test.

A case's tests bind to any correct answer only when the query names every item they use (as
HumanEval gives the signature): a test that calls `increase` on an `IOwnedCounterDispatcher`
needs a query that names `IOwnedCounter` and `increase`. `unnamed_items` finds the identifiers
of the tests file that the golden declares (functions, traits, structs, enums, modules,
constants, impls; a dispatcher stands for its interface trait) and that the query never
mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import cairotext
from .discriminate import recorded
from .suite import Case, Suite

# Items a golden declares that a test can use by name (`let`/`use` are not declarations of items).
_DECLARED_KINDS = {"fn", "mod", "struct", "enum", "trait", "impl", "const", "type"}
_IDENT = re.compile(r"(?P<before>\.|::)?\s*\b(?P<name>[A-Za-z_]\w*)\b")
# What the Starknet plugin generates from `#[starknet::interface] trait IFoo`.
_DISPATCHER = re.compile(r"^(?P<trait>\w+?)(?:Safe)?(?:Library)?Dispatcher(?:Trait)?$")


@dataclass(frozen=True)
class CaseReport:
    """Args:
    tests: the `#[test]` functions that run (ignored ones excepted), None without a tests file.
    ignored: `#[test] #[ignore]` functions, which never count.
    unnamed: items of the golden that the tests use and the query does not name.
    """

    case: Case
    tests: int | None
    ignored: int
    unnamed: tuple[str, ...]


def declared_items(code: str) -> set[str]:
    """Names of the items `code` declares, at any depth of modules, traits and impls."""
    return {item.name for _, item in cairotext.walk(code) if item.name and item.kind in _DECLARED_KINDS}


def _uses(tests: str) -> list[tuple[str, bool]]:
    """(identifier, reached through `.` or `::`) for every identifier of the tests' code."""
    masked = cairotext.mask(tests)
    return [(m["name"], m["before"] is not None) for m in _IDENT.finditer(masked)]


def used_items(golden: str, tests: str) -> list[str]:
    """The golden's items that the tests use, in order of first use. A dispatcher
    (`IFooDispatcher`, `IFooDispatcherTrait`, safe and library ones) counts as its trait `IFoo`.
    A name the tests declare themselves (a helper `fn owner()`) counts only where it is reached
    as a method or a path (`counter.owner()`, `Counter::owner`)."""
    declared = declared_items(golden)
    own = declared_items(tests)
    found: dict[str, None] = {}
    for name, qualified in _uses(tests):
        dispatcher = _DISPATCHER.match(name)
        if dispatcher and dispatcher["trait"] in declared and name not in declared:
            found.setdefault(dispatcher["trait"], None)
        elif name in declared and (qualified or name not in own):
            found.setdefault(name, None)
    return list(found)


def names(query: str, item: str) -> bool:
    """Whether the query mentions `item` as a whole word (a dispatcher's name counts for its trait)."""
    return (
        re.search(rf"(?<!\w){re.escape(item)}(?:(?:Safe)?(?:Library)?Dispatcher(?:Trait)?)?(?!\w)", query)
        is not None
    )


def unnamed_items(case: Case) -> tuple[str, ...]:
    if not case.tests:
        return ()
    return tuple(item for item in used_items(case.golden, case.tests) if not names(case.query, item))


def report(case: Case) -> CaseReport:
    if case.tests is None:
        return CaseReport(case, None, 0, ())
    found = cairotext.test_functions(case.tests)
    ignored = sum(t.ignored for t in found)
    return CaseReport(case, len(found) - ignored, ignored, unnamed_items(case))


def describe(suite: Suite) -> tuple[list[str], list[str]]:
    """What `cairo-evals validate` prints about a valid suite: a line per case (its tests, and the
    tests a do-nothing answer passes when check-golden or a run has found them), and warnings as
    `file:line: case 'id': …` (items the tests use that the query does not name; a case whose
    every test a do-nothing answer passes)."""
    reports = [report(c) for c in suite.cases]
    total = sum(r.tests or 0 for r in reports)
    lines = [f"{suite.path}: ok ({len(suite.cases)} cases, {total} tests)"]
    width = max(len(c.id) for c in suite.cases)
    warnings = []
    unknown = 0
    for r in reports:
        c = r.case
        tests = "no tests file" if r.tests is None else f"{r.tests} test{'s' * (r.tests != 1)}"
        if r.ignored:
            tests += f" (+{r.ignored} ignored)"
        extra = [c.kind, c.split, *([f"added {c.added}"] if c.added else [])]
        if c.expect_verdict:
            extra.append(f"expects {c.expect_verdict}")
        lines.append(f"  {c.id:<{width}}  {tests:<14} {', '.join(extra)}")
        if c.tests:
            d = recorded(c, suite.dependencies)
            if d is None:
                unknown += 1
            elif d.passed_by:
                trivial = ", ".join(f"{t} ({how})" for t, how in d.passed_by.items())
                lines.append(f"  {'':<{width}}  non-discriminating (a do-nothing answer passes): {trivial}")
                if not d.discriminating:
                    warnings.append(
                        f"{suite.path}:{c.line}: case '{c.id}': warning: every test passes with an answer "
                        "that does nothing: add a test that checks a result"
                    )
        if r.unnamed:
            shown = ", ".join(f"`{n}`" for n in r.unnamed)
            warnings.append(
                f"{suite.path}:{c.line}: case '{c.id}': warning: the tests use {shown}, which the query "
                "does not name: name each with its signature, so the tests can bind to any correct answer"
            )
    if unknown:
        lines.append(
            f"  ({unknown} case(s) not yet checked for tests that a do-nothing answer passes: "
            "`cairo-evals check-golden` finds them)"
        )
    return lines, warnings


@dataclass(frozen=True)
class OwnTests:
    """A Cairo file's own tests, split off so they can run as a case's tests do.

    Args:
        code: the file without its top-level test items (blanked: every line keeps its number).
        tests: the top-level test items (`#[cfg(test)]` items and `#[test]` functions) with the
            rest blanked, so a line of the tests is the same line of the file; None without any.
        count: the `#[test]` functions in `tests` that run.
        nested: tests inside other modules (`mod a { #[cfg(test)] mod tests {…} }`): they see
            their module's private items, so they cannot move out and do not run.
    """

    code: str
    tests: str | None
    count: int
    nested: tuple[str, ...]


def _test_only(item: cairotext.Item) -> bool:
    if item.kind == "fn" and item.has_attr(cairotext.TEST_ATTR):
        return True
    for attr in item.attrs:
        cfg = cairotext._CFG.fullmatch(attr)  # the build configuration's own reading of cfg(...)
        if cfg and cairotext._cfg_value(cfg["expr"]) is False:
            return True
    return False


def split_own_tests(code: str) -> OwnTests:
    """The file's top-level test items as a tests file, and the file without them."""
    masked = cairotext.mask(code)
    spans = [(i.start, i.end) for i in cairotext.items(code, masked=masked) if _test_only(i)]
    if not spans:
        return OwnTests(code, None, 0, tuple(t.path for t in cairotext.test_functions(code)))
    keep = [False] * len(code)
    for a, b in spans:
        keep[a:b] = [True] * (b - a)
    blank = "".join(ch if ch == "\n" else " " for ch in code)
    tests = "".join(ch if k else blank[i] for i, (ch, k) in enumerate(zip(code, keep, strict=True)))
    rest = "".join(blank[i] if k else ch for i, (ch, k) in enumerate(zip(code, keep, strict=True)))
    tests, rest = (re.sub(r"[ \t]+$", "", text, flags=re.M) for text in (tests, rest))
    inside = {t.path for t in cairotext.test_functions(tests)}
    nested = tuple(t.path for t in cairotext.test_functions(rest) if t.path not in inside)
    runs = sum(not t.ignored for t in cairotext.test_functions(tests))
    return OwnTests(rest, tests, runs, nested)
