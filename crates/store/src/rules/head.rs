//! The header block kept beside each message, so header searches need not read whole
//! messages.
//!
//! Invariants: the kept block is the message's header block as `heron_message` finds it
//! (through the first empty line), cut at [`MAX_HEAD`] bytes; it is always a prefix of the
//! message. A message handed over as prefix and body ([`MessageBytes`]) gets the block of the
//! joined message without being joined.

use crate::model::MessageBytes;

/// Longest header block kept beside a message; a longer one is cut here.
pub const MAX_HEAD: usize = 256 * 1024;

/// The header block of a message as kept beside it: through its empty line
/// (`heron_message::header_block`), at most [`MAX_HEAD`] bytes.
pub fn header_block(raw: &[u8]) -> &[u8] {
    let capped = raw.get(..MAX_HEAD).unwrap_or(raw);
    heron_message::header_block(capped).head(capped)
}

/// The kept header block of a prefixed message, without joining it: the prefix holds whole
/// header lines and no empty line, so the block is the prefix and then the body's block, all
/// within [`MAX_HEAD`].
pub fn joined_head(m: &MessageBytes) -> Vec<u8> {
    if m.prefix.len() >= MAX_HEAD {
        return header_block(&m.prefix).to_vec();
    }
    let rest = m.body.get(..MAX_HEAD - m.prefix.len()).unwrap_or(&m.body);
    let mut head = m.prefix.clone();
    head.extend_from_slice(heron_message::header_block(rest).head(rest));
    head
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{MAX_HEAD, MessageBytes, header_block, joined_head};

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

    #[test]
    fn a_prefixed_head_is_the_joined_messages_head() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"Return-Path: <a@b>\r\n", b"Subject: x\r\n\r\nbody\r\n"),
            (b"", b"Subject: x\nTo: y\n\nbody"),
            (b"Received: by h\r\n", b"\r\nno header at all"),
            (b"Received: by h\r\n", b"Subject: header only\r\n"),
        ];
        for &(prefix, body) in cases {
            let m = MessageBytes::new(prefix.to_vec(), Arc::new(body.to_vec()));
            assert_eq!(joined_head(&m), header_block(&m.joined()), "{body:?}");
        }
        let big = b"X-Long: yes\r\n".repeat(10_000);
        let m = MessageBytes::new(b"Received: by h\r\n".to_vec(), Arc::new(big));
        assert_eq!(joined_head(&m), header_block(&m.joined()));
    }
}
