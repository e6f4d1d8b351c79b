/// Index of `target` in `sorted` (ascending, no duplicates), or None.
pub fn binary_search(sorted: Span<u64>, target: u64) -> Option<u32> {
    let mut low: u32 = 0;
    let mut high: u32 = sorted.len(); // search in [low, high)
    while low < high {
        let mid = low + (high - low) / 2;
        let value = *sorted[mid];
        if value == target {
            return Option::Some(mid);
        }
        if value < target {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    Option::None
}

/// The first index whose element is >= `target` in `sorted` (ascending, duplicates allowed);
/// `sorted.len()` when every element is smaller.
pub fn lower_bound(sorted: Span<u64>, target: u64) -> u32 {
    let mut low: u32 = 0;
    let mut high: u32 = sorted.len();
    while low < high {
        let mid = low + (high - low) / 2;
        if *sorted[mid] < target {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}
