/// Copy of `values` where every run of equal adjacent elements is collapsed to one element.
pub fn dedup_consecutive(values: Span<u32>) -> Array<u32> {
    let mut out: Array<u32> = array![];
    let mut last: Option<u32> = Option::None;
    for v in values {
        let v = *v;
        let is_repeat = match last {
            Option::Some(prev) => prev == v,
            Option::None => false,
        };
        if !is_repeat {
            out.append(v);
        }
        last = Option::Some(v);
    };
    out
}

/// Running totals: element `i` of the result is `values[0] + ... + values[i]`.
pub fn prefix_sums(values: Span<u64>) -> Array<u64> {
    let mut out: Array<u64> = array![];
    let mut total: u64 = 0;
    for v in values {
        total += *v;
        out.append(total);
    };
    out
}

/// Index of the first occurrence of the largest element, or `None` for an empty span.
pub fn index_of_max(values: Span<u32>) -> Option<u32> {
    if values.is_empty() {
        return Option::None;
    }
    let mut best_index: u32 = 0;
    let mut best: u32 = *values[0];
    let mut i: u32 = 1;
    while i < values.len() {
        if *values[i] > best {
            best = *values[i];
            best_index = i;
        }
        i += 1;
    };
    Option::Some(best_index)
}
