use core::num::traits::WrappingMul;

pub const FNV_OFFSET: u32 = 0x811c9dc5;
pub const FNV_PRIME: u32 = 0x01000193;

/// The 32-bit FNV-1a hash of `data`: for each byte, xor it in, then multiply by the FNV prime
/// modulo 2^32 (wrapping: the product must not panic).
pub fn fnv1a_32(data: Span<u8>) -> u32 {
    let mut hash = FNV_OFFSET;
    for byte in data {
        let b: u32 = (*byte).into();
        hash = (hash ^ b).wrapping_mul(FNV_PRIME);
    }
    hash
}

/// FNV-1a of a ByteArray's bytes.
pub fn fnv1a_text(text: @ByteArray) -> u32 {
    let mut bytes = array![];
    for i in 0..text.len() {
        bytes.append(text[i]);
    }
    fnv1a_32(bytes.span())
}
