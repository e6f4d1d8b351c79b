#[derive(Copy, Drop, PartialEq, Debug)]
pub struct Pair<T> {
    pub first: T,
    pub second: T,
}

/// Largest element of `values`, or `None` when it is empty.
pub fn largest<T, +PartialOrd<T>, +Copy<T>, +Drop<T>>(values: Span<T>) -> Option<T> {
    let mut best: Option<T> = Option::None;
    for v in values {
        let v = *v;
        best = match best {
            Option::Some(current) => if v > current {
                Option::Some(v)
            } else {
                Option::Some(current)
            },
            Option::None => Option::Some(v),
        };
    };
    best
}

/// Swaps the two members of a pair.
pub fn swap<T, +Drop<T>>(pair: Pair<T>) -> Pair<T> {
    let Pair { first, second } = pair;
    Pair { first: second, second: first }
}

/// Number of elements of `values` equal to `target`.
pub fn count_occurrences<T, +PartialEq<T>, +Copy<T>, +Drop<T>>(values: Span<T>, target: T) -> u32 {
    let mut count: u32 = 0;
    for v in values {
        if *v == target {
            count += 1;
        }
    };
    count
}
