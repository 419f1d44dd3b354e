//! Message flags: how an IMAP STORE operation changes a message's flag list, how a list is
//! kept as one text value, and the per-folder flag listing that shares equal lists.
//!
//! Invariants: system flags (`\Seen`, …) compare case-insensitively, keywords exactly
//! (RFC 9051 §2.3.2); a list never holds the same flag twice after an operation; the kept
//! text is the flags joined by single spaces, which loses nothing because a flag is an IMAP
//! atom and never contains a space.

use std::collections::HashMap;

use crate::model::{FlagOp, FolderFlags, MessageFlags};

/// The new flag list after an operation; system flags compare case-insensitively.
pub fn apply_flags(current: &[String], op: FlagOp, flags: &[String]) -> Vec<String> {
    let same = |a: &str, b: &str| {
        if a.starts_with('\\') {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let mut out: Vec<String> = match op {
        FlagOp::Replace => Vec::new(),
        _ => current.to_vec(),
    };
    match op {
        FlagOp::Replace | FlagOp::Add => {
            for f in flags {
                if !out.iter().any(|o| same(o, f)) {
                    out.push(f.clone());
                }
            }
        }
        FlagOp::Remove => out.retain(|o| !flags.iter().any(|f| same(o, f))),
    }
    out
}

/// What a flag change does to one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The message changed after the client's UNCHANGEDSINCE: left alone and reported
    /// (RFC 7162 §3.1.3).
    Conflict,
    /// The flags would stay as they are: nothing is written, the modseq stays.
    Same,
    /// The new flag list, to be written with the folder's next modseq.
    Changed(Vec<String>),
}

/// What a flag change does to a message holding `current` at `modseq`, given the client's
/// UNCHANGEDSINCE, if any.
pub fn outcome(
    current: &[String],
    modseq: u64,
    op: FlagOp,
    flags: &[String],
    unchanged_since: Option<u64>,
) -> Outcome {
    if unchanged_since.is_some_and(|u| modseq > u) {
        return Outcome::Conflict;
    }
    let new = apply_flags(current, op, flags);
    if new == current {
        Outcome::Same
    } else {
        Outcome::Changed(new)
    }
}

/// A flag list as kept text: the flags joined by single spaces.
pub fn to_text(flags: &[String]) -> String {
    flags.join(" ")
}

/// A flag list from its kept text.
pub fn from_text(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Builds a [`FolderFlags`] listing from a folder's messages in UID order, keeping each
/// distinct flag text once, so a large folder costs one small list per distinct set.
pub struct FolderFlagsBuilder {
    out: FolderFlags,
    /// Flag texts seen so far and their index in `out.lists`: the same text is the same list.
    seen: HashMap<String, u32>,
}

impl FolderFlagsBuilder {
    /// A listing sized up front for `messages`, so a large folder leaves no trail of
    /// outgrown buffers.
    pub fn with_capacity(messages: usize) -> Self {
        Self {
            out: FolderFlags {
                messages: Vec::with_capacity(messages),
                lists: Vec::new(),
            },
            seen: HashMap::new(),
        }
    }

    /// Add the next message (in UID order) with its kept flag text.
    pub fn push(&mut self, uid: u32, modseq: u64, text: &str) {
        let flags = match self.seen.get(text) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.out.lists.len()).unwrap_or(u32::MAX);
                self.out.lists.push(from_text(text));
                self.seen.insert(text.to_owned(), i);
                i
            }
        };
        self.out.messages.push(MessageFlags { uid, flags, modseq });
    }

    /// The finished listing.
    pub fn finish(self) -> FolderFlags {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flag_operations() {
        let cur = v(&["\\Seen", "work"]);
        assert_eq!(
            apply_flags(&cur, FlagOp::Add, &v(&["\\seen", "\\Flagged"])),
            v(&["\\Seen", "work", "\\Flagged"])
        );
        assert_eq!(
            apply_flags(&cur, FlagOp::Remove, &v(&["\\SEEN"])),
            v(&["work"])
        );
        assert_eq!(
            apply_flags(&cur, FlagOp::Remove, &v(&["Work"])),
            cur,
            "keywords are case-sensitive here"
        );
        assert_eq!(
            apply_flags(&cur, FlagOp::Replace, &v(&["\\Draft", "\\Draft"])),
            v(&["\\Draft"])
        );
    }

    #[test]
    fn unchanged_since_and_no_op_changes() {
        let cur = v(&["\\Seen"]);
        let add = |u| outcome(&cur, 7, FlagOp::Add, &v(&["$Work"]), u);
        assert_eq!(
            add(Some(6)),
            Outcome::Conflict,
            "changed after UNCHANGEDSINCE"
        );
        assert_eq!(add(Some(7)), Outcome::Changed(v(&["\\Seen", "$Work"])));
        assert_eq!(add(None), Outcome::Changed(v(&["\\Seen", "$Work"])));
        assert_eq!(
            outcome(&cur, 7, FlagOp::Add, &v(&["\\SEEN"]), None),
            Outcome::Same
        );
    }

    #[test]
    fn kept_text_round_trips() {
        let flags = v(&["\\Seen", "$Work"]);
        assert_eq!(to_text(&flags), "\\Seen $Work");
        assert_eq!(from_text(&to_text(&flags)), flags);
        assert!(from_text("").is_empty());
    }

    #[test]
    fn equal_flag_texts_share_one_list() {
        let mut b = FolderFlagsBuilder::with_capacity(3);
        b.push(1, 5, "\\Seen");
        b.push(2, 6, "");
        b.push(4, 7, "\\Seen");
        let f = b.finish();
        assert_eq!(f.lists, [v(&["\\Seen"]), v(&[])]);
        let idx: Vec<(u32, u32, u64)> = f
            .messages
            .iter()
            .map(|m| (m.uid, m.flags, m.modseq))
            .collect();
        assert_eq!(idx, [(1, 0, 5), (2, 1, 6), (4, 0, 7)]);
    }
}
