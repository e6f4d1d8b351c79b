/// Whether `text` reads the same backwards, ignoring ASCII case (bytes, not Unicode characters).
pub fn is_palindrome(text: @ByteArray) -> bool {
    let len = text.len();
    let mut i = 0;
    let mut result = true;
    while i < len / 2 {
        if lower(text[i]) != lower(text[len - 1 - i]) {
            result = false;
            break;
        }
        i += 1;
    }
    result
}

/// `text` with every ASCII letter in upper case.
pub fn to_upper(text: @ByteArray) -> ByteArray {
    let mut out: ByteArray = "";
    for i in 0..text.len() {
        let byte = text[i];
        out.append_byte(if byte >= 'a' && byte <= 'z' {
            byte - 32
        } else {
            byte
        });
    }
    out
}

fn lower(byte: u8) -> u8 {
    if byte >= 'A' && byte <= 'Z' {
        byte + 32
    } else {
        byte
    }
}
