/// A matrix as rows of equal length.
pub type Matrix = Array<Array<i64>>;

pub fn identity(n: u32) -> Matrix {
    let mut rows = array![];
    for i in 0..n {
        let mut row = array![];
        for j in 0..n {
            row.append(if i == j {
                1
            } else {
                0
            });
        }
        rows.append(row);
    }
    rows
}

pub fn transpose(m: @Matrix) -> Matrix {
    let mut out = array![];
    if m.len() == 0 {
        return out;
    }
    let columns = m[0].len();
    for j in 0..columns {
        let mut row = array![];
        for i in 0..m.len() {
            row.append(*m[i][j]);
        }
        out.append(row);
    }
    out
}

/// `a * b`, or None when `a`'s column count is not `b`'s row count.
pub fn multiply(a: @Matrix, b: @Matrix) -> Option<Matrix> {
    if a.len() == 0 || b.len() == 0 || a[0].len() != b.len() {
        return Option::None;
    }
    let inner = b.len();
    let columns = b[0].len();
    let mut out = array![];
    for i in 0..a.len() {
        let mut row = array![];
        for j in 0..columns {
            let mut sum = 0;
            for k in 0..inner {
                sum += *a[i][k] * *b[k][j];
            }
            row.append(sum);
        }
        out.append(row);
    }
    Option::Some(out)
}
