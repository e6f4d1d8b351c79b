#[cfg(test)]
mod tests {
    use super::{binary_search, lower_bound};

    #[test]
    fn finds_present_values() {
        let values = array![2, 3, 5, 7, 11, 13, 17].span();
        assert_eq!(binary_search(values, 2), Option::Some(0));
        assert_eq!(binary_search(values, 11), Option::Some(4));
        assert_eq!(binary_search(values, 17), Option::Some(6));
    }

    #[test]
    fn absent_values() {
        let values = array![2, 3, 5, 7].span();
        assert_eq!(binary_search(values, 1), Option::None);
        assert_eq!(binary_search(values, 4), Option::None);
        assert_eq!(binary_search(values, 8), Option::None);
        assert_eq!(binary_search(array![].span(), 8), Option::None);
    }

    #[test]
    fn lower_bound_with_duplicates() {
        let values = array![1, 2, 2, 2, 5, 9].span();
        assert_eq!(lower_bound(values, 2), 1);
        assert_eq!(lower_bound(values, 3), 4);
        assert_eq!(lower_bound(values, 0), 0);
        assert_eq!(lower_bound(values, 10), 6);
        assert_eq!(lower_bound(array![].span(), 10), 0);
    }
}
