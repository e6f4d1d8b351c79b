#[derive(Drop, Copy, Debug, PartialEq)]
pub enum MathError {
    DivisionByZero,
    Overflow,
}

pub fn checked_add(a: u64, b: u64) -> Result<u64, MathError> {
    let sum: u128 = a.into() + b.into();
    sum.try_into().ok_or(MathError::Overflow)
}

pub fn checked_div(a: u64, b: u64) -> Result<u64, MathError> {
    if b == 0 {
        return Result::Err(MathError::DivisionByZero);
    }
    Result::Ok(a / b)
}

/// The mean of `values` rounded down: `DivisionByZero` when empty, `Overflow` when the sum does
/// not fit in a `u64`. Errors propagate with `?`.
pub fn average(values: Span<u64>) -> Result<u64, MathError> {
    let mut sum = 0;
    for value in values {
        sum = checked_add(sum, *value)?;
    }
    checked_div(sum, values.len().into())
}
