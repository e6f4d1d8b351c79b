#[cfg(test)]
mod tests {
    use super::two_sum;

    #[test]
    fn finds_a_pair() {
        assert_eq!(two_sum(array![2, 7, 11, 15].span(), 9), Option::Some((0, 1)));
        assert_eq!(two_sum(array![3, 2, 4].span(), 6), Option::Some((1, 2)));
        assert_eq!(two_sum(array![0, 5, 0].span(), 0), Option::Some((0, 2)));
    }

    #[test]
    fn an_element_is_not_used_twice() {
        assert_eq!(two_sum(array![3, 1].span(), 6), Option::None);
        assert_eq!(two_sum(array![3, 1, 3].span(), 6), Option::Some((0, 2)));
    }

    #[test]
    fn first_pair_by_second_index() {
        // (1, 2) completes at index 2, before (0, 3) at index 3
        assert_eq!(two_sum(array![1, 4, 6, 9].span(), 10), Option::Some((1, 2)));
        assert_eq!(two_sum(array![].span(), 1), Option::None);
        assert_eq!(two_sum(array![5, 20].span(), 3), Option::None);
    }
}
