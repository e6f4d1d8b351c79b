/// Counts down from `from` to 1, then stops.
#[derive(Drop, Copy)]
pub struct Countdown {
    pub remaining: u32,
}

pub impl CountdownIterator of Iterator<Countdown> {
    type Item = u32;

    fn next(ref self: Countdown) -> Option<u32> {
        if self.remaining == 0 {
            return Option::None;
        }
        let current = self.remaining;
        self.remaining -= 1;
        Option::Some(current)
    }
}

pub fn countdown(from: u32) -> Countdown {
    Countdown { remaining: from }
}

/// The Fibonacci numbers 0, 1, 1, 2, 3, … as `u64`; the iterator ends (returns None) instead of
/// overflowing.
#[derive(Drop, Copy)]
pub struct Fibonacci {
    current: u64,
    next: Option<u64>,
    done: bool,
}

pub fn fibonacci() -> Fibonacci {
    Fibonacci { current: 0, next: Option::Some(1), done: false }
}

pub impl FibonacciIterator of Iterator<Fibonacci> {
    type Item = u64;

    fn next(ref self: Fibonacci) -> Option<u64> {
        if self.done {
            return Option::None;
        }
        let value = self.current;
        match self.next {
            Option::Some(next) => {
                let following: u128 = value.into() + next.into();
                self.current = next;
                self.next = following.try_into();
            },
            Option::None => { self.done = true; },
        }
        Option::Some(value)
    }
}
