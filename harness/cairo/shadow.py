"""What an answer may not do to the case's tests: redefine the language they are written in.

The sealed tests see the answer's items through `use super::*`, and a glob import beats Cairo's
prelude. So an answer that declares its own `assert`, `Option` or `PartialEq` implementation, or
writes by hand the dispatcher that `#[starknet::interface]` generates, changes what the tests
check. Measured on the native Cairo 2.16 compiler (tests/test_adversarial.py): a root `fn assert`,
one imported from the answer's own module (`use evil::assert;`, `use evil::*;`) and an own
`Option` with its own `is_none` all win over the prelude inside the tests; an impl of a core trait
for a core type (`impl of PartialEq<u64>`, `of Add<u64>`) is an ambiguity error instead, and user
macros are disabled in the answer's crate.

The rules (each refusal names the item and why):

- **Language names.** The answer's crate root may not bind a name of Cairo's prelude or of the
  `core`/`starknet` roots (`assert`, `Option`, `Some`, `PartialEq`, `u64`, `ContractAddress`,
  `get_caller_address` …) to anything but that item itself: not by declaring it, not by
  importing something else under it (`use my::thing as assert`), not through a glob of its own
  modules. `use core::option::Option;` and `use starknet::ContractAddress;` are fine.
- **Generated items.** `…Dispatcher`, `…DispatcherTrait`, `…SafeDispatcher`, `…LibraryDispatcher`
  (and their `Safe`/`Trait`/`Impl` forms) are what `#[starknet::interface]` generates; written by
  hand anywhere in the answer they are refused.
- **Equality.** When the tests compare values (`==`, `!=`, `assert_eq!`, `assert_ne!`), the answer's
  types must `#[derive(PartialEq)]`: a hand-written `impl … of PartialEq<…>` is refused, since it
  could answer "equal" to anything.

A refused answer is still compiled (alone): if it compiles, the case's tests are reported as
unable to bind to it (tier `unbound`), with the refusal as the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..cairotext import build_configuration, items, mask, walk

# Cairo 2.16.0's prelude (corelib/src/prelude/v2024_07.cairo) and the items at the roots of
# `core` (lib.cairo) and `starknet` (starknet.cairo) that code uses unqualified.
PRELUDE = frozenset(
    """Array ArrayTrait Span SpanTrait ToSpanTrait Box BoxTrait ByteArray ByteArrayTrait
    Bytes31Trait bytes31 Clone Felt252DictTrait i128 i16 i32 i64 i8 u128 u16 u256 u32 u64 u8
    FromIterator IntoIterator Iterator Nullable NullableTrait Deref Option None Some OptionTrait
    Panic PanicResult panic Result Err Ok ResultTrait Serde starknet System Add Copy Default
    Destruct Div DivRem Drop Felt252DictValue Into Mul Neg Not PanicDestruct PartialEq PartialOrd
    Rem Sub TryInto NonZero assert bool felt252 usize""".split()  # noqa: SIM905
)
CORE_ROOT = frozenset(
    """core never panic_with_felt252 panic_with_const_felt252 felt252_div RangeCheck
    SegmentArena""".split()  # noqa: SIM905
)
STARKNET_ROOT = frozenset(
    """StorageAddress Store ContractAddress contract_address_const EthAddress ClassHash
    ExecutionInfo ResourcesBounds TxInfo BlockInfo get_block_info get_block_number
    get_block_timestamp get_caller_address get_contract_address get_execution_info get_tx_info
    Event AccountContract SyscallResult SyscallResultTrait VALIDATED""".split()  # noqa: SIM905
)
LANGUAGE = PRELUDE | CORE_ROOT | STARKNET_ROOT
LANGUAGE_ROOTS = ("core", "starknet")
GENERATED = re.compile(r"^\w+?(?:Safe)?(?:Library)?Dispatcher(?:Trait|Impl)?$")
COMPARES = re.compile(r"==|!=|\bassert_eq!|\bassert_ne!")
PARTIAL_EQ_IMPL = re.compile(r"\bimpl\b[^{;]*?\bof\s+(?:core\s*::\s*traits\s*::\s*)?PartialEq\s*<")
DECLARING = {"fn", "struct", "enum", "trait", "impl", "mod", "const", "type"}


def use_bindings(text: str) -> Iterator[tuple[str, str]]:
    """(path, bound name) for each name a `use` item binds; a glob binds `*`.

    `use a::b::{c, d as e, f::{g, *}};` -> (a::b::c, c), (a::b::d, e), (a::b::f::g, g), (a::b::f, *).
    """
    body = re.sub(r"^\s*(?:pub(?:\s*\([^)]*\))?\s+)?use\s+", "", " ".join(text.split())).rstrip(";").strip()

    def expand(prefix: str, tree: str) -> Iterator[tuple[str, str]]:
        tree = tree.strip()
        if not tree:
            return
        if tree.endswith("}") and "{" in tree:
            head, inner = tree[: tree.index("{")], tree[tree.index("{") + 1 : -1]
            base = (prefix + head).rstrip(": ")
            depth, part = 0, ""
            for ch in inner + ",":
                if ch == "," and depth == 0:
                    yield from expand(base + "::", part)
                    part = ""
                    continue
                depth += (ch == "{") - (ch == "}")
                part += ch
            return
        path, _, alias = (prefix + tree).partition(" as ")
        path = re.sub(r"\s+", "", path)
        if path.endswith("::*"):
            yield path[:-3], "*"
        elif path.endswith("::self"):
            yield path[:-6], alias.strip() or path[:-6].split("::")[-1]
        else:
            yield path, alias.strip() or path.split("::")[-1]

    yield from expand("", body)


def _root_bindings(code: str, masked: str, start: int, end: int, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(name, what binds it) for every name visible at a module's root (the answer's crate root
    at depth 0), following globs of the answer's own modules."""
    modules = {}
    for item in items(code, start, end, masked):
        if item.kind == "mod" and item.name and item.body:
            modules[item.name] = item.body
        if item.kind in DECLARING and item.name:
            yield item.name, f"its own `{item.kind} {item.name}`"
        elif item.kind == "use":
            for path, name in use_bindings(code[item.keyword : item.end]):
                first = path.split("::")[0]
                if name == "*":
                    target = path.split("::")[-1]
                    local = first in ("self", "crate", target) or path in modules
                    if depth < 4 and local and target in modules:
                        yield from _root_bindings(code, masked, *modules[target], depth + 1)
                    continue
                if first in LANGUAGE_ROOTS and path.split("::")[-1] == name:
                    continue  # the language's own item, imported under its own name
                yield name, f"`use {path}{'' if path.endswith('::' + name) else ' as ' + name}`"


def refusals(answer: str, tests: str) -> list[str]:
    """Why the case's tests may not be run against `answer` (as a build sees it); empty when they may."""
    code, _ = build_configuration(answer)
    masked = mask(code)
    out: list[str] = []
    seen: set[str] = set()
    for name, how in _root_bindings(code, masked, 0, len(code)):
        if name in LANGUAGE and name not in seen:
            seen.add(name)
            out.append(f"it rebinds `{name}`, a name of Cairo's core library that the tests use, with {how}")
    for _, item in walk(code, masked):
        generated = item.kind in ("struct", "trait", "impl", "fn") and GENERATED.match(item.name or "")
        if generated and item.name not in seen:
            seen.add(item.name or "")
            out.append(
                f"it writes `{item.name}` by hand: dispatchers are generated by "
                "`#[starknet::interface]`, and the tests call the contract through them"
            )
    if COMPARES.search(mask(tests)):
        for m in PARTIAL_EQ_IMPL.finditer(masked):
            head = " ".join(code[m.start() : m.end()].split())
            out.append(
                f"it implements equality by hand (`{head}…>`) and the tests compare values: "
                "derive it with `#[derive(PartialEq)]`"
            )
    return out
