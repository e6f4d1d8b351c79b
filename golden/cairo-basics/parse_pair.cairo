use core::num::traits::{CheckedAdd, CheckedMul};

/// The decimal number in `text[start..end)`: None when the range is empty, holds a byte that is
/// not a digit, or the value does not fit in a `u32`.
pub fn parse_u32_range(text: @ByteArray, start: u32, end: u32) -> Option<u32> {
    if start >= end || end > text.len() {
        return Option::None;
    }
    let mut value: u32 = 0;
    for i in start..end {
        let byte = text[i];
        if byte < '0' || byte > '9' {
            return Option::None;
        }
        let digit: u32 = (byte - '0').into();
        value = value.checked_mul(10)?.checked_add(digit)?;
    }
    Option::Some(value)
}

/// Parses "x,y" (two decimal `u32`s separated by one comma, nothing else) with `?`.
pub fn parse_pair(text: @ByteArray) -> Option<(u32, u32)> {
    let comma = find_byte(text, ',')?;
    let x = parse_u32_range(text, 0, comma)?;
    let y = parse_u32_range(text, comma + 1, text.len())?;
    Option::Some((x, y))
}

/// The index of the first `byte` in `text`.
pub fn find_byte(text: @ByteArray, byte: u8) -> Option<u32> {
    let mut i = 0;
    while i < text.len() {
        if text[i] == byte {
            return Option::Some(i);
        }
        i += 1;
    }
    Option::None
}
