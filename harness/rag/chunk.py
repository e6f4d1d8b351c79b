"""Split corpus files into chunks: Markdown by heading, Cairo by top-level item.

A chunk's `id` is the sha256 of its content, so the same text always has the same id and
re-ingesting unchanged files is a no-op. Its `source` comes from the file's front-matter
(`source: cairo-book`), or a `// source: name` comment heading a `.cairo` file, else the name
of the folder holding the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CORPUS = Path(__file__).parent / "corpus"
SUFFIXES = (".md", ".cairo")

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CAIRO_SOURCE = re.compile(r"^//\s*source:\s*([\w.-]+)\s*$")


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of the corpus.

    Attributes:
        id: sha256 (hex) of `content`.
        source: the documentation source it belongs to (see `harness.rag.sources`).
        title: where it comes from, e.g. `Events › Emitting`.
        content: the text that is embedded, stored and shown to the model.
        metadata: `file` (path relative to the ingest root), `kind`, and `part` for split sections.
    """

    id: str
    source: str
    title: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)


def make_chunk(source: str, title: str, content: str, **metadata: Any) -> Chunk:
    """A chunk whose id is the sha256 of `content`."""
    content = content.strip()
    return Chunk(hashlib.sha256(content.encode()).hexdigest(), source, title, content, metadata)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """`(front-matter mapping, body)`; an empty mapping when the text has no `---` header."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            meta = yaml.safe_load(text[4:end]) or {}
            if isinstance(meta, dict):
                return meta, text[end + 4 :].lstrip("\n")
    return {}, text


def _blocks(lines: list[str]) -> list[str]:
    """Paragraphs separated by blank lines; a fenced code block is never cut."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _pack(heading: str, blocks: list[str], max_chars: int, overlap: int) -> list[str]:
    """Greedily pack blocks into pieces of at most ~max_chars (a single larger block stays whole).
    Each piece after the first repeats the heading and starts with the previous piece's trailing
    blocks, up to `overlap` characters, so a thought cut at a boundary is seen whole once."""
    pieces: list[list[str]] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        if current and size + len(block) > max_chars:
            pieces.append(current)
            carry: list[str] = []
            carried = 0
            for prev in reversed(current):
                if prev == heading or carried + len(prev) > overlap:
                    break
                carry.insert(0, prev)
                carried += len(prev) + 2
            current = [heading, *carry] if heading else carry
            size = sum(len(b) + 2 for b in current)
        current.append(block)
        size += len(block) + 2
    if current:
        pieces.append(current)
    return ["\n\n".join(p) for p in pieces]


def chunk_markdown(
    text: str, *, file: str, source: str, max_chars: int = 1500, overlap: int = 200
) -> list[Chunk]:
    """Chunks of a Markdown document: one per heading section, long sections split with overlap.

    Args:
        text: the document, optionally with YAML front-matter (`source`, `title`).
        file: the path recorded in the metadata (and the title's fallback).
        source: the source when the front-matter names none.
        max_chars: the size cap of a chunk (a single paragraph or code block larger than this
            stays whole rather than being cut mid-code).
        overlap: characters of trailing paragraphs repeated at the start of the next piece.
    """
    meta, body = split_front_matter(text)
    source = str(meta.get("source") or source)
    doc_title = str(meta.get("title") or Path(file).stem.replace("_", " ").replace("-", " "))
    sections: list[tuple[list[str], list[str]]] = []  # (heading path, lines)
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m:
            sections.append(([t for _, t in path], lines))
            level = len(m.group(1))
            path = [(lv, t) for lv, t in path if lv < level] + [(level, m.group(2))]
            lines = [line]
        else:
            lines.append(line)
    sections.append(([t for _, t in path], lines))

    chunks: list[Chunk] = []
    for heading_path, section in sections:
        blocks = _blocks(section)
        heading = section[0] if section and _HEADING.match(section[0]) else ""
        if not [b for b in blocks if b != heading]:
            continue  # a heading with nothing under it
        titles = [t for t in heading_path if t != doc_title]
        title = " › ".join([doc_title, *titles])
        pieces = _pack(heading, blocks, max_chars, overlap)
        for i, piece in enumerate(pieces):
            extra = {"part": i + 1, "parts": len(pieces)} if len(pieces) > 1 else {}
            chunks.append(make_chunk(source, title, piece, file=file, kind="markdown", **extra))
    return chunks


def _code_only(line: str) -> str:
    """The line without comments and string / short-string literals (for counting braces)."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])*'", "''", line)
    return line.split("//", 1)[0]


def chunk_cairo(text: str, *, file: str, source: str) -> list[Chunk]:
    """Chunks of a Cairo file: one per top-level item (fn, struct, enum, trait, impl, mod, const).

    Doc comments, attributes and `use` lines above an item belong to it, so a chunk reads on its
    own. A `// source: name` first line overrides `source`.
    """
    lines = text.splitlines()
    if lines and (m := _CAIRO_SOURCE.match(lines[0].strip())):
        source = m.group(1)
        lines = lines[1:]
    chunks: list[Chunk] = []
    prefix: list[str] = []
    item: list[str] = []
    depth = 0
    for line in lines:
        code = _code_only(line).strip()
        if not item and depth == 0 and (not code or code.startswith("#[")):
            prefix.append(line)  # blank, comment or attribute line before an item
            continue
        item.append(line)
        depth += code.count("{") - code.count("}")
        if depth > 0 or not (code.endswith(";") or code.endswith("}")):
            continue
        head = _code_only(item[0]).strip()
        if re.match(r"(pub(\(\w+\))?\s+)?use\b", head):
            prefix.extend(item)  # imports travel with the next item
        else:
            signature = head.rstrip("{; ").strip()
            title = f"{Path(file).name}: {signature}"
            chunks.append(make_chunk(source, title, "\n".join(prefix + item), file=file, kind="cairo"))
            prefix = []
        item = []
    rest = "\n".join(prefix + item).strip()
    if _code_only(rest).strip():
        chunks.append(make_chunk(source, f"{Path(file).name}: (tail)", rest, file=file, kind="cairo"))
    return chunks


def corpus_files(path: Path) -> list[Path]:
    """The `.md` and `.cairo` files at `path` (a file, or a folder searched recursively), sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"corpus path not found: {path}")
    return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def load_chunks(path: Path | str | None = None, *, max_chars: int = 1500, overlap: int = 200) -> list[Chunk]:
    """Every chunk of the corpus at `path` (default: the shipped corpus), duplicates removed.

    Args:
        path: a file or folder of `.md` / `.cairo` files.
        max_chars: Markdown chunk size cap.
        overlap: Markdown overlap between the pieces of a long section.
    """
    root = Path(path) if path is not None else DEFAULT_CORPUS
    base = root if root.is_dir() else root.parent
    seen: dict[str, Chunk] = {}
    for file in corpus_files(root):
        rel = file.relative_to(base).as_posix()
        text = file.read_text(encoding="utf-8")
        folder = file.parent.name
        if file.suffix == ".md":
            found = chunk_markdown(text, file=rel, source=folder, max_chars=max_chars, overlap=overlap)
        else:
            found = chunk_cairo(text, file=rel, source=folder)
        for chunk in found:
            seen.setdefault(chunk.id, chunk)
    return list(seen.values())
