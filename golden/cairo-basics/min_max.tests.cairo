#[cfg(test)]
mod tests {
    use super::{clamp, count_above, min_max};

    #[test]
    fn min_max_of_several_types() {
        assert_eq!(min_max(array![3_u8, 9, 1, 7].span()), Option::Some((1, 9)));
        assert_eq!(min_max(array![5_u256].span()), Option::Some((5, 5)));
        assert_eq!(min_max(array![-4_i32, 10, -20].span()), Option::Some((-20, 10)));
        let empty: Array<u64> = array![];
        assert_eq!(min_max(empty.span()), Option::None);
    }

    #[test]
    fn clamps() {
        assert_eq!(clamp(15_u32, 0, 10), 10);
        assert_eq!(clamp(-3_i64, -2, 2), -2);
        assert_eq!(clamp(7_u128, 5, 9), 7);
    }

    #[test]
    fn counts_above() {
        assert_eq!(count_above(array![1_u16, 5, 6, 10].span(), 5), 2);
        assert_eq!(count_above(array![-1_i8, 0, 1].span(), -1), 2);
        let empty: Array<u8> = array![];
        assert_eq!(count_above(empty.span(), 0), 0);
    }
}
