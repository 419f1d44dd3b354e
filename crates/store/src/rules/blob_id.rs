//! Blob ids: the names of stored message bytes, shared by a message's records and its file
//! (or inline row).
//!
//! Invariants: a fresh id is 32 lower-case hex digits, 128 random bits, so ids made by
//! different processes on the same data directory do not collide; an id is accepted only when
//! it is 32 hex digits, so it can never name a path outside the blob directory. The first two
//! digits name the sub-directory its file lives in.

use crate::model::BlobId;

/// Length of a blob id in hex digits.
pub const LEN: usize = 32;

/// A fresh random blob id.
pub fn new() -> BlobId {
    format!("{:032x}", rand::random::<u128>())
}

/// A fresh random blob id whose file lives in sub-directory `dir` (its first two digits).
pub fn in_dir(dir: u8) -> BlobId {
    format!("{dir:02x}{:030x}", rand::random::<u128>() >> 8)
}

/// Whether `id` has the shape of a blob id (32 hex digits).
pub fn is_valid(id: &str) -> bool {
    id.len() == LEN && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_valid_and_distinct() {
        let (a, b) = (new(), new());
        assert!(is_valid(&a) && is_valid(&b));
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| !c.is_ascii_uppercase()));
        let d = in_dir(0xab);
        assert!(is_valid(&d));
        assert!(d.starts_with("ab"));
    }

    #[test]
    fn only_32_hex_digits_are_ids() {
        assert!(is_valid(&"0f".repeat(16)));
        assert!(!is_valid(&"0f".repeat(15)));
        assert!(!is_valid("../../etc/passwd/0123456789abcdef"));
        assert!(!is_valid(&format!("{}g", "0".repeat(31))));
        assert!(!is_valid("not-a-blob"));
    }
}
