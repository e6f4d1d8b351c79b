/// The words of `text`: maximal runs of bytes other than the space ' '.
pub fn split_words(text: @ByteArray) -> Array<ByteArray> {
    let mut words = array![];
    let mut current: ByteArray = "";
    for i in 0..text.len() {
        let byte = text[i];
        if byte == ' ' {
            if current.len() > 0 {
                words.append(current);
                current = "";
            }
        } else {
            current.append_byte(byte);
        }
    }
    if current.len() > 0 {
        words.append(current);
    }
    words
}

/// The words joined with `separator` between them.
pub fn join(words: Span<ByteArray>, separator: @ByteArray) -> ByteArray {
    let mut out: ByteArray = "";
    for i in 0..words.len() {
        if i > 0 {
            out.append(separator);
        }
        out.append(words[i]);
    }
    out
}

/// The length in bytes of the longest word (0 when there is none).
pub fn longest_word_len(text: @ByteArray) -> u32 {
    let mut longest = 0;
    for word in split_words(text) {
        if word.len() > longest {
            longest = word.len();
        }
    }
    longest
}
