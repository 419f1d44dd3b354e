//! Public folders of a domain (DOM-5), as the domain's administrators manage them: list,
//! add, remove, and grant rights (RFC 4314 letters) to users of the domain or to `anyone`
//! (every user of the domain). The folders belong to the domain's hidden owner row
//! (`heron_store::rules::public`), made when the first one is added; IMAP shows them under
//! `Public Folders/` to the users their entries grant `l`.
//!
//! Invariants: names are checked like IMAP CREATE checks them (non-empty levels, no
//! wildcards, the `imap.max_mailbox_*` limits) before anything is written; a grantee is a
//! user of the folder's own domain or `anyone`, never another domain's user; rights are
//! stored in canonical order (`lrswipkxtea`), an empty set removing the entry; removing a
//! folder removes the folders below it.

use heron_settings::defs;
use heron_store::{Domain, Folder, MAX_ACL_ENTRIES, StoreError, UserId};

use crate::{Directory, DirectoryError, Result};

/// The rights letters of RFC 4314 §2.1 in their canonical order.
pub const RIGHTS: &str = "lrswipkxtea";

/// The hierarchy delimiter of folder names.
const DELIMITER: char = '/';

/// The identifier of every user of the domain.
pub const ANYONE: &str = "anyone";

/// A public folder with its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicFolder {
    /// The folder's name below `Public Folders/`.
    pub name: String,
    pub messages: u32,
    pub bytes: u64,
    /// (`anyone` or the grantee's address, rights letters), `anyone` first.
    pub rights: Vec<(String, String)>,
}

