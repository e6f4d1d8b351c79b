/// Run-length encoding: "aaabcc" becomes "3a1b2c". Runs longer than 9 are split ("aaaaaaaaaaaa" ->
/// "9a3a"), so every count is one digit.
pub fn encode(text: @ByteArray) -> ByteArray {
    let mut out: ByteArray = "";
    let len = text.len();
    let mut i = 0;
    while i < len {
        let byte = text[i];
        let mut run: u8 = 1;
        while i + run.into() < len && text[i + run.into()] == byte && run < 9 {
            run += 1;
        }
        out.append_byte('0' + run);
        out.append_byte(byte);
        i += run.into();
    }
    out
}

/// Decodes `encode`'s output; None when it is malformed (odd length, or a count that is not a
/// digit from 1 to 9).
pub fn decode(encoded: @ByteArray) -> Option<ByteArray> {
    let len = encoded.len();
    if len % 2 != 0 {
        return Option::None;
    }
    let mut out: ByteArray = "";
    let mut i = 0;
    while i < len {
        let count = encoded[i];
        if count < '1' || count > '9' {
            return Option::None;
        }
        for _ in 0..(count - '0') {
            out.append_byte(encoded[i + 1]);
        }
        i += 2;
    }
    Option::Some(out)
}
