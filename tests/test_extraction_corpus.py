"""The extraction corpus: answers in the shapes models write them, each with its expected
reading and verdict, scored for real on the native compiler.

Every answer here is a FIXED TEXT written for this test in the shapes we see models produce
(prose around code, several blocks, drafts, usage examples, other languages, CRLF, no fence …).
A right answer in any of these shapes must score as the bare golden does; a wrong one keeps its
verdict whatever shape it comes in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from harness.cairo import Compiler
from harness.judge import HeuristicJudge
from harness.metric import CaseResult, Scorer
from harness.suite import load_suites

pytestmark = pytest.mark.native

SUITES = {s.name: s for s in load_suites()}
BASICS, CONTRACTS = SUITES["cairo-basics"], SUITES["starknet-contracts"]
FACTORIAL = next(c for c in BASICS.cases if c.id == "checked-factorial")
COUNTER = next(c for c in CONTRACTS.cases if c.id == "owned-counter")
G = FACTORIAL.golden.strip()
FACT, POW = G.split("\n\n/// `base`")
POW = "/// `base`" + POW
STUB = (
    "pub fn checked_factorial(n: u8) -> Option<u64> {\n    Option::None\n}\n\n"
    "pub fn checked_pow(base: u32, exp: u32) -> Option<u32> {\n    Option::None\n}"
)
BUGGY_POW = POW.replace("remaining -= 1;", "remaining -= 1;\n        result += 0;").replace(
    "let mut result: u32 = 1;", "let mut result: u32 = 0;"
)
INTERFACE, CONTRACT = COUNTER.golden.strip().split("\n\n#[starknet::contract]")
CONTRACT = "use starknet::ContractAddress;\n\n#[starknet::contract]" + CONTRACT
INTERFACE = INTERFACE.replace("use starknet::ContractAddress;\n\n", "use starknet::ContractAddress;\n")
NO_CHECK = COUNTER.golden.replace(
    "            assert(get_caller_address() == self.owner.read(), 'Caller is not the owner');\n", ""
)
RUST = """fn checked_factorial(n: u8) -> Option<u64> {
    (1..=n as u64).try_fold(1u64, |acc, x| acc.checked_mul(x))
}

fn checked_pow(base: u32, exp: u32) -> Option<u32> {
    base.checked_pow(exp)
}"""
OWN_TESTS = """#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn t() {
        assert!(checked_factorial(3) == Option::Some(6));
    }
}"""
INTEGRATION_TESTS = """// tests/test_lib.cairo
use factorial::checked_factorial;
#[test]
fn t() {
    assert!(checked_factorial(1).is_some());
}"""
TOML = '[package]\nname = "factorial"\nversion = "0.1.0"\nedition = "2024_07"\n'
SNFORGE_TESTS = """use snforge_std::{declare, ContractClassTrait, DeclareResultTrait};

