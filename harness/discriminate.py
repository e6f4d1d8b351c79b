"""Which of a case's tests tell an answer that works from one that does nothing.

A test that an answer doing nothing also passes (a `#[should_panic]` test passed by a function
that only panics with the message the query gives, a getter test passed by `0`) proves nothing,
so it earns nothing in the `passes-some` tier (harness/metric.py); it still has to pass for
`passes`.

**Do-nothing answers** are derived from the golden with its interface kept (signatures, storage,
events, interfaces, attributes) and every function body replaced:

- `defaults`: every function returns a default value (`0`, `false`, `Option::None`, `array![]`,
  `""`, a tuple of those, `Default::default()` otherwise) and does nothing else; where that does
  not compile (or crashes the compiler), the functions of unknown return types panic instead;
- for each panic value the case names (the `#[should_panic(expected: …)]` values of its tests,
  with the runner's `ENTRYPOINT_FAILED`/`CONSTRUCTOR_FAILED` dropped, and the golden's string
  literals), `panics 'msg'`: the constructor does nothing and every other function panics with
  it; and, for contracts with a constructor, `panics 'msg' (constructor too)`.

Each is compiled with the case's tests like any answer (so its verdict is cached); a test that any
of them passes is *non-discriminating*. `cairo-evals check-golden` lists them per case; the result
is also kept in `<cache>/discrimination/` (by the case's golden, tests and dependencies), where
`cairo-evals validate` finds it without compiling anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .cairo import Compiler, CompileResult
from .cairotext import expected_tests, mask, splice, walk
from .paths import cache_dir
from .suite import Case

INTEGERS = {f"{s}{n}" for s in "ui" for n in (8, 16, 32, 64, 128)} | {"u256", "usize", "felt252"}
RUNNER_SUFFIXES = ("'ENTRYPOINT_FAILED'", "'CONSTRUCTOR_FAILED'")
SHOULD_PANIC = re.compile(r"#\[\s*should_panic\s*\(\s*expected\s*:\s*(?P<value>.*?)\)\s*\]", re.S)
SHORT = re.compile(r"'(?:[^'\\\n]|\\.)*'")
BYTES = re.compile(r'"(?:[^"\\\n]|\\.)*"')
MAX_PANICS = 4
GENERIC_PANIC = ("felts", ("'do nothing'",))


@dataclass(frozen=True)
class DoNothing:
    """One do-nothing answer: what it does (`label`) and its code."""

    label: str
    code: str


@dataclass(frozen=True)
class Discrimination:
    """For one case: the tests a do-nothing answer passes (`passed_by`: test -> the answer's label),
    and the do-nothing answers that could not be judged twice (counted as passing nothing)."""

    expected: tuple[str, ...]
    passed_by: dict[str, str]
    faults: tuple[str, ...] = ()

    @property
    def nondiscriminating(self) -> frozenset[str]:
        return frozenset(self.passed_by)

    @property
    def discriminating(self) -> tuple[str, ...]:
        return tuple(t for t in self.expected if t not in self.passed_by)


def _split_top(text: str) -> list[str]:
    parts, depth, part = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(part.strip())
            part = ""
            continue
        depth += (ch in "(<[") - (ch in ")>]")
        part += ch
    if part.strip():
        parts.append(part.strip())
    return parts


def default_expr(ty: str, unknown: str) -> str:
    """A do-nothing value of type `ty` (empty for unit)."""
    ty = " ".join(ty.split())
    if ty in ("", "()"):
        return ""
    if ty in INTEGERS:
        return "0"
    if ty == "bool":
        return "false"
    if re.match(r"(?:core::option::)?Option\b", ty):
        return "Option::None"
    if re.match(r"Array\b", ty):
        return "array![]"
    if re.match(r"Span\b", ty):
        return "array![].span()"
    if ty == "ByteArray":
        return '""'
    if ty.startswith("(") and ty.endswith(")"):
        inner = [default_expr(t, unknown) or "()" for t in _split_top(ty[1:-1])]
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
    return unknown


def panic_values(golden: str, tests: str) -> list[tuple[str, tuple[str, ...]]]:
    """The panic values a do-nothing answer tries, most telling first: ("felts", literals) or
    ("bytes", (literal,))."""
    found: list[tuple[str, tuple[str, ...]]] = []

    def add(value: tuple[str, tuple[str, ...]]) -> None:
        if value[1] and value not in found:
            found.append(value)

    for m in SHOULD_PANIC.finditer(tests):
        raw = m["value"].strip()
        if BYTES.fullmatch(raw) or (raw.startswith("(") and BYTES.search(raw) and not SHORT.search(raw)):
            add(("bytes", (BYTES.search(raw)[0],)))  # type: ignore[index]
            continue
        body = raw[1:-1] if raw.startswith("(") and raw.endswith(")") else raw
        felts = [p for p in _split_top(body) if p]
        while felts and felts[-1] in RUNNER_SUFFIXES:
            felts.pop()
        add(("felts", tuple(felts)))
    masked = mask(golden, literals=False)
    comments_out = mask(golden)
    for m in SHORT.finditer(masked):
        if comments_out[m.start()] == "'":
            add(("felts", (m[0],)))
    for m in BYTES.finditer(masked):
        if comments_out[m.start()] == '"':
            add(("bytes", (m[0],)))
    return [*found[:MAX_PANICS], GENERIC_PANIC]


def _panic_expr(value: tuple[str, tuple[str, ...]]) -> str:
    kind, parts = value
    if kind == "bytes":
        return f"core::panics::panic_with_byte_array(@{parts[0]})"
    return f"core::panics::panic(array![{', '.join(parts)}])"


def _with_bodies(golden: str, body: Callable[[str, str], str]) -> str:
    """The golden with every function's body replaced by `body(role, return type)`, where role is
    "constructor" or "fn"."""
    edits = []
    for _, item in walk(golden):
        if item.kind != "fn" or item.body is None:
            continue
        role = "constructor" if item.has_attr(r"#\[\s*constructor\s*\]") else "fn"
        signature = " ".join(golden[item.keyword : item.body[0] - 1].split())
        ret = re.search(r"->\s*(.+?)\s*(?:nopanic\s*)?$", signature)
        edits.append((item.body[0], item.body[1], f" {body(role, ret[1] if ret else '')} "))
    return splice(golden, edits)


def do_nothing_answers(case: Case, unknown_panics: bool = False) -> list[DoNothing]:
    """The case's do-nothing answers (see the module docstring)."""
    unknown = "core::panics::panic(array!['do nothing'])" if unknown_panics else "Default::default()"
    answers = [DoNothing("defaults", _with_bodies(case.golden, lambda _, ty: default_expr(ty, unknown)))]
    has_constructor = re.search(r"#\[\s*constructor\s*\]", case.golden) is not None
    for value in panic_values(case.golden, case.tests or ""):
        shown = value[1][0] if len(value[1]) == 1 else "(" + ", ".join(value[1]) + ")"
        expr = _panic_expr(value)
        label = f"panics {shown}"
        quiet = _with_bodies(case.golden, lambda role, _, e=expr: "" if role == "constructor" else e)
        answers.append(DoNothing(label, quiet))
        if has_constructor:
            everywhere = _with_bodies(case.golden, lambda _, __, e=expr: e)
            answers.append(DoNothing(f"{label} (constructor too)", everywhere))
    return answers


def passed_tests(expected: Iterable[str], compiled: CompileResult) -> list[str]:
    """The expected tests an answer passed, by name."""
    t = compiled.tests
    if not compiled.ok or t is None or not t.bound:
        return []
    failed = {f.name for f in t.failures}
    return [name for name in expected if name not in failed]


def _record(case: Case, dependencies: tuple[tuple[str, str], ...]) -> Path:
    key: list[object] = [case.kind, case.golden, case.tests, list(dependencies)]
    if case.test_runner is not None:
        key.append(case.test_runner)
    h = hashlib.sha256(json.dumps(key).encode())
    return cache_dir() / "discrimination" / f"{h.hexdigest()[:32]}.json"


def recorded(case: Case, dependencies: tuple[tuple[str, str], ...] = ()) -> Discrimination | None:
    """The case's discrimination as last computed for this golden and tests, or None."""
    try:
        data = json.loads(_record(case, dependencies).read_text())
        return Discrimination(tuple(data["expected"]), dict(data["passed_by"]), tuple(data["faults"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


async def discriminate(
    case: Case, compiler: Compiler, dependencies: tuple[tuple[str, str], ...] = ()
) -> Discrimination:
    """Compile the case's do-nothing answers with its tests; which tests they pass."""
    expected = expected_tests(case.tests or "")
    if not case.tests:
        return Discrimination(expected, {})
    cairo = case.cairo

    async def run(answers: list[DoNothing]) -> list[tuple[DoNothing, CompileResult]]:
        results = await asyncio.gather(
            *(
                compiler.acompile(a.code, case.kind, case.tests, dependencies, cairo, case.test_runner)
                for a in answers
            )
        )
        return list(zip(answers, results, strict=True))

    results = await run(do_nothing_answers(case))
    if results[0][1].status == "crash" or not results[0][1].ok:
        # defaults that do not compile (or that crash the compiler, as `Default::default()` of an
        # `Array<Array<i64>>` alias does in Cairo 2.16): functions of unknown types panic instead
        results[0:1] = await run(do_nothing_answers(case, unknown_panics=True)[:1])
    retried = await run([a for a, compiled in results if compiled.fault])  # once: faults are never cached
    again = {a.label: compiled for a, compiled in retried}
    passed_by: dict[str, str] = {}
    faults = []
    for answer, compiled in results:
        compiled = again.get(answer.label, compiled)
        if compiled.fault:  # twice: it passes nothing (the Cairo compiler itself panics on a few)
            faults.append(answer.label)
            continue
        for name in passed_tests(expected, compiled):
            passed_by.setdefault(name, answer.label)
    found = Discrimination(expected, passed_by, tuple(faults))
    path = _record(case, dependencies)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{id(found)}.tmp")
    tmp.write_text(json.dumps({"expected": expected, "passed_by": passed_by, "faults": faults}))
    tmp.replace(path)
    return found
