#[cfg(test)]
mod tests {
    use super::{distinct_count, most_frequent};

    #[test]
    fn counts_distinct_values() {
        assert_eq!(distinct_count(array!['a', 'b', 'a', 'c', 'b'].span()), 3);
        assert_eq!(distinct_count(array![0, 0, 0].span()), 1);
        assert_eq!(distinct_count(array![].span()), 0);
    }

    #[test]
    fn finds_the_most_frequent() {
        assert_eq!(most_frequent(array!['x', 'y', 'y', 'z', 'y', 'x'].span()), Option::Some('y'));
        assert_eq!(most_frequent(array![0, 5, 0].span()), Option::Some(0));
        assert_eq!(most_frequent(array![].span()), Option::None);
    }

    #[test]
    fn ties_go_to_the_first_to_reach_the_count() {
        // 'b' reaches 2 before 'a' does
        assert_eq!(most_frequent(array!['a', 'b', 'b', 'a'].span()), Option::Some('b'));
        assert_eq!(most_frequent(array![3, 1, 2].span()), Option::Some(3));
    }
}
