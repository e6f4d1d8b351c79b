#[cfg(test)]
mod tests {
    use super::{felt_is_small, from_be_bytes, narrow, saturate_u8, to_be_bytes};

    #[test]
    fn saturates() {
        assert_eq!(saturate_u8(7), 7);
        assert_eq!(saturate_u8(255), 255);
        assert_eq!(saturate_u8(256), 255);
        assert_eq!(saturate_u8(0xffffffff), 255);
    }

    #[test]
    fn narrows_and_checks() {
        assert_eq!(narrow(12), Option::Some(12));
        assert_eq!(narrow(0xffffffffffffffffffffffffffffffff), Option::Some(0xffffffffffffffffffffffffffffffff));
        assert_eq!(narrow(0x100000000000000000000000000000000), Option::None);
        assert!(felt_is_small(42));
        assert!(!felt_is_small(0x100000000));
        assert!(!felt_is_small(-1));
    }

    #[test]
    fn bytes_round_trip() {
        assert_eq!(to_be_bytes(0x0102030405060708), array![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(to_be_bytes(0), array![0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(from_be_bytes(array![255, 255, 255, 255, 255, 255, 255, 255].span()), Option::Some(0xffffffffffffffff));
        assert_eq!(from_be_bytes(to_be_bytes(1234567890123).span()), Option::Some(1234567890123));
        assert_eq!(from_be_bytes(array![1, 2].span()), Option::None);
    }
}
