#[cfg(test)]
mod tests {
    use super::{all_below, pairwise_products, positions_of, sum_of_even_squares};

    #[test]
    fn even_squares() {
        assert_eq!(sum_of_even_squares(array![1, 2, 3, 4].span()), 20);
        assert_eq!(sum_of_even_squares(array![].span()), 0);
        assert_eq!(sum_of_even_squares(array![1, 3, 5].span()), 0);
        // 4294967294^2 does not fit in a u32
        assert_eq!(sum_of_even_squares(array![4294967294].span()), 18446744056529682436);
    }

    #[test]
    fn positions() {
        assert_eq!(positions_of(array!['a', 'b', 'a', 'c', 'a'].span(), 'a'), array![0, 2, 4]);
        assert_eq!(positions_of(array!['a'].span(), 'z'), array![]);
    }

    #[test]
    fn products_and_predicates() {
        assert_eq!(pairwise_products(array![1, 2, 3].span(), array![4, 5].span()), array![4, 10]);
        assert_eq!(pairwise_products(array![4000000000].span(), array![3].span()), array![12000000000]);
        assert!(all_below(array![1, 2, 3].span(), 4));
        assert!(!all_below(array![1, 5].span(), 4));
        assert!(all_below(array![].span(), 0));
    }
}
