#[cfg(test)]
mod tests {
    use super::{FNV_OFFSET, fnv1a_32, fnv1a_text};

    #[test]
    fn empty_input_is_the_offset_basis() {
        assert_eq!(fnv1a_32(array![].span()), FNV_OFFSET);
        assert_eq!(fnv1a_text(@""), 0x811c9dc5);
    }

    #[test]
    fn known_vectors() {
        assert_eq!(fnv1a_text(@"a"), 0xe40c292c);
        assert_eq!(fnv1a_text(@"foobar"), 0xbf9cf968);
        assert_eq!(fnv1a_32(array![0].span()), 0x050c5d1f);
    }

    #[test]
    fn long_input_wraps_without_panicking() {
        let text: ByteArray = "The quick brown fox jumps over the lazy dog, again and again and again.";
        let first = fnv1a_text(@text);
        assert_eq!(first, fnv1a_text(@text));
        assert_ne!(first, fnv1a_text(@"The quick brown fox jumps over the lazy dog, again and again and again!"));
    }
}
