#[cfg(test)]
mod tests {
    use super::{checked_factorial, checked_pow};

    #[test]
    fn factorial_small_values() {
        assert_eq!(checked_factorial(0), Option::Some(1));
        assert_eq!(checked_factorial(1), Option::Some(1));
        assert_eq!(checked_factorial(5), Option::Some(120));
        assert_eq!(checked_factorial(10), Option::Some(3628800));
    }

    #[test]
    fn factorial_overflow_boundary() {
        assert_eq!(checked_factorial(20), Option::Some(2432902008176640000));
        assert!(checked_factorial(21).is_none());
        assert!(checked_factorial(255).is_none());
    }

    #[test]
    fn pow_values_and_overflow() {
        assert_eq!(checked_pow(2, 10), Option::Some(1024));
        assert_eq!(checked_pow(7, 0), Option::Some(1));
        assert_eq!(checked_pow(0, 0), Option::Some(1));
        assert_eq!(checked_pow(0, 5), Option::Some(0));
        assert_eq!(checked_pow(2, 31), Option::Some(2147483648));
        assert!(checked_pow(2, 32).is_none());
        assert_eq!(checked_pow(3, 20), Option::Some(3486784401));
        assert!(checked_pow(3, 21).is_none());
        assert!(checked_pow(65536, 2).is_none());
    }
}
