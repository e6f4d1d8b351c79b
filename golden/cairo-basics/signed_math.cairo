/// |a - b| as an unsigned number: it cannot overflow, even for the extreme `i64` values.
pub fn abs_diff(a: i64, b: i64) -> u64 {
    let difference: i128 = a.into() - b.into();
    let magnitude = if difference < 0 {
        -difference
    } else {
        difference
    };
    magnitude.try_into().unwrap()
}

/// The integer mean of `a` and `b`, rounded toward negative infinity, without overflow.
pub fn floor_mean(a: i64, b: i64) -> i64 {
    let sum: i128 = a.into() + b.into();
    let mut mean = sum / 2; // rounds toward zero
    if sum < 0 && sum % 2 != 0 {
        mean -= 1;
    }
    mean.try_into().unwrap()
}

/// The sign of `value`: -1, 0 or 1.
pub fn signum(value: i32) -> i8 {
    if value < 0 {
        -1
    } else if value > 0 {
        1
    } else {
        0
    }
}

/// `value + delta`, None when the result leaves the `i16` range.
pub fn checked_shift(value: i16, delta: i32) -> Option<i16> {
    let result: i32 = value.into() + delta;
    result.try_into()
}
