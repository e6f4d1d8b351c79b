#[cfg(test)]
mod tests {
    use super::{find_byte, parse_pair, parse_u32_range};

    #[test]
    fn ranges() {
        let text: ByteArray = "ab123cd";
        assert_eq!(parse_u32_range(@text, 2, 5), Option::Some(123));
        assert_eq!(parse_u32_range(@text, 1, 5), Option::None);
        assert_eq!(parse_u32_range(@text, 3, 3), Option::None);
        assert_eq!(parse_u32_range(@"4294967295", 0, 10), Option::Some(4294967295));
        assert_eq!(parse_u32_range(@"4294967296", 0, 10), Option::None);
    }

    #[test]
    fn pairs() {
        assert_eq!(parse_pair(@"12,34"), Option::Some((12, 34)));
        assert_eq!(parse_pair(@"0,0"), Option::Some((0, 0)));
        assert_eq!(parse_pair(@"7,"), Option::None);
        assert_eq!(parse_pair(@",7"), Option::None);
        assert_eq!(parse_pair(@"1;2"), Option::None);
        assert_eq!(parse_pair(@"1,2,3"), Option::None);
        assert_eq!(parse_pair(@"99999999999,1"), Option::None);
    }

    #[test]
    fn finds_bytes() {
        assert_eq!(find_byte(@"a,b,c", ','), Option::Some(1));
        assert_eq!(find_byte(@"abc", ','), Option::None);
    }
}
