"""The extract stage's documented rule, one behaviour per test."""

from harness.extract import NO_CODE, extract_cairo


def test_single_cairo_block_is_the_code() -> None:
    got = extract_cairo("Sure!\n```cairo\nfn main() {}\n```\nThis prints nothing.")
    assert got.code == "fn main() {}\n" and got.blocks == 1


def test_rust_and_bare_fences_count_other_languages_do_not() -> None:
    answer = (
        "```rust\nfn a() {}\n```\n"
        "```toml\n[package]\nname = 'x'\n```\n"
        "```\nfn b() {}\n```\n"
        "```bash\nscarb build\n```\n"
    )
    assert extract_cairo(answer).code == "fn a() {}\n\nfn b() {}\n"


def test_bare_block_without_cairo_items_is_skipped() -> None:
    got = extract_cairo("Run:\n```\n$ scarb build\n```")
    assert got.code is None and got.note == NO_CODE


def test_snippet_contained_in_the_full_file_is_dropped() -> None:
    answer = (
        "The key function:\n```cairo\nfn a() {}\n```\nFull file:\n```cairo\nuse x;\nfn a() {}\nfn b() {}\n```"
    )
    got = extract_cairo(answer)
    assert got.code == "use x;\nfn a() {}\nfn b() {}\n" and got.blocks == 1


def test_exact_repeats_are_kept_once() -> None:
    assert extract_cairo("```cairo\nfn a() {}\n```\nagain\n```cairo\nfn a() {}\n```").code == "fn a() {}\n"


def test_unclosed_fence_runs_to_the_end() -> None:
    assert extract_cairo("```cairo\nfn a() {\n    1\n").code == "fn a() {\n    1\n"


def test_unfenced_answer_that_starts_like_cairo_is_code() -> None:
    got = extract_cairo("#[starknet::contract]\nmod C {}\n")
    assert got.code == "#[starknet::contract]\nmod C {}\n" and "no fenced block" in got.note


def test_prose_only_is_no_code() -> None:
    got = extract_cairo("I cannot write that contract, but here is how you would approach it.")
    assert got.code is None and got.blocks == 0


def test_tilde_fences_and_longer_backtick_fences() -> None:
    assert extract_cairo("~~~cairo\nfn a() {}\n~~~").code == "fn a() {}\n"
    assert extract_cairo("````cairo\nfn a() {}\n```inner\n````").code == "fn a() {}\n```inner\n"
