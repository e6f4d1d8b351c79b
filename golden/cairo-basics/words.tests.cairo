#[cfg(test)]
mod tests {
    use super::{join, longest_word_len, split_words};

    #[test]
    fn splits_on_spaces() {
        let words = split_words(@"  the quick  brown fox ");
        assert_eq!(words.len(), 4);
        assert_eq!(words[0], @"the");
        assert_eq!(words[2], @"brown");
        assert_eq!(words[3], @"fox");
        assert_eq!(split_words(@"").len(), 0);
        assert_eq!(split_words(@"   ").len(), 0);
    }

    #[test]
    fn joins() {
        let words: Array<ByteArray> = array!["a", "bc", "def"];
        assert_eq!(join(words.span(), @", "), "a, bc, def");
        assert_eq!(join(array![].span(), @"-"), "");
        let one: Array<ByteArray> = array!["solo"];
        assert_eq!(join(one.span(), @"-"), "solo");
    }

    #[test]
    fn longest_word() {
        assert_eq!(longest_word_len(@"a starknet contract"), 8);
        assert_eq!(longest_word_len(@""), 0);
        let long: ByteArray = "x supercalifragilisticexpialidociously y";
        assert_eq!(longest_word_len(@long), 36);
    }
}
