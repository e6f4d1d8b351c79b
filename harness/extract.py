"""The extract stage: the Cairo program in a model's answer, read as a Cairo developer reads it.

The rules, in the order applied:

1. **Line endings** are normalised first (CRLF and CR become LF).
2. **Blocks.** Every fenced block (```` ``` ```` or `~~~`, indented or not, any fence length) whose
   info string is Cairo-ish: `cairo`, `cairo1`, `Cairo` … (anything starting with `cairo`),
   `rust`/`rs` (models often label Cairo as Rust), or none. Blocks in other languages (`toml`,
   `bash`, `json` …) are skipped, and so is an unlabelled block with no Cairo item in it (`fn`,
   `mod`, `use`, `struct`, `trait`, `impl`, `enum`, `const`, `#[` …). A `diff` block counts by its
   new side (`+` and context lines). An unclosed fence (a truncated answer) runs to the end. With
   no fence at all, markdown-indented blocks count, and else the runs of Cairo items in the text
   (prose before, between and after them is left out).
3. **Roles.** A block is left out of the program when it is
   - *tests*: it holds `#[test]` functions and declares nothing the query asked for (the case's
     own tests decide; an answer's tests never count);
   - *usage*: it declares nothing the query asked for and nothing another block declares, and uses
     what another block declares (`fn main() { let x = checked_factorial(5).unwrap(); }`), or it
     is bare statements (`let x = …;`) rather than items;
   - *a Rust comparison*: it looks like Rust (`std::`, `String`, `Vec<`, `&mut`, `impl … for …`)
     or is labelled `rust` while another block is labelled `cairo`.
4. **One program.** The remaining blocks are merged item by item, in order: a later definition
   of the same item (`fn f`, `mod m`, `struct S` …) replaces the earlier one, so "a first draft,
   then the corrected version" scores the correction, "here is the fixed function" patches the
   file, and an interface block plus a contract block make one file. Identical `use` lines are
   kept once.
5. **Candidates.** That merge is the preferred reading; the others (all Cairo-ish blocks merged,
   then each block alone, last first) are alternatives. The metric stage compiles the preferred
   one with the case's tests and, only when it does not compile or lacks an item the query named,
   takes the first alternative that declares those items and compiles (test results never
   choose). The feedback says which blocks were scored and why.

No Cairo at all is "no Cairo code found" (`Extraction.code is None`), which scores 0.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from .cairotext import TEST_ATTR, items, mask, strip

FENCE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n"
    r"(?P<body>.*?)(?:^[ \t]*(?P=fence)[`~]*[ \t]*$|\Z)",
    re.M | re.S,
)
RUST_LABELS = {"rust", "rs"}
DIFF_LABELS = {"diff", "patch"}
CAIRO_ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:fn|mod|use|struct|trait|impl|enum|const|type)\b|^\s*#\[", re.M
)
ITEM_KINDS = {"fn", "mod", "use", "struct", "enum", "trait", "impl", "const", "type"}
RUSTY = re.compile(
    r"\bstd::|&\s*str\b|&\s*mut\s|\bString\b|\bVec\s*<|\bvec!|\bprintln!\s*\(\s*\"\{|"
    r"\bimpl(?:<[^>]*>)?\s+\w+(?:<[^>]*>)?\s+for\s+\w+"
)
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
NO_CODE = "no Cairo code found in the answer"
UNFENCED = "unfenced"
MAX_CANDIDATES = 6


@dataclass(frozen=True)
class Block:
    """One piece of code in the answer: `index` counts from 1 in the answer's order."""

    index: int
    lang: str
    code: str


@dataclass(frozen=True)
class Candidate:
    """One reading of the answer as a program: its code, the blocks it is made of, and why."""

    code: str
    blocks: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class Extraction:
    """`code` is the preferred reading (None when the answer has no Cairo); `candidates` holds it
    first, then the alternatives the metric stage may fall back to; `blocks` counts the blocks in
    the preferred reading; `note` says what was scored and what was left out."""

    code: str | None
    blocks: int = 0
    note: str = ""
    candidates: tuple[Candidate, ...] = ()


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lang(info: str) -> str:
    word = info.strip().split(maxsplit=1)[0].lower() if info.strip() else ""
    word = word.strip("{}.,;:")
    return "cairo" if word.startswith("cairo") else word


