//! Metadata entries (RFC 5464): how a batch of changes alters the number of entries a
//! mailbox (or the server, per user) holds, checked before anything is written.
//!
//! Invariant: names arrive normalised (ASCII lower case, validated by the protocol layer);
//! the last change of a name in one batch wins.

use std::collections::{BTreeMap, HashSet};

use crate::model::MetadataChange;

/// The changes with one final value per name (a later change of the same name wins).
pub fn last_per_name(changes: &[MetadataChange]) -> BTreeMap<&str, Option<&[u8]>> {
    changes
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_deref()))
        .collect()
}

/// How many entries remain after applying `changes` to the `existing` names.
pub fn count_after(existing: &HashSet<String>, changes: &[MetadataChange]) -> usize {
    let mut n = existing.len();
    for (name, value) in last_per_name(changes) {
        match (existing.contains(name), value.is_some()) {
            (false, true) => n += 1,
            (true, false) => n -= 1,
            _ => {}
        }
    }
    n
}

/// Whether applying `changes` would leave more than `max` entries. Removing entries or
/// replacing values is always allowed, even above the limit (it may have been lowered).
pub fn too_many(existing: &HashSet<String>, changes: &[MetadataChange], max: usize) -> bool {
    let after = count_after(existing, changes);
    after > max && after > existing.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, v: Option<&str>) -> MetadataChange {
        MetadataChange {
            name: name.into(),
            value: v.map(|v| v.as_bytes().to_vec()),
        }
    }

    #[test]
    fn counts_additions_removals_and_replacements() {
        let existing: HashSet<String> = ["/private/a".to_owned(), "/shared/b".to_owned()].into();
        let changes = [
            set("/private/a", Some("x")),
            set("/shared/b", None),
            set("/shared/c", Some("y")),
            set("/shared/d", None),
        ];
        assert_eq!(count_after(&existing, &changes), 2);
        assert!(!too_many(&existing, &changes, 2));
        assert!(too_many(&existing, &[set("/shared/e", Some("z"))], 2));
        // The last change of a name wins.
        let again = [set("/shared/e", Some("z")), set("/shared/e", None)];
        assert_eq!(count_after(&existing, &again), 2);
        // Above a lowered limit, removing still works.
        assert!(!too_many(&existing, &[set("/private/a", None)], 0));
    }
}
