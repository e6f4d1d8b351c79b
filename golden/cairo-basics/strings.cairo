/// Number of bytes in a Cairo short string (0 for the empty short string).
pub fn short_string_len(s: felt252) -> u32 {
    let mut value: u256 = s.into();
    let mut len: u32 = 0;
    while value != 0 {
        value = value / 256;
        len += 1;
    };
    len
}

/// Converts a short string (at most 31 bytes) into the equivalent `ByteArray`.
pub fn short_string_to_byte_array(s: felt252) -> ByteArray {
    let mut out: ByteArray = "";
    out.append_word(s, short_string_len(s));
    out
}

/// Returns "Hello, <name>!".
pub fn greet(name: @ByteArray) -> ByteArray {
    let mut out: ByteArray = "Hello, ";
    out.append(name);
    out.append_byte('!');
    out
}

/// Number of positions in `text` holding `byte`.
pub fn count_byte(text: @ByteArray, byte: u8) -> u32 {
    let mut count: u32 = 0;
    let mut i: u32 = 0;
    while i < text.len() {
        if text[i] == byte {
            count += 1;
        }
        i += 1;
    };
    count
}
