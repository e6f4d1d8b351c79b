"""What a piece of Cairo declares, read with regular expressions (no parser exists for Python).

Good enough to compare an answer with its golden reference item by item: functions, types,
traits, contract modules, storage fields, events, imports and the events it emits. Comments
and the contents of literals are removed first (`cairotext.strip`) so that names in them do
not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .cairotext import strip

FN = re.compile(r"\bfn\s+(\w+)")
STRUCT = re.compile(r"\bstruct\s+(\w+)")
ENUM = re.compile(r"\benum\s+(\w+)")
TRAIT = re.compile(r"\btrait\s+(\w+)")
IMPL = re.compile(r"\bimpl\s+(\w+)(?:<[^>]*>)?\s+of\s+([\w:]+)")
MOD = re.compile(r"\bmod\s+(\w+)")
USE = re.compile(r"\buse\s+([^;]+);")
EMIT = re.compile(r"\.emit\s*\(")
STORAGE = re.compile(r"#\[storage\]\s*struct\s+Storage\s*\{(?P<body>[^}]*)\}", re.S)
EVENT_ENUM = re.compile(r"#\[event\][^{]*?enum\s+Event\s*\{(?P<body>[^}]*)\}", re.S)
FIELD = re.compile(r"(?:^|,)\s*(?:#\[\w+\]\s*)*(?:pub\s+)?(\w+)\s*:", re.M)
VARIANT = re.compile(r"(?:^|,)\s*(?:#\[\w+\]\s*)*(\w+)\s*(?::|,|$)", re.M)


@dataclass(frozen=True)
class Items:
    functions: frozenset[str]
    types: frozenset[str]  # structs and enums
    traits: frozenset[str]
    modules: frozenset[str]
    storage: frozenset[str]
    events: frozenset[str]
    imports: frozenset[str]  # last segments of `use` paths
    emits: int

    def declared(self) -> frozenset[str]:
        return self.functions | self.types | self.traits | self.modules


def _imports(code: str) -> frozenset[str]:
    names = set()
    for path in USE.findall(code):
        for part in re.split(r"[{},\s]+", path):
            if part:
                names.add(part.split("::")[-1])
    return frozenset(n for n in names if n and n != "self")


def items(code: str) -> Items:
    code = strip(code)
    storage = STORAGE.search(code)
    events = EVENT_ENUM.search(code)
    return Items(
        functions=frozenset(FN.findall(code)),
        types=frozenset(STRUCT.findall(code) + ENUM.findall(code)),
        traits=frozenset(TRAIT.findall(code)) | frozenset(t.split("::")[-1] for _, t in IMPL.findall(code)),
        modules=frozenset(MOD.findall(code)) - {"tests"},
        storage=frozenset(FIELD.findall(storage["body"])) if storage else frozenset(),
        events=frozenset(VARIANT.findall(events["body"])) - {""} if events else frozenset(),
        imports=_imports(code),
        emits=len(EMIT.findall(code)),
    )


def required_names(query: str, golden: Items) -> frozenset[str]:
    """Golden items the query names (in backticks or not): the interface any answer must have."""
    words = set(re.findall(r"\w+", query))
    return frozenset(n for n in golden.declared() | golden.events if n in words)
