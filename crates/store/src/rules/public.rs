//! Public folders: folders that belong to a domain rather than to a user (DOM-5). Each
//! domain's public folders are owned by one hidden account row of that domain whose local
//! part is [`PUBLIC_OWNER`], made the first time a public folder is created
//! ([`crate::AclStore::public_owner`]). Everything else about folders (UIDs, UIDVALIDITY,
//! flags, quota counted in the domain's usage, access-control entries) is what any folder
//! has, so both backends keep public folders with the same tables and statements.
//!
//! Invariants: the hidden row is never a user: every query that finds, lists or counts users
//! leaves it out with `local <> '#public'` (so it cannot log in, receive mail, be granted rights or be
//! listed, and it counts in no user limit); only [`crate::DirectoryStore::get_user_by_id`]
//! returns it, for the owner of a folder. Its local part starts with `#`, which no address
//! the directory makes has, and creating a user with it is refused (`Conflict`).

/// The local part of the hidden account that owns a domain's public folders.
pub const PUBLIC_OWNER: &str = "#public";

/// Display name of the hidden account (shown nowhere; helps whoever reads the database).
pub const OWNER_DISPLAY: &str = "Public folders";

/// The SQL (both backends; `?N` becomes `$N` in PostgreSQL) that adds the hidden owner of
/// domain `?1` at time `?2` unless it exists: disabled, with no usable credentials.
pub const INSERT_OWNER: &str = "INSERT INTO users (domain_id, local, credentials, display_name, \
     quota_bytes, role, created_at, disabled) VALUES (?1, '#public', '', 'Public folders', 0, \
     'user', ?2, TRUE) ON CONFLICT (domain_id, local) DO NOTHING";

/// The SQL that finds the hidden owner of domain `?1`.
pub const SELECT_OWNER: &str = "SELECT id FROM users WHERE domain_id = ?1 AND local = '#public'";

/// `Conflict` for a new user whose local part is the hidden owner's.
pub fn refuse_reserved(local: &str) -> crate::Result<()> {
    if local == PUBLIC_OWNER {
        return Err(crate::StoreError::Conflict(format!(
            "user {PUBLIC_OWNER} (reserved for public folders)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_name_the_owner() {
        assert!(INSERT_OWNER.contains(PUBLIC_OWNER));
        assert!(SELECT_OWNER.contains(PUBLIC_OWNER));
        assert!(INSERT_OWNER.contains(OWNER_DISPLAY));
    }
}
