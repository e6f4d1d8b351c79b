#[cfg(test)]
mod tests {
    use super::{abs_diff, checked_shift, floor_mean, signum};

    const MIN: i64 = -9223372036854775808;
    const MAX: i64 = 9223372036854775807;

    #[test]
    fn differences() {
        assert_eq!(abs_diff(3, 10), 7);
        assert_eq!(abs_diff(-5, 5), 10);
        assert_eq!(abs_diff(MIN, MAX), 18446744073709551615);
        assert_eq!(abs_diff(MAX, MIN), 18446744073709551615);
    }

    #[test]
    fn means_round_down() {
        assert_eq!(floor_mean(3, 4), 3);
        assert_eq!(floor_mean(-3, -4), -4);
        assert_eq!(floor_mean(-1, 0), -1);
        assert_eq!(floor_mean(MAX, MAX), MAX);
        assert_eq!(floor_mean(MIN, MAX), -1);
    }

    #[test]
    fn signs_and_ranges() {
        assert_eq!(signum(-40), -1);
        assert_eq!(signum(0), 0);
        assert_eq!(signum(7), 1);
        assert_eq!(checked_shift(100, -200), Option::Some(-100));
        assert_eq!(checked_shift(32767, 1), Option::None);
        assert_eq!(checked_shift(-32768, 0), Option::Some(-32768));
        assert_eq!(checked_shift(-32768, -1), Option::None);
    }
}
