use core::dict::Felt252Dict;

/// How many distinct values `values` holds.
pub fn distinct_count(values: Span<felt252>) -> u32 {
    let mut seen: Felt252Dict<bool> = Default::default();
    let mut count = 0;
    for value in values {
        if !seen.get(*value) {
            seen.insert(*value, true);
            count += 1;
        }
    }
    count
}

/// The most frequent value (the first one to reach the highest count on ties), None when empty.
pub fn most_frequent(values: Span<felt252>) -> Option<felt252> {
    let mut counts: Felt252Dict<u32> = Default::default();
    let mut best: Option<felt252> = Option::None;
    let mut best_count = 0;
    for value in values {
        let count = counts.get(*value) + 1;
        counts.insert(*value, count);
        if count > best_count {
            best_count = count;
            best = Option::Some(*value);
        }
    }
    best
}
