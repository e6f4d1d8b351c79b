/// `value` as a `u8`, saturating at 255.
pub fn saturate_u8(value: u32) -> u8 {
    match value.try_into() {
        Option::Some(small) => small,
        Option::None => 255,
    }
}

/// `value` as a `u128` when it fits.
pub fn narrow(value: u256) -> Option<u128> {
    value.try_into()
}

/// The 8 bytes of `value`, most significant first.
pub fn to_be_bytes(value: u64) -> Array<u8> {
    let mut bytes = array![];
    let mut shift: u64 = 0x100000000000000; // 256^7
    for _ in 0..8_u8 {
        let byte: u8 = ((value / shift) % 256).try_into().unwrap();
        bytes.append(byte);
        shift /= 256;
    }
    bytes
}

/// The `u64` whose big-endian bytes these are; None unless there are exactly 8.
pub fn from_be_bytes(bytes: Span<u8>) -> Option<u64> {
    if bytes.len() != 8 {
        return Option::None;
    }
    let mut value: u64 = 0;
    for byte in bytes {
        value = value * 256 + (*byte).into();
    }
    Option::Some(value)
}

/// `value` as a felt252 and back: a `felt252` is not ordered, so compare through `u256`.
pub fn felt_is_small(value: felt252) -> bool {
    let wide: u256 = value.into();
    wide < 0x100000000
}
