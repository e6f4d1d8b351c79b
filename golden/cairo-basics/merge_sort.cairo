/// Merges two ascending spans into one ascending array (stable: on ties, `a`'s element first).
pub fn merge_sorted(a: Span<u32>, b: Span<u32>) -> Array<u32> {
    let mut out = array![];
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if *a[i] <= *b[j] {
            out.append(*a[i]);
            i += 1;
        } else {
            out.append(*b[j]);
            j += 1;
        }
    }
    while i < a.len() {
        out.append(*a[i]);
        i += 1;
    }
    while j < b.len() {
        out.append(*b[j]);
        j += 1;
    }
    out
}

/// `values` sorted ascending (merge sort).
pub fn merge_sort(values: Span<u32>) -> Array<u32> {
    let len = values.len();
    if len <= 1 {
        let mut out = array![];
        out.append_span(values);
        return out;
    }
    let middle = len / 2;
    let left = merge_sort(values.slice(0, middle));
    let right = merge_sort(values.slice(middle, len - middle));
    merge_sorted(left.span(), right.span())
}
