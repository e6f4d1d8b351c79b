use core::num::traits::CheckedMul;

/// `n!` as a `u64`, or `None` when the result does not fit in a `u64`.
pub fn checked_factorial(n: u8) -> Option<u64> {
    let mut acc: u64 = 1;
    let mut overflowed = false;
    let mut i: u64 = 2;
    let n: u64 = n.into();
    while i <= n {
        match acc.checked_mul(i) {
            Option::Some(v) => acc = v,
            Option::None => {
                overflowed = true;
                break;
            },
        }
        i += 1;
    };
    if overflowed {
        Option::None
    } else {
        Option::Some(acc)
    }
}

/// `base` raised to `exp` as a `u32`, or `None` on overflow. `0^0` is 1.
pub fn checked_pow(base: u32, exp: u32) -> Option<u32> {
    let mut result: u32 = 1;
    let mut overflowed = false;
    let mut remaining = exp;
    while remaining != 0 {
        if base == 0 || base == 1 {
            // Avoid looping over huge exponents: the result is fixed.
            result = base;
            break;
        }
        match result.checked_mul(base) {
            Option::Some(v) => result = v,
            Option::None => {
                overflowed = true;
                break;
            },
        }
        remaining -= 1;
    };
    if overflowed {
        Option::None
    } else {
        Option::Some(result)
    }
}
