#[cfg(test)]
mod tests {
    use super::{Direction, Command, turn_left, turn_right, execute};

    #[test]
    fn turning_cycles() {
        assert_eq!(turn_right(Direction::North), Direction::East);
        assert_eq!(turn_right(Direction::West), Direction::North);
        assert_eq!(turn_left(Direction::North), Direction::West);
        assert_eq!(turn_left(Direction::East), Direction::North);
        assert_eq!(turn_left(turn_right(Direction::South)), Direction::South);
    }

    #[test]
    fn execute_moves_and_turns() {
        let (x, y, d) = execute(array![].span());
        assert_eq!((x, y), (0, 0));
        assert_eq!(d, Direction::North);

        let (x, y, d) = execute(
            array![Command::Forward(3), Command::TurnRight, Command::Forward(2)].span(),
        );
        assert_eq!((x, y), (2, 3));
        assert_eq!(d, Direction::East);
    }

    #[test]
    fn execute_goes_negative() {
        let (x, y, d) = execute(
            array![
                Command::TurnLeft, Command::Forward(5), Command::TurnLeft, Command::Forward(7),
                Command::TurnLeft, Command::Forward(1),
            ]
                .span(),
        );
        assert_eq!((x, y), (-4, -7));
        assert_eq!(d, Direction::East);

        let (x, y, d) = execute(
            array![Command::TurnRight, Command::TurnRight, Command::TurnRight, Command::TurnRight]
                .span(),
        );
        assert_eq!((x, y), (0, 0));
        assert_eq!(d, Direction::North);
    }
}
