#[derive(Copy, Drop, Debug, PartialEq)]
pub struct Vec2 {
    pub x: i64,
    pub y: i64,
}

impl Vec2Add of Add<Vec2> {
    fn add(lhs: Vec2, rhs: Vec2) -> Vec2 {
        Vec2 { x: lhs.x + rhs.x, y: lhs.y + rhs.y }
    }
}

impl Vec2Sub of Sub<Vec2> {
    fn sub(lhs: Vec2, rhs: Vec2) -> Vec2 {
        Vec2 { x: lhs.x - rhs.x, y: lhs.y - rhs.y }
    }
}

impl Vec2Neg of Neg<Vec2> {
    fn neg(a: Vec2) -> Vec2 {
        Vec2 { x: -a.x, y: -a.y }
    }
}

#[generate_trait]
pub impl Vec2Impl of Vec2Trait {
    fn new(x: i64, y: i64) -> Vec2 {
        Vec2 { x, y }
    }

    fn dot(self: Vec2, other: Vec2) -> i64 {
        self.x * other.x + self.y * other.y
    }

    fn scale(self: Vec2, factor: i64) -> Vec2 {
        Vec2 { x: self.x * factor, y: self.y * factor }
    }

    /// |x| + |y|, the distance along a grid.
    fn manhattan(self: Vec2) -> u64 {
        abs(self.x) + abs(self.y)
    }
}

fn abs(value: i64) -> u64 {
    if value < 0 {
        // -(i64::MIN) does not fit in an i64: negate through i128
        let positive: i128 = -(value.into());
        positive.try_into().unwrap()
    } else {
        value.try_into().unwrap()
    }
}