impl Directory {
    /// The public folders of a domain, by name.
    pub async fn list_public(&self, domain: &str) -> Result<Vec<PublicFolder>> {
        let d = self.domain(domain).await?;
        let Some(owner) = self.store.public_owner(d.id, false).await? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for f in self.store.list_folders(owner).await? {
            out.push(self.public_view(&d, f).await?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Add a public folder (and the folders above it that are missing, with no entries).
    pub async fn add_public(&self, domain: &str, name: &str) -> Result<PublicFolder> {
        let d = self.domain(domain).await?;
        self.check_public_name(name)?;
        let owner = self
            .store
            .public_owner(d.id, true)
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("domain {}", d.name)))?;
        let existing = self.store.list_folders(owner).await?;
        if existing.iter().any(|f| f.name == name) {
            return Err(DirectoryError::Exists(format!("public folder {name}")));
        }
        let mut missing: Vec<String> = Vec::new();
        let mut at = 0;
        while let Some(i) = name[at..].find(DELIMITER) {
            let parent = &name[..at + i];
            if !existing.iter().any(|f| f.name == parent) {
                missing.push(parent.to_owned());
            }
            at += i + 1;
        }
        let max = self.settings.get(defs::IMAP_MAX_MAILBOXES);
        if max != 0 && (existing.len() + missing.len() + 1) as u64 > max {
            return Err(DirectoryError::Limit(format!(
                "a domain has at most {max} public folders"
            )));
        }
        for parent in missing {
            match self.store.create_folder(owner, &parent, None).await {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let f = self
            .store
            .create_folder(owner, name, None)
            .await
            .map_err(|e| crate::exists_or(e, &format!("public folder {name}")))?;
        self.public_view(&d, f).await
    }

    /// Remove a public folder with its messages and the folders below it.
    pub async fn remove_public(&self, domain: &str, name: &str) -> Result<()> {
        let (_, owner, folder) = self.public_folder(domain, name).await?;
        let below = format!("{name}{DELIMITER}");
        for f in self.store.list_folders(owner).await? {
            if f.name.starts_with(&below) {
                self.store.delete_folder(f.id).await?;
            }
        }
        Ok(self.store.delete_folder(folder.id).await?)
    }

    /// Set what `grantee` (`anyone`, or a user of the domain by local part or address) may
    /// do in a public folder; empty `rights` removes its entry. The folder as it is after.
    pub async fn grant_public(
        &self,
        domain: &str,
        name: &str,
        grantee: &str,
        rights: &str,
    ) -> Result<PublicFolder> {
        let (d, _, folder) = self.public_folder(domain, name).await?;
        let who = self.public_grantee(&d, grantee).await?;
        let rights = canonical(rights)?;
        if rights.is_empty() {
            self.store.delete_rights(folder.id, who).await?;
        } else if !self
            .store
            .set_rights(folder.id, who, &rights, MAX_ACL_ENTRIES)
            .await?
        {
            return Err(DirectoryError::Limit(format!(
                "a folder has at most {MAX_ACL_ENTRIES} entries"
            )));
        }
        self.public_view(&d, folder).await
    }

    /// The domain, its public folders' owner and the folder called `name`.
    async fn public_folder(&self, domain: &str, name: &str) -> Result<(Domain, UserId, Folder)> {
        let d = self.domain(domain).await?;
        let missing = || DirectoryError::NotFound(format!("public folder {name:?}"));
        if name.chars().any(char::is_control) {
            return Err(missing());
        }
        let owner = self
            .store
            .public_owner(d.id, false)
            .await?
            .ok_or_else(missing)?;
        let folder = self
            .store
            .get_folder(owner, name)
            .await?
            .ok_or_else(missing)?;
        Ok((d, owner, folder))
    }

    /// The entry's grantee: `None` for `anyone`.
    async fn public_grantee(&self, d: &Domain, grantee: &str) -> Result<Option<UserId>> {
        let grantee = grantee.trim();
        if grantee.eq_ignore_ascii_case(ANYONE) {
            return Ok(None);
        }
        let local = match grantee.rsplit_once('@') {
            Some((local, domain)) if domain.eq_ignore_ascii_case(&d.name) => local,
            Some(_) => {
                return Err(DirectoryError::Invalid(format!(
                    "{grantee}: rights on {}'s public folders go to its own users or anyone",
                    d.name
                )));
            }
            None => grantee,
        };
        let local = local.to_lowercase();
        if local.is_empty() || local.chars().any(char::is_control) {
            return Err(DirectoryError::NotFound(format!("user {local:?}")));
        }
        match self.store.get_user(d.id, &local).await? {
            Some(u) => Ok(Some(u.id)),
            None => Err(DirectoryError::NotFound(format!("user {local}@{}", d.name))),
        }
    }

    /// A folder as listed.
    async fn public_view(&self, d: &Domain, f: Folder) -> Result<PublicFolder> {
        let counts = self.store.folder_counts(f.id).await?;
        let rights = self
            .store
            .list_rights(f.id)
            .await?
            .into_iter()
            .map(|e| match e.grantee {
                None => (ANYONE.to_owned(), e.rights),
                Some(_) => (format!("{}@{}", e.name, d.name), e.rights),
            })
            .collect();
        Ok(PublicFolder {
            name: f.name,
            messages: counts.messages,
            bytes: counts.bytes,
            rights,
        })
    }

    /// Check a new public folder's name.
    fn check_public_name(&self, name: &str) -> Result<()> {
        let bad = |why: &str| {
            Err(DirectoryError::Invalid(format!(
                "folder name {name:?}: {why}"
            )))
        };
        if name.is_empty() || name.split(DELIMITER).any(str::is_empty) {
            return bad("levels separated by / may not be empty");
        }
        if name.chars().any(|c| c.is_control() || c == '*' || c == '%') {
            return bad("no control characters, * or %");
        }
        if name.eq_ignore_ascii_case("INBOX") {
            return bad("INBOX is a personal folder");
        }
        let max_len = self.settings.get(defs::IMAP_MAX_MAILBOX_NAME);
        if max_len != 0 && name.len() as u64 > max_len {
            return bad(&format!("longer than {max_len} bytes"));
        }
        let max_depth = self.settings.get(defs::IMAP_MAX_MAILBOX_DEPTH);
        if max_depth != 0 && name.split(DELIMITER).count() as u64 > max_depth {
            return bad(&format!("deeper than {max_depth} levels"));
        }
        Ok(())
    }
}

/// Rights letters in canonical order; the obsolete `c` is `k` and `d` is `xte` (RFC 4314
/// §2.1.1). Any other letter is refused.
pub fn canonical(rights: &str) -> Result<String> {
    let mut wanted = String::new();
    for c in rights.trim().chars() {
        match c {
            'c' => wanted.push('k'),
            'd' => wanted.push_str("xte"),
            c if RIGHTS.contains(c) => wanted.push(c),
            c => {
                return Err(DirectoryError::Invalid(format!(
                    "right {c:?} is not one of {RIGHTS}"
                )));
            }
        }
    }
    Ok(RIGHTS.chars().filter(|&c| wanted.contains(c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_are_canonical() {
        assert_eq!(canonical("rl").ok(), Some("lr".to_owned()));
        assert_eq!(canonical("lrswi").ok(), Some("lrswi".to_owned()));
        assert_eq!(canonical("cd").ok(), Some("kxte".to_owned()));
        assert_eq!(canonical("").ok(), Some(String::new()));
        assert!(canonical("lrz").is_err());
    }
}
