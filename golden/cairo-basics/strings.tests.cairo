#[cfg(test)]
mod tests {
    use super::{short_string_len, short_string_to_byte_array, greet, count_byte};

    #[test]
    fn short_string_lengths() {
        assert_eq!(short_string_len(0), 0);
        assert_eq!(short_string_len('a'), 1);
        assert_eq!(short_string_len('hello'), 5);
        assert_eq!(short_string_len('abcdefghijklmnopqrstuvwxyz01234'), 31);
    }

    #[test]
    fn short_string_conversion() {
        assert_eq!(short_string_to_byte_array('starknet'), "starknet");
        assert_eq!(short_string_to_byte_array('x'), "x");
        assert_eq!(short_string_to_byte_array(0), "");
        let long = short_string_to_byte_array('abcdefghijklmnopqrstuvwxyz01234');
        assert_eq!(long.len(), 31);
        assert_eq!(long, "abcdefghijklmnopqrstuvwxyz01234");
    }

    #[test]
    fn greeting() {
        assert_eq!(greet(@"Cairo"), "Hello, Cairo!");
        assert_eq!(greet(@""), "Hello, !");
        let long: ByteArray = "a name that is clearly longer than thirty-one bytes";
        assert_eq!(greet(@long), "Hello, a name that is clearly longer than thirty-one bytes!");
    }

    #[test]
    fn counting_bytes() {
        assert_eq!(count_byte(@"banana", 'a'), 3);
        assert_eq!(count_byte(@"banana", 'z'), 0);
        assert_eq!(count_byte(@"", 'a'), 0);
        let long: ByteArray = "aaaaaaaaaabbbbbbbbbbaaaaaaaaaabbbbbbbbbbaaaaaaaaaa";
        assert_eq!(count_byte(@long, 'a'), 30);
        assert_eq!(count_byte(@long, 'b'), 20);
    }
}
