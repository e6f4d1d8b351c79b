#[derive(Copy, Drop, PartialEq, Debug)]
pub struct Rect {
    pub width: u32,
    pub height: u32,
}

#[derive(Copy, Drop, PartialEq, Debug)]
pub struct Square {
    pub side: u32,
}

pub trait Shape<T> {
    fn area(self: @T) -> u64;
    fn perimeter(self: @T) -> u64;
}

impl RectShape of Shape<Rect> {
    fn area(self: @Rect) -> u64 {
        let w: u64 = (*self.width).into();
        let h: u64 = (*self.height).into();
        w * h
    }

    fn perimeter(self: @Rect) -> u64 {
        let w: u64 = (*self.width).into();
        let h: u64 = (*self.height).into();
        2 * (w + h)
    }
}

impl SquareShape of Shape<Square> {
    fn area(self: @Square) -> u64 {
        let s: u64 = (*self.side).into();
        s * s
    }

    fn perimeter(self: @Square) -> u64 {
        let s: u64 = (*self.side).into();
        4 * s
    }
}

#[generate_trait]
pub impl RectImpl of RectTrait {
    fn new(width: u32, height: u32) -> Rect {
        Rect { width, height }
    }

    fn is_square(self: @Rect) -> bool {
        *self.width == *self.height
    }

    fn can_hold(self: @Rect, other: @Rect) -> bool {
        *self.width >= *other.width && *self.height >= *other.height
    }
}
