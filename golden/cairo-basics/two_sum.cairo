use core::dict::Felt252Dict;

/// The indices `(i, j)`, `i < j`, of the first pair (smallest `j`, then smallest `i`) whose
/// values add up to `target`, or None. Runs in one pass with a dictionary of seen values.
pub fn two_sum(values: Span<u32>, target: u32) -> Option<(u32, u32)> {
    // value -> index + 1 of its first occurrence (0 means not seen)
    let mut seen: Felt252Dict<u32> = Default::default();
    let mut found = Option::None;
    for j in 0..values.len() {
        let value = *values[j];
        if value <= target {
            let wanted = seen.get((target - value).into());
            if wanted != 0 {
                found = Option::Some((wanted - 1, j));
                break;
            }
        }
        if seen.get(value.into()) == 0 {
            seen.insert(value.into(), j + 1);
        }
    }
    found
}
