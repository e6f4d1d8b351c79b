#[cfg(test)]
mod tests {
    use super::{count_ones, is_power_of_two, next_power_of_two, with_bit};

    #[test]
    fn ones() {
        assert_eq!(count_ones(0), 0);
        assert_eq!(count_ones(0b1011), 3);
        assert_eq!(count_ones(0xffffffffffffffff), 64);
        assert_eq!(count_ones(0x8000000000000000), 1);
    }

    #[test]
    fn powers_of_two() {
        assert!(is_power_of_two(1));
        assert!(is_power_of_two(0x80000000000000000000000000000000));
        assert!(!is_power_of_two(0));
        assert!(!is_power_of_two(6));
        assert_eq!(next_power_of_two(0), Option::Some(1));
        assert_eq!(next_power_of_two(5), Option::Some(8));
        assert_eq!(next_power_of_two(64), Option::Some(64));
        assert_eq!(next_power_of_two(0x80000000), Option::Some(0x80000000));
        assert_eq!(next_power_of_two(0x80000001), Option::None);
    }

    #[test]
    fn bits() {
        assert_eq!(with_bit(0, 3, true), 8);
        assert_eq!(with_bit(0xff, 0, false), 0xfe);
        assert_eq!(with_bit(0, 31, true), 0x80000000);
        assert_eq!(with_bit(0x80000000, 31, false), 0);
        assert_eq!(with_bit(5, 40, true), 5);
    }
}
