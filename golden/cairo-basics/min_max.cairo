/// The smallest and largest elements, None for an empty span.
pub fn min_max<T, +PartialOrd<T>, +Copy<T>, +Drop<T>>(values: Span<T>) -> Option<(T, T)> {
    let mut rest = values;
    let first = *rest.pop_front()?;
    let (mut low, mut high) = (first, first);
    for value in rest {
        if *value < low {
            low = *value;
        }
        if *value > high {
            high = *value;
        }
    }
    Option::Some((low, high))
}

/// `value` limited to `[low, high]` (`low <= high` is assumed).
pub fn clamp<T, +PartialOrd<T>, +Copy<T>, +Drop<T>>(value: T, low: T, high: T) -> T {
    if value < low {
        low
    } else if value > high {
        high
    } else {
        value
    }
}

/// How many elements are strictly greater than `threshold`.
pub fn count_above<T, +PartialOrd<T>, +Copy<T>, +Drop<T>>(values: Span<T>, threshold: T) -> u32 {
    let mut count = 0;
    for value in values {
        if *value > threshold {
            count += 1;
        }
    }
    count
}