def _diff_new_side(body: str) -> str:
    out = []
    for line in body.split("\n"):
        if line.startswith(("+++", "---", "@@", "diff ", "index ")):
            continue
        if line.startswith("+") or line.startswith(" "):
            out.append(line[1:])
        elif not line.startswith("-"):
            out.append(line)
    return "\n".join(out)


def _fenced_blocks(text: str) -> tuple[list[tuple[str, str]], bool]:
    """(lang, code) of each Cairo-ish fenced block, and whether the text has any fence at all."""
    found, any_fence = [], False
    for m in FENCE.finditer(text):
        any_fence = True
        lang, body = _lang(m["info"]), textwrap.dedent(m["body"])
        if lang in DIFF_LABELS:
            body = _diff_new_side(body)
        elif lang not in RUST_LABELS and lang not in ("cairo", ""):
            continue
        body = body.strip("\n").rstrip()
        if body.strip() and (lang not in ("", *DIFF_LABELS) or CAIRO_ITEM.search(body)):
            found.append((lang, body))
    return found, any_fence


def _indented_blocks(text: str) -> list[str]:
    """Markdown code blocks by indentation (4 spaces or a tab after a blank line)."""
    out, current, prev_blank = [], [], True
    for line in text.split("\n"):
        indented = line.startswith(("    ", "\t"))
        if (indented and (current or prev_blank)) or (current and not line.strip()):
            current.append(line)
        else:
            if current:
                out.append(textwrap.dedent("\n".join(current)).strip("\n"))
            current = []
        prev_blank = not line.strip()
    if current:
        out.append(textwrap.dedent("\n".join(current)).strip("\n"))
    return [b for b in out if CAIRO_ITEM.search(b)]


def _item_runs(text: str) -> list[str]:
    """Unfenced code: each run of Cairo items in prose, from a line that starts an item to the end
    of the last item before the prose resumes."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if CAIRO_ITEM.match(line) and not line[:1].isspace()]
    runs: list[str] = []
    pos = 0
    for start in starts:
        offset = sum(len(x) + 1 for x in lines[:start])
        if offset < pos:
            continue
        rest = text[offset:]
        kept_end = 0
        for item in items(rest):
            if item.kind not in ITEM_KINDS:
                break
            kept_end = item.end
        if kept_end:
            runs.append(rest[:kept_end].rstrip())
            pos = offset + kept_end
    return runs


def blocks_of(answer: str) -> list[Block]:
    """The answer's code blocks in order (rules 1 and 2)."""
    text = normalise(answer)
    fenced, any_fence = _fenced_blocks(text)
    if fenced:
        return [Block(i + 1, lang, code) for i, (lang, code) in enumerate(fenced)]
    if any_fence:
        return []
    loose = _indented_blocks(text) or _item_runs(text)
    return [Block(i + 1, UNFENCED, code) for i, code in enumerate(loose)]


@dataclass(frozen=True)
class _Parsed:
    block: Block
    pieces: tuple[tuple[tuple[str, str], str], ...]  # ((kind, name or use text), text) per item
    declared: frozenset[str]
    statements: bool  # has text that is not an item (`let x = …;`)
    tests_only: bool
    rusty: bool
    uses: frozenset[str]


def _parse(block: Block) -> _Parsed:
    code = block.code
    masked = mask(code)
    pieces: list[tuple[tuple[str, str], str]] = []
    declared: set[str] = set()
    statements = False
    only_tests = True
    last = 0
    for item in items(code, masked=masked):
        text = code[last : item.end]
        last = item.end
        if item.kind not in ITEM_KINDS:
            statements = True
            continue
        if item.kind == "use":
            key = ("use", " ".join(code[item.keyword : item.end].split()))
        else:
            key = (item.kind, item.name or "")
            if item.name:
                declared.add(item.name)
        pieces.append((key, text.strip("\n")))
        body = code[item.start : item.end]
        is_test = bool(re.search(TEST_ATTR, body))
        is_test |= any("cfg(test)" in a.replace(" ", "") for a in item.attrs)
        if item.kind not in ("use",) and not is_test:
            only_tests = False
    stripped = strip(code)
    return _Parsed(
        block,
        tuple(pieces),
        frozenset(declared),
        statements,
        only_tests and bool(re.search(TEST_ATTR, code)),
        bool(RUSTY.search(stripped)),
        frozenset(IDENT.findall(stripped)),
    )


