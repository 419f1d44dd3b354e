//! The Message-ID, References and In-Reply-To fields as threading reads them (RFC 5322
//! §3.6.4, RFC 5256 §3 step 1).
//!
//! A message ID is what stands between `<` and `>` (folding white space inside removed);
//! one that is empty or holds another `<` or white space is not valid and is skipped.
//! IDs compare as written (case kept). A message's references are those of its References
//! field, or when it has no valid one, the first valid ID of In-Reply-To.
//!
//! Invariants: pure and total; at most [`MAX_REFERENCES`] references are kept per message
//! (the last ones, nearest the message), so threading work stays linear in the mailbox.

use crate::header::fields;

/// Most references kept for one message: the last ones of its References field.
pub const MAX_REFERENCES: usize = 256;

/// What threading needs of one message's header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadIds {
    /// The first valid ID of the Message-ID field.
    pub message_id: Option<String>,
    /// The references, oldest first (the parent last).
    pub references: Vec<String>,
}

/// Read the IDs from a header block (or a whole message).
pub fn thread_ids(header: &[u8]) -> ThreadIds {
    let (mut own, mut refs, mut reply_to) = (None, None, None);
    for f in fields(header) {
        if own.is_none() && f.is("Message-ID") {
            own = Some(f.value);
        } else if refs.is_none() && f.is("References") {
            refs = Some(f.value);
        } else if reply_to.is_none() && f.is("In-Reply-To") {
            reply_to = Some(f.value);
        }
    }
    let mut references = refs.map(msg_ids).unwrap_or_default();
    if references.is_empty() {
        references = reply_to
            .and_then(|v| msg_ids(v).into_iter().next())
            .into_iter()
            .collect();
    }
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    ThreadIds {
        message_id: own.and_then(|v| msg_ids(v).into_iter().next()),
        references,
    }
}

/// The valid message IDs in a field value, in order.
pub fn msg_ids(value: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(open) = memchr::memchr(b'<', rest) {
        rest = &rest[open + 1..];
        let Some(close) = memchr::memchr(b'>', rest) else {
            break;
        };
        let inner = &rest[..close];
        rest = &rest[close + 1..];
        // A `<` inside starts a new ID: the text before it was not one.
        if let Some(again) = memchr::memrchr(b'<', inner) {
            if let Some(id) = valid(&inner[again + 1..]) {
                out.push(id);
            }
            continue;
        }
        if let Some(id) = valid(inner) {
            out.push(id);
        }
    }
    out
}

/// The ID between the brackets, folding removed, if it is one.
fn valid(inner: &[u8]) -> Option<String> {
    // RFC 5322 §2.2.3: a line break and the white space after it are folding.
    let mut unfolded = Vec::with_capacity(inner.len());
    let mut folding = false;
    for &b in inner {
        match b {
            b'\r' | b'\n' => folding = true,
            b' ' | b'\t' if folding => {}
            _ => {
                folding = false;
                unfolded.push(b);
            }
        }
    }
    let trimmed = unfolded.trim_ascii();
    if trimmed.is_empty() || trimmed.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    Some(String::from_utf8_lossy(trimmed).into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_values() {
        assert_eq!(msg_ids(b" <a@x> <b@y>"), ["a@x", "b@y"]);
        assert_eq!(msg_ids(b"<a@x>\r\n\t<b@y>"), ["a@x", "b@y"]);
        assert_eq!(msg_ids(b"<a@\r\n x>"), ["a@x"]);
        assert_eq!(msg_ids(b"<> <a b> junk <c@d"), Vec::<String>::new());
        assert_eq!(msg_ids(b"<broken <ok@x>"), ["ok@x"]);
        assert_eq!(msg_ids(b"comment (x) <A@X>"), ["A@X"]);
    }

    #[test]
    fn references_or_in_reply_to() {
        let h = b"Message-ID: <m@x>\r\nReferences: <a@x> <b@x>\r\nIn-Reply-To: <c@x>\r\n\r\nbody <z@x>\r\n";
        let t = thread_ids(h);
        assert_eq!(t.message_id.as_deref(), Some("m@x"));
        assert_eq!(t.references, ["a@x", "b@x"]);
        let h = b"Message-Id: junk\r\nIn-Reply-To: <c@x> <d@x>\r\n\r\n";
        let t = thread_ids(h);
        assert_eq!(t.message_id, None);
        assert_eq!(t.references, ["c@x"]);
        let h = b"References: nothing valid\r\nIn-Reply-To: <c@x>\r\n\r\n";
        assert_eq!(thread_ids(h).references, ["c@x"]);
        assert_eq!(thread_ids(b"Subject: x\r\n\r\n"), ThreadIds::default());
    }

    #[test]
    fn references_are_bounded() {
        let mut v = b"References:".to_vec();
        for i in 0..MAX_REFERENCES + 10 {
            v.extend_from_slice(format!(" <r{i}@x>").as_bytes());
        }
        v.extend_from_slice(b"\r\n\r\n");
        let t = thread_ids(&v);
        assert_eq!(t.references.len(), MAX_REFERENCES);
        assert_eq!(t.references.first().unwrap(), "r10@x");
        assert_eq!(
            t.references.last().unwrap(),
            &format!("r{}@x", MAX_REFERENCES + 9)
        );
    }
}
