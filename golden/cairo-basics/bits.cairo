/// The number of 1 bits in `value`.
pub fn count_ones(value: u64) -> u32 {
    let mut rest = value;
    let mut count = 0;
    while rest != 0 {
        rest = rest & (rest - 1); // clears the lowest set bit
        count += 1;
    }
    count
}

/// Whether `value` is a power of two (0 is not).
pub fn is_power_of_two(value: u128) -> bool {
    value != 0 && (value & (value - 1)) == 0
}

/// The smallest power of two greater than or equal to `value` (1 for 0), None when it does not
/// fit in a `u32`.
pub fn next_power_of_two(value: u32) -> Option<u32> {
    let mut power: u64 = 1;
    while power < value.into() {
        power *= 2;
    }
    power.try_into()
}

/// `value` with bit `index` (0 = least significant) set to `on`; an index from 32 on changes nothing.
pub fn with_bit(value: u32, index: u32, on: bool) -> u32 {
    if index >= 32 {
        return value;
    }
    let mut mask: u32 = 1;
    for _ in 0..index {
        mask *= 2;
    }
    if on {
        value | mask
    } else {
        value & ~mask
    }
}
