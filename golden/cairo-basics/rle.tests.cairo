#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn encodes_runs() {
        assert_eq!(encode(@"aaabcc"), "3a1b2c");
        assert_eq!(encode(@""), "");
        assert_eq!(encode(@"z"), "1z");
        assert_eq!(encode(@"aaaaaaaaaaaa"), "9a3a");
    }

    #[test]
    fn decodes() {
        assert_eq!(decode(@"3a1b2c"), Option::Some("aaabcc"));
        assert_eq!(decode(@""), Option::Some(""));
        assert_eq!(decode(@"3a1"), Option::None);
        assert_eq!(decode(@"0a"), Option::None);
        assert_eq!(decode(@"xa"), Option::None);
    }

    #[test]
    fn round_trip_over_31_bytes() {
        let text: ByteArray = "wwwwwwwwwwwwbbbxxxxxxxxxxxxxxxxxxxxxxxxxxxyz  !!";
        assert_eq!(decode(@encode(@text)), Option::Some(text));
    }
}
