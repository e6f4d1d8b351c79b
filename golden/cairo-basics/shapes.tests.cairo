#[cfg(test)]
mod tests {
    use super::{Rect, Square, Shape, RectTrait};

    #[test]
    fn area_and_perimeter() {
        let r = Rect { width: 3, height: 4 };
        assert_eq!(r.area(), 12);
        assert_eq!(r.perimeter(), 14);
        let s = Square { side: 5 };
        assert_eq!(s.area(), 25);
        assert_eq!(s.perimeter(), 20);
        assert_eq!(Shape::area(@Rect { width: 0, height: 7 }), 0);
    }

    #[test]
    fn no_u32_overflow() {
        let r = Rect { width: 0xffffffff, height: 0xffffffff };
        assert_eq!(r.area(), 0xfffffffe00000001);
        assert_eq!(r.perimeter(), 17179869180);
        let s = Square { side: 0xffffffff };
        assert_eq!(s.area(), 0xfffffffe00000001);
        assert_eq!(s.perimeter(), 17179869180);
    }

    #[test]
    fn rect_trait_methods() {
        let r = RectTrait::new(4, 3);
        assert_eq!(r, Rect { width: 4, height: 3 });
        assert!(!r.is_square());
        assert!(RectTrait::new(2, 2).is_square());
        assert!(r.can_hold(@Rect { width: 4, height: 3 }));
        assert!(r.can_hold(@Rect { width: 1, height: 2 }));
        assert!(!r.can_hold(@Rect { width: 3, height: 4 }));
    }
}
