/// The sum of the squares of the even values, as a `u64` (no overflow for any `u32` input of
/// reasonable length).
pub fn sum_of_even_squares(values: Span<u32>) -> u64 {
    values
        .into_iter()
        .filter(|value| **value % 2 == 0)
        .map(|value| {
            let wide: u64 = (*value).into();
            wide * wide
        })
        .sum()
}

/// The indices at which `values` holds `target`.
pub fn positions_of(values: Span<felt252>, target: felt252) -> Array<u32> {
    values
        .into_iter()
        .enumerate()
        .filter(|pair| {
            let (_, value) = *pair;
            *value == target
        })
        .map(|pair| {
            let (index, _) = pair;
            index
        })
        .collect()
}

/// Element-wise products of `a` and `b`, as long as the shorter span.
pub fn pairwise_products(a: Span<u32>, b: Span<u32>) -> Array<u64> {
    a
        .into_iter()
        .zip(b)
        .map(|pair| {
            let (x, y) = pair;
            let x: u64 = (*x).into();
            x * (*y).into()
        })
        .collect()
}

/// Whether every value is below `limit` (true for an empty span).
pub fn all_below(values: Span<u32>, limit: u32) -> bool {
    values.into_iter().all(|value| *value < limit)
}