def merge(parts: Iterable[_Parsed]) -> str:
    """The blocks as one file: a later definition of an item replaces the earlier one in place."""
    order: list[tuple[str, str]] = []
    text: dict[tuple[str, str], str] = {}
    for part in parts:
        for key, piece in part.pieces:
            if key not in text:
                order.append(key)
            text[key] = piece
    return "\n\n".join(text[k] for k in order).strip("\n") + "\n"


def _names(indices: Iterable[int]) -> str:
    ids = list(indices)
    return ("block " if len(ids) == 1 else "blocks ") + "+".join(str(i) for i in ids)


def extract_cairo(answer: str, required: Iterable[str] = ()) -> Extraction:
    """The answer's program (rules in the module docstring); `required` names the items the query
    asked for (they tell code from usage examples)."""
    required = frozenset(required)
    blocks = blocks_of(answer)
    if not blocks:
        return Extraction(None, 0, NO_CODE)
    parsed = [_parse(b) for b in blocks]
    cairo_labelled = any(p.block.lang == "cairo" for p in parsed)
    primary: list[_Parsed] = []
    dropped: list[str] = []
    for p in parsed:
        others = [q for q in parsed if q is not p]
        declared_elsewhere = frozenset().union(*(q.declared for q in others)) if others else frozenset()
        i = p.block.index
        if not p.pieces:
            dropped.append(f"block {i} (statements, not items: a usage example)")
        elif p.tests_only and not (p.declared & required):
            dropped.append(f"block {i} (tests: only the case's own tests count)")
        elif (
            not (p.declared & required)
            and not (p.declared & declared_elsewhere)
            and (p.uses & declared_elsewhere or p.statements)
        ):
            dropped.append(f"block {i} (a usage example: it only uses what the other blocks declare)")
        elif len(parsed) > 1 and (p.rusty or (cairo_labelled and p.block.lang in RUST_LABELS)):
            dropped.append(f"block {i} (`{p.block.lang or 'unlabelled'}`: looks like a Rust comparison)")
        else:
            primary.append(p)
    if not primary:  # nothing but snippets: read them all as the program, and let the compiler say
        primary = [p for p in parsed if p.pieces] or parsed
        dropped = []
    superseded = [
        p.block.index
        for k, p in enumerate(primary)
        if p.declared and any(p.declared <= q.declared for q in primary[k + 1 :])
    ]
    primary = [p for p in primary if p.block.index not in superseded]
    candidates: list[Candidate] = []

    def add(code: str, ids: tuple[int, ...], why: str) -> None:
        if code.strip() and all(c.code != code for c in candidates):
            candidates.append(Candidate(code, ids, why))

    ids = tuple(p.block.index for p in primary)
    if len(primary) == 1:
        add(primary[0].block.code.rstrip() + "\n", ids, f"scored {_names(ids)}")
    else:
        how = "merged, later definitions replacing earlier ones"
        add(merge(primary), ids, f"scored {_names(ids)} ({how})")
    code_blocks = [p for p in parsed if p.pieces]
    all_ids = tuple(p.block.index for p in code_blocks)
    if all_ids != ids and len(code_blocks) > 1:
        add(merge(code_blocks), all_ids, f"scored {_names(all_ids)} merged")
    for p in reversed(primary + [q for q in code_blocks if q not in primary]):
        add(p.block.code.rstrip() + "\n", (p.block.index,), f"scored block {p.block.index} alone")
    candidates = candidates[:MAX_CANDIDATES]
    notes = [candidates[0].why] if len(blocks) > 1 else []
    if blocks[0].lang == UNFENCED:
        notes.insert(0, "no fenced block: the code was read from the text")
    if superseded:
        notes.append(f"{_names(superseded)} superseded by a later full version")
    if dropped:
        notes.append("left out " + "; ".join(dropped))
    first = candidates[0]
    return Extraction(first.code, len(first.blocks), "; ".join(notes), tuple(candidates))


def chosen(extraction: Extraction, candidate: Candidate, why: str) -> Extraction:
    """`extraction` with `candidate` as the scored reading, and why it was preferred."""
    note = f"{candidate.why}: {why}"
    return Extraction(candidate.code, len(candidate.blocks), note, extraction.candidates)
