//! The header block kept beside each message, so header searches need not read whole
//! messages.
//!
//! Invariants: the kept block is the message's header block as `heron_message` finds it
//! (through the first empty line), cut at [`MAX_HEAD`] bytes; it is always a prefix of the
//! message.

/// Longest header block kept beside a message; a longer one is cut here.
pub const MAX_HEAD: usize = 256 * 1024;

/// The header block of a message as kept beside it: through its empty line
/// (`heron_message::header_block`), at most [`MAX_HEAD`] bytes.
pub fn header_block(raw: &[u8]) -> &[u8] {
    let capped = raw.get(..MAX_HEAD).unwrap_or(raw);
    heron_message::header_block(capped).head(capped)
}

#[cfg(test)]
mod tests {
    use super::{MAX_HEAD, header_block};

    #[test]
    fn the_kept_header_block_is_capped() {
        assert_eq!(header_block(b"A: b\r\n\r\nbody"), b"A: b\r\n\r\n");
        assert_eq!(header_block(b"A: b\n\r\nbody"), b"A: b\n\r\n");
        let mut big = b"A: b\r\n".repeat(50_000);
        assert_eq!(header_block(&big).len(), MAX_HEAD);
        big.truncate(60);
        big.extend_from_slice(b"\r\nbody");
        assert_eq!(header_block(&big).len(), 62);
    }
}