#[test]
fn test_increase() {
    let contract = declare("OwnedCounter").unwrap().contract_class();
    let (address, _) = contract.deploy(@array![0x123]).unwrap();
}"""

# (case, shape, answer text, expected tier, a text the scored code must contain or None)
CORPUS: list[tuple[str, str, str, str, str | None]] = [
    ("f", "bare cairo block", f"```cairo\n{G}\n```", "passes", None),
    (
        "f",
        "prose around the block",
        f"Sure! Here's how:\n\n```cairo\n{G}\n```\n\nThis never panics.",
        "passes",
        None,
    ),
    (
        "f",
        "CRLF line endings",
        f"Here:\r\n```cairo\r\n{G}\r\n```\r\n".replace("\n", "\r\n").replace("\r\r", "\r"),
        "passes",
        None,
    ),
    ("f", "CR line endings", f"Here:\n```cairo\n{G}\n```\n".replace("\n", "\r"), "passes", None),
    ("f", "cairo1 fence", f"```cairo1\n{G}\n```", "passes", None),
    ("f", "Cairo fence, capitalised", f"```Cairo\n{G}\n```", "passes", None),
    ("f", "rust label", f"```rust\n{G}\n```", "passes", None),
    ("f", "rs label", f"```rs\n{G}\n```", "passes", None),
    ("f", "unlabelled fence", f"```\n{G}\n```", "passes", None),
    ("f", "tilde fence", f"~~~cairo\n{G}\n~~~", "passes", None),
    ("f", "four-backtick fence", f"````cairo\n{G}\n````", "passes", None),
    (
        "f",
        "fence indented in a list",
        "1. The code:\n\n   ```cairo\n"
        + "\n".join("   " + ln if ln else "" for ln in G.split("\n"))
        + "\n   ```\n2. Build it.",
        "passes",
        None,
    ),
    (
        "f",
        "no fence, code inside prose",
        f"Sure, here you go.\n\n{G}\n\nBoth use checked_mul.",
        "passes",
        None,
    ),
    (
        "f",
        "markdown-indented block",
        "Here it is:\n\n" + "\n".join("    " + ln if ln else "" for ln in G.split("\n")) + "\n\nDone.",
        "passes",
        None,
    ),
    (
        "f",
        "golden + usage statements",
        f"```cairo\n{G}\n```\nUsage:\n```cairo\nlet x = checked_factorial(5).unwrap();\n```",
        "passes",
        None,
    ),
    (
        "f",
        "golden + usage fn main",
        f"```cairo\n{G}\n```\n```cairo\nfn main() {{\n    let x = checked_pow(2, 3).unwrap();\n}}\n```",
        "passes",
        None,
    ),
    (
        "f",
        "a stub draft, then the corrected version",
        f"Draft:\n```cairo\n{STUB}\n```\nOops, the corrected version:\n```cairo\n{G}\n```",
        "passes",
        None,
    ),
    (
        "f",
        "a buggy draft, then the fixed function only",
        f"```cairo\n{FACT}\n\n{BUGGY_POW}\n```\nFix for `checked_pow`:\n```cairo\n{POW}\n```",
        "passes",
        "let mut result: u32 = 1;",
    ),
    (
        "f",
        "golden + Rust comparison, both labelled rust",
        f"```rust\n{G}\n```\nIn Rust you would write:\n```rust\n{RUST}\n```",
        "passes",
        None,
    ),
    (
        "f",
        "golden + its own test module",
        f"```cairo\n{G}\n```\n```cairo\n{OWN_TESTS}\n```",
        "passes",
        None,
    ),
    (
        "f",
        "src/lib.cairo and tests blocks",
        f"```cairo\n// src/lib.cairo\n{G}\n```\n```cairo\n{INTEGRATION_TESTS}\n```",
        "passes",
        None,
    ),
    (
        "f",
        "diff-style reply",
        "```diff\n--- /dev/null\n+++ b/src/lib.cairo\n@@ -0,0 +1 @@\n"
        + "".join(f"+{ln}\n" for ln in G.split("\n"))
        + "```",
        "passes",
        None,
    ),
    ("f", "truncated after the code (unclosed fence)", f"```cairo\n{G}\n", "passes", None),
    (
        "f",
        "one block per function",
        f"First:\n```cairo\n{FACT}\n```\nThen:\n```cairo\n{POW}\n```",
        "passes",
        None,
    ),
    (
        "f",
        "golden + Scarb.toml + shell",
        f"```toml\n{TOML}```\n```cairo\n{G}\n```\n```bash\nscarb build\n```",
        "passes",
        None,
    ),
    # wrong answers keep their verdict in any shape
    ("f", "stub", f"```cairo\n{STUB}\n```", "fails-tests", None),
    (
        "f",
        "the golden, then a stub as the final version",
        f"```cairo\n{G}\n```\nSimpler final version:\n```cairo\n{STUB}\n```",
        "fails-tests",
        "Option::None\n}",
    ),
    ("f", "prose only", "You would use checked_mul in a loop and return None on overflow.", "no-code", None),
    ("f", "real Rust", f"```rust\n{RUST}\n```", "does-not-compile", None),
    ("f", "a syntax error", f"```cairo\n{G[:-2]}\n```", "does-not-compile", None),
    ("f", "usage only", "```cairo\nlet x = checked_factorial(5).unwrap();\n```", "no-code", None),
    ("f", "one function missing", f"```cairo\n{FACT}\n```", "unbound", None),
    # contracts
    (
        "c",
        "interface block + contract block",
        f"The interface:\n```cairo\n{INTERFACE}\n```\nThe contract:\n```cairo\n{CONTRACT}\n```",
        "passes",
        None,
    ),
    (
        "c",
        "contract + Scarb.toml + snforge tests",
        f"```toml\n{TOML}```\n```cairo\n{COUNTER.golden}```\nTests:\n```cairo\n{SNFORGE_TESTS}\n```",
        "passes",
        None,
    ),
    (
        "c",
        "access check deleted, in a CRLF answer",
        f"```cairo\n{NO_CHECK}```".replace("\n", "\r\n"),
        "passes-some",
        None,
    ),
]


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CaseResult]]:
    cases = {"f": (FACTORIAL, BASICS), "c": (COUNTER, CONTRACTS)}

    async def go(compiler: Compiler) -> dict[str, CaseResult]:
        out = {}
        for key, shape, text, _, _ in CORPUS:
            case, suite = cases[key]
            out[shape] = await Scorer(compiler, HeuristicJudge(), suite.dependencies).ascore(
                case, text, suite.scoring
            )
        return out

    with Compiler("native", timeout=180, cache_root=tmp_path_factory.mktemp("compile")) as compiler:
        yield asyncio.run(go(compiler))


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30 and len({shape for _, shape, *_ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("key,shape,text,tier,contains", CORPUS, ids=[c[1] for c in CORPUS])
def test_each_shape_gets_its_reading_and_verdict(
    scored: dict[str, CaseResult], key: str, shape: str, text: str, tier: str, contains: str | None
) -> None:
    r = scored[shape]
    assert r.status == "ok" and r.tier == tier, (shape, r.tier, r.feedback)
    if contains is not None:
        assert r.code is not None and contains in r.code, (shape, r.code)
    if tier == "passes":
        golden = next(s for s in scored.values() if s is scored["bare cairo block"]) if key == "f" else None
        if golden is not None:
            assert r.score == golden.score, (shape, r.score, golden.score, r.feedback)
