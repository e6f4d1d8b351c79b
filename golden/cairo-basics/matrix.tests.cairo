#[cfg(test)]
mod tests {
    use super::{Matrix, identity, multiply, transpose};

    #[test]
    fn identities() {
        assert_eq!(identity(2), array![array![1, 0], array![0, 1]]);
        assert_eq!(identity(0), array![]);
    }

    #[test]
    fn transposes() {
        let m: Matrix = array![array![1, 2, 3], array![4, 5, 6]];
        assert_eq!(transpose(@m), array![array![1, 4], array![2, 5], array![3, 6]]);
        let empty: Matrix = array![];
        assert_eq!(transpose(@empty), array![]);
    }

    #[test]
    fn multiplies() {
        let a: Matrix = array![array![1, 2], array![3, 4]];
        let b: Matrix = array![array![5, -6, 7], array![8, 9, -10]];
        assert_eq!(multiply(@a, @b), Option::Some(array![array![21, 12, -13], array![47, 18, -19]]));
        assert_eq!(multiply(@a, @identity(2)), Option::Some(array![array![1, 2], array![3, 4]]));
        assert_eq!(multiply(@b, @a), Option::None);
    }
}
