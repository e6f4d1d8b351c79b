"""The documentation sources a chunk can belong to, and what each one covers.

The names are what `ingest` stores in `documents.source` (from a file's front-matter `source:`,
else its folder) and what the pipeline's query processor may pick from. A corpus of your own may
use other names; these are the ones the shipped corpus uses and the pipeline offers by default.
"""

from __future__ import annotations

SOURCES: dict[str, str] = {
    "cairo-book": "the Cairo language: types, integers, felt252, arrays and spans, structs, traits, "
    "generics, enums, match, Option/Result, loops, strings, ownership, testing",
    "starknet-docs": "Starknet contracts: interfaces, #[starknet::contract], storage and Map, events, "
    "constructors, access control, dispatchers, ERC20-style ledgers, contract testing",
    "corelib": "the core library API: integer and u256 methods (checked/wrapping arithmetic), "
    "ArrayTrait/SpanTrait, ByteArray, Option/Result helpers, the derivable traits",
    "pitfalls": "mistakes to avoid: Rust-isms (Vec, String, usize, &mut, println!), Cairo version "
    "gaps, and common compiler errors with their fixes",
}


def describe_sources(names: list[str] | None = None) -> str:
    """One line per source, `name: what it covers`, for prompts and field descriptions."""
    return "; ".join(f"{n}: {SOURCES.get(n, 'user corpus')}" for n in (names or list(SOURCES)))
