//! The folders an import writes to, and what each already holds.
//!
//! A message's folder is the target folder given on the command line for the source's own
//! messages; a Maildir++ subfolder's messages go to the folder named by its levels, joined
//! with the IMAP hierarchy delimiter (`.Archive.2024` → `Archive/2024`), at the top level when
//! the target is INBOX and below the target otherwise (`--folder Old`: `Old/Archive/2024`).
//! Levels are decoded from modified UTF-7, the Maildir++ convention; a level that does not
//! decode is kept as it is.
//!
//! Invariants: a folder is looked up, or created with any missing superior folders (as IMAP
//! CREATE does), only when a message is about to be written to it, so a source that yields
//! nothing importable creates nothing; the duplicate keys of a folder are read once, the first
//! time it is used, and every message written afterwards is added to them, so two copies in
//! one source are caught as well as a copy already stored.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use heron_import::DuplicateKey;
use heron_proto_imap::names::{DELIMITER, ancestors, decode_mutf7, normalize};
use heron_store::{FolderId, Store, UserId};

/// A folder being imported into.
pub struct Target {
    /// The folder's id.
    pub id: FolderId,
    /// The folder's stored name.
    pub name: String,
    /// The keys of its messages, when duplicates are skipped.
    keys: Option<HashSet<DuplicateKey>>,
    /// How many messages this import has added to it.
    added: usize,
}

impl Target {
    /// Records a message with `key` as added to the folder; false, and nothing recorded, when
    /// the folder already holds one with that key (a duplicate). Always true when duplicates
    /// are not looked for (then `key` is not computed).
    pub fn add(&mut self, key: impl FnOnce() -> DuplicateKey) -> bool {
        let new = match &mut self.keys {
            Some(keys) => keys.insert(key()),
            None => true,
        };
        self.added += usize::from(new);
        new
    }
}

/// The folders of one import, by the Maildir++ levels they come from.
pub struct Targets<'a> {
    store: &'a dyn Store,
    user: UserId,
    /// The stored name of the folder given on the command line.
    base: String,
    /// Whether duplicates are looked for.
    skip_duplicates: bool,
    open: HashMap<Vec<String>, Target>,
}

impl<'a> Targets<'a> {
    /// Targets below `base` (a name as given on the command line).
    pub fn new(
        store: &'a dyn Store,
        user: UserId,
        base: &str,
        skip_duplicates: bool,
    ) -> anyhow::Result<Self> {
        let base =
            normalize(base).map_err(|_| anyhow::anyhow!("{base:?} is not a valid folder name"))?;
        Ok(Self {
            store,
            user,
            base,
            skip_duplicates,
            open: HashMap::new(),
        })
    }

    /// The folder for messages from the subfolder with `levels`, opened or created.
    pub async fn get(&mut self, levels: &[String]) -> anyhow::Result<&mut Target> {
        if !self.open.contains_key(levels) {
            let name = folder_name(&self.base, levels)?;
            let target = self.open_folder(name).await?;
            self.open.insert(levels.to_vec(), target);
        }
        self.open
            .get_mut(levels)
            .context("a folder just opened is missing")
    }

    /// The names of the folders messages were added to, in name order.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .open
            .values()
            .filter(|t| t.added > 0)
            .map(|t| t.name.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// Finds or creates the folder `name` and reads its duplicate keys.
    async fn open_folder(&self, name: String) -> anyhow::Result<Target> {
        let store = self.store;
        let folder = match store.get_folder(self.user, &name).await? {
            Some(f) => f,
            None => {
                // Folders made for imported mail are subscribed, so mail clients show them
                // (creating a folder does not subscribe it).
                for parent in ancestors(&name) {
                    if store.get_folder(self.user, parent).await?.is_none() {
                        store.create_folder(self.user, parent, None).await?;
                        store.set_subscription(self.user, parent, true).await?;
                    }
                }
                let folder = store
                    .create_folder(self.user, &name, None)
                    .await
                    .with_context(|| format!("cannot create the folder {name}"))?;
                store.set_subscription(self.user, &name, true).await?;
                folder
            }
        };
        let keys = if self.skip_duplicates {
            Some(stored_keys(store, folder.id).await?)
        } else {
            None
        };
        Ok(Target {
            id: folder.id,
            name: folder.name,
            keys,
            added: 0,
        })
    }
}

/// The duplicate keys of the messages in a folder: from the stored header where it has a
/// Message-ID, else from the message's bytes.
async fn stored_keys(store: &dyn Store, folder: FolderId) -> anyhow::Result<HashSet<DuplicateKey>> {
    let headers: HashMap<u32, Vec<u8>> = store
        .list_headers(folder)
        .await?
        .into_iter()
        .filter_map(|(uid, header)| Some((uid, header?)))
        .collect();
    let mut keys = HashSet::new();
    for meta in store.list_messages(folder).await? {
        let from_header = headers
            .get(&meta.uid)
            .and_then(|h| DuplicateKey::from_header(h, meta.size));
        let key = match from_header {
            Some(key) => key,
            None => DuplicateKey::digest(&store.read_message(&meta).await?),
        };
        keys.insert(key);
    }
    Ok(keys)
}

/// The stored name of the folder for Maildir++ `levels` below `base`.
fn folder_name(base: &str, levels: &[String]) -> anyhow::Result<String> {
    if levels.is_empty() {
        return Ok(base.to_owned());
    }
    let decoded: Vec<String> = levels
        .iter()
        .map(|level| decode_mutf7(level).unwrap_or_else(|_| level.clone()))
        .collect();
    let below = decoded.join(&DELIMITER.to_string());
    let name = if base == "INBOX" {
        below
    } else {
        format!("{base}{DELIMITER}{below}")
    };
    normalize(&name).map_err(|_| anyhow::anyhow!("{name:?} is not a valid folder name"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn levels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn maildir_levels_to_folder_names() {
        assert_eq!(folder_name("INBOX", &[]).unwrap(), "INBOX");
        assert_eq!(folder_name("Old", &[]).unwrap(), "Old");
        assert_eq!(folder_name("INBOX", &levels(&["Sent"])).unwrap(), "Sent");
        assert_eq!(
            folder_name("INBOX", &levels(&["Archive", "2024"])).unwrap(),
            "Archive/2024"
        );
        assert_eq!(
            folder_name("Old", &levels(&["Archive", "2024"])).unwrap(),
            "Old/Archive/2024"
        );
        assert_eq!(
            folder_name("INBOX", &levels(&["Entw&APw-rfe"])).unwrap(),
            "Entwürfe"
        );
        assert_eq!(
            folder_name("INBOX", &levels(&["inbox", "x"])).unwrap(),
            "INBOX/x"
        );
        assert!(folder_name("INBOX", &levels(&["a\u{1}"])).is_err());
    }
}
