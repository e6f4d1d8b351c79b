#[cfg(test)]
mod tests {
    use super::{is_palindrome, to_upper};

    #[test]
    fn palindromes() {
        let racecar: ByteArray = "racecar";
        let mixed: ByteArray = "Never odd or eveN";
        let empty: ByteArray = "";
        assert!(is_palindrome(@racecar));
        assert!(is_palindrome(@"Abba"));
        assert!(is_palindrome(@empty));
        assert!(is_palindrome(@"x"));
        assert!(!is_palindrome(@mixed)); // spaces count
        assert!(!is_palindrome(@"ab"));
    }

    #[test]
    fn long_palindrome_over_31_bytes() {
        let text: ByteArray = "abcdefghijklmnopqrstuvwxyz0123456543210zyxwvutsrqponmlkjihgfedcba";
        assert!(is_palindrome(@text));
    }

    #[test]
    fn upper_case() {
        assert_eq!(to_upper(@"Hello, Cairo 2!"), "HELLO, CAIRO 2!");
        assert_eq!(to_upper(@""), "");
        let long: ByteArray = "the quick brown fox jumps over the lazy dog";
        assert_eq!(to_upper(@long), "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG");
    }
}
