/// Shifts every ASCII letter of `text` forward by `shift` places in the alphabet, wrapping from
/// z to a (case is kept); other bytes are unchanged. `shift` may exceed 26.
pub fn caesar(text: @ByteArray, shift: u8) -> ByteArray {
    let shift = shift % 26;
    let mut out: ByteArray = "";
    for i in 0..text.len() {
        let byte = text[i];
        let shifted = if byte >= 'a' && byte <= 'z' {
            'a' + (byte - 'a' + shift) % 26
        } else if byte >= 'A' && byte <= 'Z' {
            'A' + (byte - 'A' + shift) % 26
        } else {
            byte
        };
        out.append_byte(shifted);
    }
    out
}

/// Undoes `caesar(text, shift)`.
pub fn uncaesar(text: @ByteArray, shift: u8) -> ByteArray {
    caesar(text, 26 - shift % 26)
}
