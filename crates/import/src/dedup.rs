//! What makes two messages the same, for skipping duplicates on import.
//!
//! Two messages are duplicates when both have a Message-ID field with the same value and
//! their sizes are equal, or, when the first has no Message-ID, when their bytes have the same
//! SHA-256 digest. The size check keeps apart different messages that share a Message-ID
//! (a message and its bounce, a resent copy with fields added).
//!
//! Invariants: the key is computed from the bytes as stored (CRLF line endings), so a message
//! read again from the same source, or read back from the store, gets the same key; the
//! Message-ID is the first such field of the header block, unfolded and trimmed, compared
//! exactly (RFC 5322 §3.6.4: its parts are case-sensitive); an empty Message-ID counts as
//! none.

use sha2::{Digest, Sha256};

use crate::text::{header_block, header_values};

/// The identity of a message for the duplicate check; equal keys mean duplicates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DuplicateKey {
    /// The Message-ID's value and the message's size in bytes.
    MessageId {
        /// The unfolded, trimmed value, angle brackets included.
        id: String,
        /// The size of the whole message in bytes.
        size: u64,
    },
    /// The SHA-256 digest of the message's bytes, for a message without Message-ID.
    Digest([u8; 32]),
}

impl DuplicateKey {
    /// The key of a whole message.
    pub fn of(message: &[u8]) -> Self {
        let size = u64::try_from(message.len()).unwrap_or(u64::MAX);
        Self::from_header(message, size).unwrap_or_else(|| Self::digest(message))
    }

    /// The key of a message of `size` bytes from its header block alone (a whole message
    /// may be passed), or `None` when it has no Message-ID: then only
    /// [`digest`](Self::digest) of its bytes can tell.
    pub fn from_header(header: &[u8], size: u64) -> Option<Self> {
        let id = header_values(header_block(header), "Message-ID")
            .into_iter()
            .next()?;
        (!id.is_empty()).then_some(Self::MessageId { id, size })
    }

    /// The key made of the digest of `message`'s bytes.
    pub fn digest(message: &[u8]) -> Self {
        Self::Digest(Sha256::digest(message).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_and_size() {
        let a = b"Message-ID: <1@x>\r\nSubject: a\r\n\r\nbody\r\n";
        let b = b"Message-ID:\r\n <1@x>\r\nSubj: ab\r\n\r\nbody\r\n";
        assert_eq!(a.len(), b.len());
        // The same Message-ID (folded or not) and size: duplicates, whatever else differs.
        assert_eq!(DuplicateKey::of(a), DuplicateKey::of(b));
        assert_eq!(
            DuplicateKey::of(a),
            DuplicateKey::MessageId {
                id: "<1@x>".to_owned(),
                size: a.len() as u64
            }
        );
        // Same Message-ID, another size: not duplicates.
        let longer = b"Message-ID: <1@x>\r\nSubject: a\r\n\r\nbody!\r\n";
        assert_ne!(DuplicateKey::of(a), DuplicateKey::of(longer));
        // Case matters in a Message-ID.
        let upper = b"Message-ID: <1@X>\r\nSubject: a\r\n\r\nbody\r\n";
        assert_ne!(DuplicateKey::of(a), DuplicateKey::of(upper));
    }

    #[test]
    fn digest_without_message_id() {
        let a = b"Subject: a\r\n\r\nbody\r\n";
        let b = b"Subject: b\r\n\r\nbody\r\n";
        assert_eq!(DuplicateKey::of(a), DuplicateKey::of(a));
        assert_ne!(DuplicateKey::of(a), DuplicateKey::of(b));
        assert!(matches!(DuplicateKey::of(a), DuplicateKey::Digest(_)));
        assert_eq!(DuplicateKey::from_header(a, 20), None);
        // An empty Message-ID is no Message-ID; one in the body is not in the header.
        let empty = b"Message-ID:\r\n\r\nMessage-ID: <2@x>\r\n";
        assert!(matches!(DuplicateKey::of(empty), DuplicateKey::Digest(_)));
    }

    #[test]
    fn header_alone_gives_the_same_key() {
        let msg = b"Message-ID: <3@x>\r\n\r\nbody\r\n";
        let head = heron_message::header_block(msg).head(msg);
        assert_eq!(
            DuplicateKey::from_header(head, msg.len() as u64),
            Some(DuplicateKey::of(msg))
        );
    }
}
