use core::num::traits::{CheckedAdd, CheckedMul};

#[derive(Copy, Drop, PartialEq, Debug)]
pub enum ParseError {
    Empty,
    InvalidDigit,
    Overflow,
}

/// Value of an ASCII decimal digit ('0'..='9'), or `None` for any other byte.
pub fn digit_value(byte: u8) -> Option<u8> {
    if byte >= '0' && byte <= '9' {
        Option::Some(byte - '0')
    } else {
        Option::None
    }
}

/// Parses ASCII decimal digits into a `u32`.
pub fn parse_u32(digits: Span<u8>) -> Result<u32, ParseError> {
    if digits.is_empty() {
        return Result::Err(ParseError::Empty);
    }
    let mut value: u32 = 0;
    let mut error: Option<ParseError> = Option::None;
    for byte in digits {
        let digit = match digit_value(*byte) {
            Option::Some(d) => d,
            Option::None => {
                error = Option::Some(ParseError::InvalidDigit);
                break;
            },
        };
        let next = match value.checked_mul(10) {
            Option::Some(v) => v.checked_add(digit.into()),
            Option::None => Option::None,
        };
        match next {
            Option::Some(v) => value = v,
            Option::None => {
                error = Option::Some(ParseError::Overflow);
                break;
            },
        }
    };
    match error {
        Option::Some(e) => Result::Err(e),
        Option::None => Result::Ok(value),
    }
}

/// Parses both numbers and adds them; any parse error or an overflowing sum is returned as `Err`.
pub fn parse_and_add(a: Span<u8>, b: Span<u8>) -> Result<u32, ParseError> {
    let x = parse_u32(a)?;
    let y = parse_u32(b)?;
    match x.checked_add(y) {
        Option::Some(sum) => Result::Ok(sum),
        Option::None => Result::Err(ParseError::Overflow),
    }
}
