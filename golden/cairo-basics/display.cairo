use core::fmt::{Display, Error, Formatter};

#[derive(Copy, Drop, Debug, PartialEq)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[derive(Copy, Drop, Debug, PartialEq)]
pub enum Shape {
    Circle: (Point, u32),
    Segment: (Point, Point),
}

/// Prints as `(x, y)`.
pub impl PointDisplay of Display<Point> {
    fn fmt(self: @Point, ref f: Formatter) -> Result<(), Error> {
        write!(f, "({}, {})", *self.x, *self.y)
    }
}

/// Prints as `circle at (x, y) r=R` or `segment (x1, y1)-(x2, y2)`.
pub impl ShapeDisplay of Display<Shape> {
    fn fmt(self: @Shape, ref f: Formatter) -> Result<(), Error> {
        match self {
            Shape::Circle((center, radius)) => write!(f, "circle at {} r={}", center, radius),
            Shape::Segment((from, to)) => write!(f, "segment {}-{}", from, to),
        }
    }
}

/// One line per shape, each ending in a newline.
pub fn describe_all(shapes: Span<Shape>) -> ByteArray {
    let mut out: ByteArray = "";
    for shape in shapes {
        out += format!("{}\n", shape);
    }
    out
}
