#[cfg(test)]
mod tests {
    use super::{caesar, uncaesar};

    #[test]
    fn shifts_letters_and_keeps_the_rest() {
        assert_eq!(caesar(@"abc xyz", 3), "def abc");
        assert_eq!(caesar(@"Hello, World!", 13), "Uryyb, Jbeyq!");
        assert_eq!(caesar(@"Zz", 1), "Aa");
    }

    #[test]
    fn large_shifts_wrap_without_overflow() {
        assert_eq!(caesar(@"abc", 26), "abc");
        assert_eq!(caesar(@"abc", 255), "vwx"); // 255 % 26 = 21
        assert_eq!(caesar(@"xyz", 250), "nop"); // 250 % 26 = 16
    }

    #[test]
    fn round_trip() {
        let text: ByteArray = "Attack at dawn, said the 3rd legion of the Roman army.";
        assert_eq!(uncaesar(@caesar(@text, 7), 7), text);
        assert_eq!(uncaesar(@caesar(@text, 0), 0), text);
    }
}
