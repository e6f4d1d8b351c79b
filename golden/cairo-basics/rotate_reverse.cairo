/// Rotates `values` left by `k` positions: element `i` of the result is `values[(i + k) % len]`.
/// An empty span stays empty; `k` may exceed the length.
pub fn rotate_left(values: Span<u32>, k: u32) -> Array<u32> {
    let len = values.len();
    let mut out = array![];
    if len == 0 {
        return out;
    }
    let shift = k % len;
    for i in 0..len {
        out.append(*values[(i + shift) % len]);
    }
    out
}

/// The elements of `values` in reverse order.
pub fn reversed(values: Span<felt252>) -> Array<felt252> {
    let mut out = array![];
    let mut rest = values;
    while let Option::Some(last) = rest.pop_back() {
        out.append(*last);
    }
    out
}

/// Whether `values` reads the same forwards and backwards.
pub fn is_symmetric(values: Span<felt252>) -> bool {
    let mut rest = values;
    loop {
        match (rest.pop_front(), rest.pop_back()) {
            (Option::Some(a), Option::Some(b)) => if a != b {
                break false;
            },
            _ => { break true; },
        }
    }
}
