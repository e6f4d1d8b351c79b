#[cfg(test)]
mod tests {
    use super::{ParseError, digit_value, parse_u32, parse_and_add};

    #[test]
    fn digit_values() {
        assert_eq!(digit_value('0'), Option::Some(0));
        assert_eq!(digit_value('7'), Option::Some(7));
        assert_eq!(digit_value('9'), Option::Some(9));
        assert_eq!(digit_value('a'), Option::None);
        assert_eq!(digit_value('/'), Option::None);
        assert_eq!(digit_value(':'), Option::None);
    }

    #[test]
    fn parse_ok_and_errors() {
        assert_eq!(parse_u32(array!['1', '2', '3'].span()), Result::Ok(123));
        assert_eq!(parse_u32(array!['0', '0', '7'].span()), Result::Ok(7));
        assert_eq!(parse_u32(array![].span()), Result::Err(ParseError::Empty));
        assert_eq!(parse_u32(array!['1', '2', 'a'].span()), Result::Err(ParseError::InvalidDigit));
        assert_eq!(parse_u32(array!['-', '1'].span()), Result::Err(ParseError::InvalidDigit));
    }

    #[test]
    fn parse_overflow_boundary() {
        let max = array!['4', '2', '9', '4', '9', '6', '7', '2', '9', '5'];
        assert_eq!(parse_u32(max.span()), Result::Ok(4294967295));
        let too_big = array!['4', '2', '9', '4', '9', '6', '7', '2', '9', '6'];
        assert_eq!(parse_u32(too_big.span()), Result::Err(ParseError::Overflow));
        let eleven = array!['1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'];
        assert_eq!(parse_u32(eleven.span()), Result::Err(ParseError::Overflow));
    }

    #[test]
    fn parse_and_add_propagates() {
        let four_billion = array!['4', '0', '0', '0', '0', '0', '0', '0', '0', '0'];
        let a = array!['2', '9', '4', '9', '6', '7', '2', '9', '5'];
        let b = array!['2', '9', '4', '9', '6', '7', '2', '9', '6'];
        assert_eq!(parse_and_add(four_billion.span(), a.span()), Result::Ok(4294967295));
        assert_eq!(parse_and_add(four_billion.span(), b.span()), Result::Err(ParseError::Overflow));
        assert_eq!(parse_and_add(array!['1'].span(), array!['x'].span()), Result::Err(ParseError::InvalidDigit));
        assert_eq!(parse_and_add(array![].span(), array!['1'].span()), Result::Err(ParseError::Empty));
        assert_eq!(parse_and_add(array!['4', '0'].span(), array!['2'].span()), Result::Ok(42));
    }
}
