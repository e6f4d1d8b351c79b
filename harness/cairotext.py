"""Reading Cairo source text without a Cairo parser: comments and literals masked, items found
by bracket matching.

Cairo's lexical structure makes this reliable enough for what the harness needs (finding the
test functions of a tests file, the items an answer declares, the `#[cfg(test)]` code an answer
carries): comments are only `//` to the end of the line, string literals are `"…"` (ByteArray)
or `'…'` (short strings, felt252) with backslash escapes, and there are no lifetimes or chars,
so a quote always opens a literal.

`mask(code)` blanks comment text and literal contents (same length, newlines kept), so every
offset found in the masked text is valid in the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}


def mask(code: str, literals: bool = True) -> str:
    """`code` with the text of comments and (unless `literals` is False) the contents of literals
    replaced by spaces.

    Quotes stay (so `""` marks where a literal was); newlines stay (so line numbers hold).
    """
    out = list(code)
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch == "/" and code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif ch in "\"'":
            # a short string ends at its line's end at the latest (an unclosed one is broken code)
            stops = {ch, "\n"} if ch == "'" else {ch}
            j = i + 1
            while j < n and code[j] not in stops:
                j += 2 if code[j] == "\\" else 1
            j = min(j, n)
            for k in range(i + 1, j if literals else i + 1):
                if out[k] != "\n":
                    out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def without_comments(code: str) -> str:
    """The code as a reader of code sees it: comments removed, literals kept, lines kept."""
    return re.sub(r"[ \t]+\n", "\n", mask(code, literals=False)).rstrip() + "\n"


def strip(code: str) -> str:
    """The code without comments and with literals emptied: what rules about code should read."""
    masked = mask(code)
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"\"\s*\"", '""', re.sub(r"'\s*'", "''", masked)))


@dataclass(frozen=True)
class Item:
    """One item (`fn`, `mod`, `use`, `struct`, `impl` …) with its attributes.

    Offsets index the text the item was found in: `start` is its first attribute (or its
    keyword), `end` is just past its closing `}` or `;`, and `body` the inside of its braces.
    """

    kind: str
    name: str | None
    start: int
    keyword: int
    end: int
    attrs: tuple[str, ...]
    body: tuple[int, int] | None

    def has_attr(self, pattern: str) -> bool:
        return any(re.fullmatch(pattern, a) for a in self.attrs)


_HEAD = re.compile(
    r"(?:pub(?:\s*\([^)]*\))?\s+)?(?:extern\s+)?(?:(?:const|unsafe)\s+)?"
    r"(?P<kind>fn|mod|use|struct|enum|trait|impl|const|type|macro|extern|let)\b\s*(?P<name>\w+)?"
)
_SEMICOLON_ITEMS = {"use", "const", "type", "let"}


def _match_bracket(masked: str, i: int) -> int:
    """Index just past the bracket that closes the one at `i` (or the end of the text)."""
    stack = [_OPEN[masked[i]]]
    j = i + 1
    while j < len(masked) and stack:
        ch = masked[j]
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch in _CLOSE:
            if ch == stack[-1]:
                stack.pop()
            else:  # unbalanced text: give up on this bracket here
                return j + 1
        j += 1
    return j


def items(code: str, start: int = 0, end: int | None = None, masked: str | None = None) -> list[Item]:
    """The items directly inside `code[start:end]` (a file, or a module's or impl's body)."""
    masked = mask(code) if masked is None else masked
    end = len(masked) if end is None else end
    found: list[Item] = []
    i = start
    while i < end:
        while i < end and masked[i] in " \t\r\n;":
            i += 1
        if i >= end:
            break
        first = i
        attrs: list[str] = []
        while masked.startswith("#[", i) or masked.startswith("#!", i):
            close = _match_bracket(masked, masked.index("[", i))
            attrs.append(" ".join(code[i:close].split()))
            i = close
            while i < end and masked[i] in " \t\r\n":
                i += 1
        head = _HEAD.match(masked, i)
        kind = head["kind"] if head else "other"
        name = head["name"] if head else None
        keyword = i
        body: tuple[int, int] | None = None
        j = i
        while j < end:
            ch = masked[j]
            if ch == ";" and (kind in _SEMICOLON_ITEMS or body is None):
                j += 1
                break
            if ch in "([":
                j = _match_bracket(masked, j)
                continue
            if ch == "{":
                close = _match_bracket(masked, j)
                if kind not in _SEMICOLON_ITEMS:
                    body = (j + 1, close - 1)
                    j = close
                    break
                j = close
                continue
            j += 1
        if j == keyword:  # a stray character: step over it
            j += 1
        found.append(Item(kind, name, first, keyword, min(j, end), tuple(attrs), body))
        i = j
    return found


def walk(code: str, masked: str | None = None) -> Iterator[tuple[tuple[str, ...], Item]]:
    """Every item with the path of the modules it sits in, descending into `mod { … }` bodies,
    and into `impl`/`trait` bodies (whose path part is `None`-named and not a module)."""
    masked = mask(code) if masked is None else masked

    def go(path: tuple[str, ...], start: int, end: int) -> Iterator[tuple[tuple[str, ...], Item]]:
        for item in items(code, start, end, masked):
            yield path, item
            if item.body is not None and item.kind == "mod" and item.name:
                yield from go((*path, item.name), *item.body)
            elif item.body is not None and item.kind in ("impl", "trait"):
                yield from go(path, *item.body)

    yield from go((), 0, len(masked))


TEST_ATTR = r"#\[\s*test\s*\]"
IGNORE_ATTR = r"#\[\s*ignore\s*\]"


@dataclass(frozen=True)
class TestFn:
    """A `#[test]` function of a tests file: its path from the file's root (`tests::it_works`)."""

    __test__ = False  # not a pytest class

    path: str
    line: int
    ignored: bool


