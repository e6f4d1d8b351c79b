#[cfg(test)]
mod tests {
    use super::{dedup_consecutive, prefix_sums, index_of_max};

    #[test]
    fn dedup_collapses_runs_only() {
        assert_eq!(dedup_consecutive(array![1, 1, 2, 3, 3, 3, 4].span()), array![1, 2, 3, 4]);
        assert_eq!(dedup_consecutive(array![5, 5, 1, 5, 5].span()), array![5, 1, 5]);
        assert_eq!(dedup_consecutive(array![7].span()), array![7]);
        assert_eq!(dedup_consecutive(array![].span()), array![]);
    }

    #[test]
    fn prefix_sums_accumulate() {
        assert_eq!(prefix_sums(array![1, 2, 3, 4].span()), array![1, 3, 6, 10]);
        assert_eq!(prefix_sums(array![0, 0, 9].span()), array![0, 0, 9]);
        assert_eq!(prefix_sums(array![].span()), array![]);
    }

    #[test]
    fn index_of_max_first_occurrence() {
        assert_eq!(index_of_max(array![3, 9, 2, 9].span()), Option::Some(1));
        assert_eq!(index_of_max(array![4].span()), Option::Some(0));
        assert_eq!(index_of_max(array![1, 2, 3].span()), Option::Some(2));
        assert_eq!(index_of_max(array![].span()), Option::None);
    }
}
