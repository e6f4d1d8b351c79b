#[cfg(test)]
mod tests {
    use super::{MathError, average, checked_add, checked_div};

    const MAX: u64 = 0xffffffffffffffff;

    #[test]
    fn checked_operations() {
        assert_eq!(checked_add(2, 3), Result::Ok(5));
        assert_eq!(checked_add(MAX, 0), Result::Ok(MAX));
        assert_eq!(checked_add(MAX, 1), Result::Err(MathError::Overflow));
        assert_eq!(checked_div(7, 2), Result::Ok(3));
        assert_eq!(checked_div(7, 0), Result::Err(MathError::DivisionByZero));
    }

    #[test]
    fn averages() {
        assert_eq!(average(array![1, 2, 3, 4].span()), Result::Ok(2));
        assert_eq!(average(array![10].span()), Result::Ok(10));
        assert_eq!(average(array![MAX, 0].span()), Result::Ok(MAX / 2));
    }

    #[test]
    fn errors_propagate() {
        assert_eq!(average(array![].span()), Result::Err(MathError::DivisionByZero));
        assert_eq!(average(array![MAX, 1, 0].span()), Result::Err(MathError::Overflow));
    }
}
