//! Access-control rows as both backends read them: the entries of one folder in order, and
//! the folders shared with a user, one per folder with the rights of all its matching
//! entries together (RFC 4314 §2: a user holds the union of the rights granted to the
//! identifiers that match it; there are no negative rights here).

use crate::model::{AclEntry, Folder, SharedFolder};

/// Rights letters of `a` and `b` together, each once, in the order first seen.
pub fn union(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(a.len() + b.len());
    for c in a.chars().chain(b.chars()) {
        if !out.contains(c) {
            out.push(c);
        }
    }
    out
}

/// Folders from rows `(owner local part, folder, rights)` ordered by owner then folder name,
/// where a folder may come twice (once granted to the user, once to `anyone`).
pub fn merge_shared(rows: Vec<(String, Folder, String)>) -> Vec<SharedFolder> {
    let mut out: Vec<SharedFolder> = Vec::with_capacity(rows.len());
    for (owner_local, folder, rights) in rows {
        match out.last_mut() {
            Some(last) if last.folder.id == folder.id => {
                last.rights = union(&last.rights, &rights);
            }
            _ => out.push(SharedFolder {
                owner_local,
                folder,
                rights,
            }),
        }
    }
    out
}

/// Entries in the order [`crate::AclStore::list_rights`] promises: `anyone` first, then by
/// grantee local part.
pub fn sort_entries(entries: &mut [AclEntry]) {
    entries.sort_by(|a, b| (a.grantee.is_some(), &a.name).cmp(&(b.grantee.is_some(), &b.name)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_keeps_each_letter_once() {
        assert_eq!(union("lrs", "rw"), "lrsw");
        assert_eq!(union("", "l"), "l");
    }
}
