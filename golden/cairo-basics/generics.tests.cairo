#[cfg(test)]
mod tests {
    use super::{Pair, largest, swap, count_occurrences};

    #[test]
    fn largest_over_several_types() {
        assert_eq!(largest(array![3_u8, 9, 2].span()), Option::Some(9_u8));
        assert_eq!(largest(array![-5_i32, -2, -9].span()), Option::Some(-2_i32));
        let big: u256 = 0x100000000000000000000000000000000;
        assert_eq!(largest(array![1_u256, big, 7_u256].span()), Option::Some(big));
        let empty: Array<u64> = array![];
        assert_eq!(largest(empty.span()), Option::None);
    }

    #[test]
    fn swap_pairs() {
        assert_eq!(swap(Pair { first: 1_u16, second: 2_u16 }), Pair { first: 2_u16, second: 1_u16 });
        let p: Pair<felt252> = Pair { first: 'left', second: 'right' };
        let s = swap(p);
        assert_eq!(s.first, 'right');
        assert_eq!(s.second, 'left');
        assert_eq!(swap(swap(p)), p);
    }

    #[test]
    fn count_generic() {
        assert_eq!(count_occurrences(array!['a', 'b', 'a', 'c'].span(), 'a'), 2);
        assert_eq!(count_occurrences(array![1_u128, 2, 3].span(), 4), 0);
        assert_eq!(count_occurrences(array![true, true, false].span(), true), 2);
        let empty: Array<u8> = array![];
        assert_eq!(count_occurrences(empty.span(), 0), 0);
    }
}
