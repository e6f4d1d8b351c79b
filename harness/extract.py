"""The extract stage: the Cairo code in a model's answer text.

The rule, in the order applied:

1. Fenced blocks are the code. A block counts when its info string is `cairo`, `rust`/`rs`
   (models often label Cairo as Rust) or empty; blocks in other languages (`toml`, `bash`,
   `json` …) are skipped, and so is an unlabelled block that has no Cairo item in it
   (`fn`, `mod`, `use`, `struct`, `trait`, `impl`, `enum`, `#[` …). An unclosed fence (a
   truncated answer) runs to the end of the text.
2. Several blocks are joined in order, separated by a blank line, after dropping any block
   whose text appears inside another block (the usual "here is the function … and here is
   the full file" answer keeps only the full file) and exact repeats.
3. No fenced block at all: when the whole answer starts like Cairo (an item keyword or an
   attribute on its first non-blank line) it is taken as code; otherwise the outcome is
   "no Cairo code found" (`Extraction.code is None`), which scores 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
CAIRO_LANGS = {"cairo", "rust", "rs", ""}
CAIRO_ITEM = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:fn|mod|use|struct|trait|impl|enum|const|type)\b|^\s*#\[", re.M
)
NO_CODE = "no Cairo code found in the answer"


@dataclass(frozen=True)
class Extraction:
    """`code` is None when the answer has no Cairo; `blocks` counts the blocks used."""

    code: str | None
    blocks: int = 0
    note: str = ""


def extract_cairo(answer: str) -> Extraction:
    blocks = []
    for m in FENCE.finditer(answer):
        lang, body = m.group(2).lower(), m.group(3).strip("\n")
        if lang not in CAIRO_LANGS or not body.strip():
            continue
        if lang == "" and not CAIRO_ITEM.search(body):
            continue
        blocks.append(body.rstrip())
    if not blocks:
        if FENCE.search(answer) is None and CAIRO_ITEM.match(answer.lstrip("\n")):
            return Extraction(answer.strip() + "\n", 0, "no fenced block: the whole answer is code")
        return Extraction(None, 0, NO_CODE)
    kept: list[str] = []
    for i, block in enumerate(blocks):
        inside_other = any(j != i and block in other and block != other for j, other in enumerate(blocks))
        if inside_other or block in kept:
            continue
        kept.append(block)
    note = f"joined {len(kept)} blocks" if len(kept) > 1 else ""
    return Extraction("\n\n".join(kept) + "\n", len(kept), note)
