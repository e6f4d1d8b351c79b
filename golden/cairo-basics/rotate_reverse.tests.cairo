#[cfg(test)]
mod tests {
    use super::{is_symmetric, reversed, rotate_left};

    #[test]
    fn rotates() {
        assert_eq!(rotate_left(array![1, 2, 3, 4, 5].span(), 2), array![3, 4, 5, 1, 2]);
        assert_eq!(rotate_left(array![1, 2, 3].span(), 0), array![1, 2, 3]);
        assert_eq!(rotate_left(array![1, 2, 3].span(), 7), array![2, 3, 1]);
        assert_eq!(rotate_left(array![].span(), 3), array![]);
    }

    #[test]
    fn reverses() {
        assert_eq!(reversed(array!['a', 'b', 'c'].span()), array!['c', 'b', 'a']);
        assert_eq!(reversed(array![].span()), array![]);
        assert_eq!(reversed(array![7].span()), array![7]);
    }

    #[test]
    fn symmetry() {
        assert!(is_symmetric(array![1, 2, 3, 2, 1].span()));
        assert!(is_symmetric(array![4, 4].span()));
        assert!(is_symmetric(array![].span()));
        assert!(!is_symmetric(array![1, 2, 3, 1].span()));
        assert!(!is_symmetric(array![1, 2].span()));
    }
}
