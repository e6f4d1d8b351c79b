#[cfg(test)]
mod tests {
    use super::{Vec2, Vec2Trait};

    #[test]
    fn operators() {
        let a = Vec2Trait::new(1, 2);
        let b = Vec2 { x: -4, y: 6 };
        assert_eq!(a + b, Vec2 { x: -3, y: 8 });
        assert_eq!(a - b, Vec2 { x: 5, y: -4 });
        assert_eq!(-a, Vec2 { x: -1, y: -2 });
        assert_eq!(a + b - b, a);
    }

    #[test]
    fn products() {
        let a = Vec2Trait::new(3, -2);
        assert_eq!(a.dot(Vec2Trait::new(4, 5)), 2);
        assert_eq!(a.scale(-3), Vec2 { x: -9, y: 6 });
    }

    #[test]
    fn manhattan_distance() {
        assert_eq!(Vec2Trait::new(-3, 4).manhattan(), 7);
        assert_eq!(Vec2Trait::new(0, 0).manhattan(), 0);
        let extreme = Vec2Trait::new(-9223372036854775808, 9223372036854775807);
        assert_eq!(extreme.manhattan(), 18446744073709551615);
    }
}