def expected_tests(tests: str) -> tuple[str, ...]:
    """The tests a tests file expects to run and pass: its `#[test]` functions, `#[ignore]`d ones
    excepted, by path (`tests::it_works`)."""
    return tuple(t.path for t in test_functions(tests) if not t.ignored)


def test_functions(code: str) -> list[TestFn]:
    """Every `#[test]` function in `code`, in any module, at any depth, in order."""
    out = []
    for path, item in walk(code):
        if item.kind == "fn" and item.name and item.has_attr(TEST_ATTR):
            out.append(
                TestFn(
                    "::".join((*path, item.name)),
                    code.count("\n", 0, item.keyword) + 1,
                    item.has_attr(IGNORE_ATTR),
                )
            )
    return out


# -- `#[cfg(...)]` as `scarb build` sees it ---------------------------------------------------

_CFG = re.compile(r"#\[\s*cfg\s*\((?P<expr>.*)\)\s*\]", re.S)


def _cfg_value(expr: str) -> bool | None:
    """The value of a cfg expression in a build (not test) configuration, as Cairo evaluates it:
    `not(…)`, `and(…)`, `or(…)` (and Rust's `all`/`any`), with `test`, `target: 'test'`,
    `feature: '…'` and every other flag unset. None when it does not depend on `test` (then the
    harness leaves it to the compiler). An expression about `test` that does not parse counts as
    False: the item is left out of what is judged rather than let a test-only reading through."""
    if not re.search(r"\btest\b", expr):
        return None
    tokens = re.findall(r"\w+\s*:\s*(?:'[^']*'|\"[^\"]*\")|\w+|[(),]|\S", expr)
    pos = 0

    def parse() -> bool:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok in ("not", "and", "or", "all", "any"):
            if tokens[pos] != "(":
                raise ValueError(tok)
            pos += 1
            args = []
            while tokens[pos] != ")":
                if tokens[pos] == ",":
                    pos += 1
                    continue
                args.append(parse())
            pos += 1
            if tok == "not":
                if len(args) != 1:
                    raise ValueError(tok)
                return not args[0]
            return all(args) if tok in ("and", "all") else any(args)
        if not re.fullmatch(r"\w+(?:\s*:.*)?", tok):
            raise ValueError(tok)
        return False  # `test`, `target: 'test'`, `feature: 'x'` … are unset in a build

    try:
        value = parse()
    except (IndexError, ValueError):
        return False
    return value if pos == len(tokens) else False


def build_configuration(code: str) -> tuple[str, list[str]]:
    """`code` as a build sees it: items under a cfg that needs `test` removed, attributes that a
    build satisfies (`#[cfg(not(test))]`) dropped. Returns the code and what was removed.

    An answer is compiled together with the case's tests, in a test configuration. Without this,
    an answer could bring `#[cfg(test)]` versions of its functions that only the tests see, and its
    own test modules (often written for snforge) would decide whether it compiles.
    """
    masked = mask(code)
    edits: list[tuple[int, int, str]] = []
    removed: list[str] = []
    for path, item in walk(code, masked):
        for attr in item.attrs:
            m = _CFG.fullmatch(attr)
            if not m:
                continue
            value = _cfg_value(m["expr"])
            if value is False:
                edits.append((item.start, item.end, _blank(code[item.start : item.end])))
                what = f"{item.kind} {item.name}" if item.name else item.kind
                removed.append("::".join((*path, what)) if path else what)
                break
            if value is True:  # the build keeps the item: drop just this attribute
                k = item.start
                while k < item.keyword:
                    if masked.startswith("#[", k):
                        close = _match_bracket(masked, k + 1)
                        if " ".join(code[k:close].split()) == attr:
                            edits.append((k, close, _blank(code[k:close])))
                            break
                        k = close
                    else:
                        k += 1
    if not edits:
        return code, removed
    return splice(code, _outermost(edits)), removed


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with each non-overlapping span `[a, b)` replaced by its new text."""
    out, last = [], 0
    for a, b, new in sorted(edits):
        out += [text[last:a], new]
        last = b
    out.append(text[last:])
    return "".join(out)


def _blank(text: str) -> str:
    """Spaces for the text, newlines kept: later lines keep their numbers."""
    return re.sub(r"[^\n]", " ", text)


def _outermost(edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    for a, b, text in sorted(edits, key=lambda e: (e[0], -e[1])):
        if kept and a < kept[-1][1]:
            continue  # inside an item already removed
        kept.append((a, b, text))
    return kept
