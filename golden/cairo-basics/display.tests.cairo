#[cfg(test)]
mod tests {
    use super::{Point, Shape, describe_all};

    #[test]
    fn points_print_as_pairs() {
        assert_eq!(format!("{}", Point { x: 3, y: -7 }), "(3, -7)");
        assert_eq!(format!("p={}", Point { x: 0, y: 0 }), "p=(0, 0)");
    }

    #[test]
    fn shapes_print() {
        let circle = Shape::Circle((Point { x: 1, y: 2 }, 5));
        let segment = Shape::Segment((Point { x: -1, y: 0 }, Point { x: 4, y: 4 }));
        assert_eq!(format!("{}", circle), "circle at (1, 2) r=5");
        assert_eq!(format!("{}", segment), "segment (-1, 0)-(4, 4)");
    }

    #[test]
    fn describes_many() {
        let shapes = array![Shape::Circle((Point { x: 0, y: 0 }, 1)), Shape::Segment((Point { x: 1, y: 1 }, Point { x: 2, y: 2 }))];
        assert_eq!(describe_all(shapes.span()), "circle at (0, 0) r=1\nsegment (1, 1)-(2, 2)\n");
        assert_eq!(describe_all(array![].span()), "");
    }
}
