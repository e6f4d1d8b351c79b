#[cfg(test)]
mod tests {
    use super::{merge_sort, merge_sorted};

    #[test]
    fn merges() {
        assert_eq!(merge_sorted(array![1, 4, 9].span(), array![2, 3, 10, 11].span()), array![1, 2, 3, 4, 9, 10, 11]);
        assert_eq!(merge_sorted(array![].span(), array![5].span()), array![5]);
        assert_eq!(merge_sorted(array![2, 2].span(), array![2].span()), array![2, 2, 2]);
    }

    #[test]
    fn sorts() {
        assert_eq!(merge_sort(array![5, 1, 4, 2, 3].span()), array![1, 2, 3, 4, 5]);
        assert_eq!(merge_sort(array![3, 3, 1, 0, 3].span()), array![0, 1, 3, 3, 3]);
        assert_eq!(merge_sort(array![].span()), array![]);
        assert_eq!(merge_sort(array![42].span()), array![42]);
    }

    #[test]
    fn sorts_a_reversed_run() {
        let mut values = array![];
        for i in 0..40_u32 {
            values.append(40 - i);
        }
        let sorted = merge_sort(values.span());
        assert_eq!(sorted.len(), 40);
        for i in 0..40_u32 {
            assert_eq!(*sorted[i], i + 1);
        }
    }
}
