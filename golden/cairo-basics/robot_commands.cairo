#[derive(Copy, Drop, PartialEq, Debug)]
pub enum Direction {
    North,
    East,
    South,
    West,
}

#[derive(Copy, Drop, PartialEq, Debug)]
pub enum Command {
    Forward: u32,
    TurnLeft,
    TurnRight,
}

pub fn turn_right(direction: Direction) -> Direction {
    match direction {
        Direction::North => Direction::East,
        Direction::East => Direction::South,
        Direction::South => Direction::West,
        Direction::West => Direction::North,
    }
}

pub fn turn_left(direction: Direction) -> Direction {
    match direction {
        Direction::North => Direction::West,
        Direction::West => Direction::South,
        Direction::South => Direction::East,
        Direction::East => Direction::North,
    }
}

/// Runs the commands from (0, 0) facing North; North is +y and East is +x.
/// Returns the final `(x, y, direction)`.
pub fn execute(commands: Span<Command>) -> (i64, i64, Direction) {
    let mut x: i64 = 0;
    let mut y: i64 = 0;
    let mut facing = Direction::North;
    for command in commands {
        match *command {
            Command::Forward(steps) => {
                let steps: i64 = steps.into();
                match facing {
                    Direction::North => y += steps,
                    Direction::East => x += steps,
                    Direction::South => y -= steps,
                    Direction::West => x -= steps,
                }
            },
            Command::TurnLeft => facing = turn_left(facing),
            Command::TurnRight => facing = turn_right(facing),
        }
    };
    (x, y, facing)
}
