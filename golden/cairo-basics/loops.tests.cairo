#[cfg(test)]
mod tests {
    use super::{collatz_steps, sum_of_multiples, is_prime};

    #[test]
    fn collatz() {
        assert_eq!(collatz_steps(0), Option::None);
        assert_eq!(collatz_steps(1), Option::Some(0));
        assert_eq!(collatz_steps(2), Option::Some(1));
        assert_eq!(collatz_steps(6), Option::Some(8));
        assert_eq!(collatz_steps(27), Option::Some(111));
    }

    #[test]
    fn multiples_below_limit() {
        assert_eq!(sum_of_multiples(0), 0);
        assert_eq!(sum_of_multiples(3), 0);
        assert_eq!(sum_of_multiples(4), 3);
        assert_eq!(sum_of_multiples(10), 23);
        assert_eq!(sum_of_multiples(16), 60);
        assert_eq!(sum_of_multiples(1000), 233168);
    }

    #[test]
    fn primes() {
        assert!(!is_prime(0));
        assert!(!is_prime(1));
        assert!(is_prime(2));
        assert!(is_prime(3));
        assert!(!is_prime(4));
        assert!(!is_prime(25));
        assert!(!is_prime(49));
        assert!(is_prime(97));
        assert!(is_prime(7919));
        assert!(!is_prime(7917));
        assert!(!is_prime(65537 * 3));
        assert!(is_prime(65537));
    }
}
