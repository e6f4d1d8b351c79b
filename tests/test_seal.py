"""Reading Cairo text (masking, items, test functions, build configuration) and sealing a case's
tests. Pure text: the compile tests (test_native_backend.py, test_adversarial.py) run the results."""

from __future__ import annotations

from harness import cairotext
from harness.cairo.seal import MARKER_PREFIX, seal
from harness.cairotext import build_configuration, mask, strip, walk

CODE = """use core::num::traits::CheckedAdd; // a comment with "quotes" and 'q
/// doc comment naming fn ghost()
pub fn add(a: u8, b: u8) -> Option<u8> {
    let s = "// not a comment { not a brace";
    let t = 'a \\' quote';
    a.checked_add(b)
}

#[cfg(test)]
mod tests {
    use super::add;

    #[test]
    fn adds() {
        assert_eq!(add(1, 2), Option::Some(3));
    }

    mod nested {
        #[test]
        #[ignore]
        fn skipped() {}

        #[test]
        #[should_panic(expected: ('x',))]
        fn panics() {
            panic!("x");
        }
    }
}
"""


def test_mask_blanks_comments_and_literals_and_keeps_offsets_and_lines() -> None:
    masked = mask(CODE)
    assert len(masked) == len(CODE) and masked.count("\n") == CODE.count("\n")
    assert "ghost" not in masked and "not a brace" not in masked and "quote" not in masked
    assert "pub fn add" in masked and masked.count("{") == masked.count("}")
    assert "ghost" not in strip(CODE) and "fn add" in strip(CODE)


def test_items_and_test_functions_at_any_depth() -> None:
    found = [(path, item.kind, item.name) for path, item in walk(CODE)]
    assert ((), "fn", "add") in found and (("tests",), "fn", "adds") in found
    assert (("tests", "nested"), "fn", "panics") in found
    tests = cairotext.test_functions(CODE)
    assert [(t.path, t.ignored) for t in tests] == [
        ("tests::adds", False),
        ("tests::nested::skipped", True),
        ("tests::nested::panics", False),
    ]
    assert tests[0].line == CODE.splitlines().index("    fn adds() {") + 1


def test_build_configuration_removes_test_only_items_and_keeps_lines() -> None:
    code = (
        "#[cfg(not(test))]\nfn real() -> u8 {\n    1\n}\n"
        "#[cfg(test)]\nfn real() -> u8 {\n    2\n}\n"
        "#[cfg(target: 'test')]\nfn helper() {}\n"
        "#[cfg(feature: 'x')]\nfn featured() {}\n"
        "mod m {\n    #[cfg(test)]\n    fn inner() {}\n}\n"
    )
    built, removed = build_configuration(code)
    assert built.count("\n") == code.count("\n")
    assert "fn real() -> u8 {\n    1" in built and "    2" not in built
    assert "cfg(not(test))" not in built and "fn helper" not in built
    assert "#[cfg(feature: 'x')]\nfn featured" in built  # not about tests: the compiler's business
    assert removed == ["fn real", "fn helper", "m::fn inner"]


def test_wrapped_seal_puts_the_tests_under_a_fresh_marker_and_maps_lines_back() -> None:
    answer = "pub fn add(a: u8, b: u8) -> u8 {\n    a + b\n}\n"
    tests = (
        "#[cfg(test)]\nmod test {\n    use super::*;\n    #[test]\n    fn t() {}\n}\n#[test]\nfn bare() {}\n"
    )
    first, second = seal(answer, tests), seal(answer, tests)
    assert first.marker and first.marker.startswith(MARKER_PREFIX) and first.marker != second.marker
    assert first.expected == ("test::t", "bare")
    assert first.source.startswith(answer) and f"mod {first.marker} {{ use super::*;" in first.source
    line_of_t = first.source.splitlines().index("    fn t() {}") + 1
    assert first.locate(line_of_t) == ("tests.cairo", tests.splitlines().index("    fn t() {}") + 1)
    assert first.locate(2) == ("lib.cairo", 2)
    assert first.own(f"cairo_evals::{first.marker}::test::t") == "test::t"
    assert first.own("cairo_evals::test::t") is None  # not the case's: the answer's own
    assert first.own(f"cairo_evals::{second.marker}::test::t") is None


def test_renamed_seal_for_compilers_without_glob_imports() -> None:
    tests = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n#[test]\nfn bare() {}\n"
    sealed = seal("fn f() {}\n", tests, wrap=False)
    marker = sealed.marker
    assert f"mod tests__{marker} {{" in sealed.source and f"fn bare__{marker}()" in sealed.source
    assert sealed.source.count("\n") == "fn f() {}\n".count("\n") + tests.count("\n")
    assert sealed.own(f"cairo_evals::tests__{marker}::t") == "tests::t"
    assert sealed.own(f"cairo_evals::bare__{marker}") == "bare"


def test_the_answers_test_only_items_are_removed_and_said() -> None:
    answer = "fn f() -> u8 {\n    1\n}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn mine() {}\n}\n"
    sealed = seal(answer, None)
    assert "fn mine" not in sealed.source and sealed.marker is None
    assert sealed.notes and "mod tests" in sealed.notes[0]
