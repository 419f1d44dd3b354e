//! Which folder a mailbox name designates for the logged-in user, and what that user may
//! do there (RFC 4314). The user's own folders are named as stored, with every right;
//! folders other users of the same domain share are named
//! `Other Users/<owner local part>/<folder>` ([`OTHER_USERS`], RFC 2342's other users'
//! namespace), with the rights their access-control entries grant; the public folders of
//! the user's domain (DOM-5, owned by the domain's hidden owner row, see
//! `heron_store::rules::public`) are named `Public Folders/<folder>` ([`PUBLIC`], RFC
//! 2342's shared namespace), with the rights their entries grant, and every right for a
//! domain administrator of that domain ([`public_admin`]; nobody owns them).
//!
//! Invariants: a shared folder the user holds neither `l` nor `r` on resolves to nothing,
//! exactly like a name that does not exist, so its existence does not leak (RFC 4314 §4);
//! the owner (and the public folders' owner) is looked up in the user's own domain only,
//! so no name reaches another domain's folders; rights are read from the store at each resolution, and for a selected
//! shared folder at each command, so a grant or a revocation counts at the next command.

use heron_proto_imap::acl::ALL_RIGHTS;
use heron_proto_imap::names::DELIMITER;
use heron_proto_imap::response::{self, code};
use heron_store::{Folder, FolderId, PUBLIC_OWNER, Role, SharedFolder, Store, UserId};
use imap_codec::imap_types::response::{Code, StatusKind};

use crate::done::Done;
use crate::error::Result;
use crate::session::{Authed, Session};

/// The prefix of the other users' namespace (without its delimiter).
pub const OTHER_USERS: &str = "Other Users";

/// The prefix of the public folders' namespace (without its delimiter). A plain name rather
/// than `#public`: clients that ignore NAMESPACE (Outlook, most phones) list everything
/// under `""` and show this as one more folder tree, where a `#` prefix reads as noise or
/// is taken for a namespace they do not handle; Thunderbird shows it either way.
pub const PUBLIC: &str = "Public Folders";

/// A folder the user may reach, with the rights the user holds on it.
#[derive(Clone, Debug)]
pub struct Access {
    pub folder: Folder,
    /// Canonical RFC 4314 letters; every right for the owner.
    pub rights: String,
    /// The name the user knows the folder by (the stored name for the owner).
    pub shown: String,
}

impl Access {
    /// Full access to one of the user's own folders.
    pub fn own(folder: Folder) -> Self {
        Self {
            shown: folder.name.clone(),
            folder,
            rights: ALL_RIGHTS.to_owned(),
        }
    }

    /// Whether the user holds right `r`.
    pub fn has(&self, r: char) -> bool {
        self.rights.contains(r)
    }

    /// Whether the folder belongs to another user.
    pub fn is_shared(&self, me: UserId) -> bool {
        self.folder.user_id != me
    }
}

/// Where a name in the other users' namespace points: the owner's local part and the
/// owner's folder name (`None` for `Other Users` itself or `Other Users/<owner>`).
pub fn split_shared(name: &str) -> Option<(&str, Option<&str>)> {
    let rest = name.strip_prefix(OTHER_USERS)?;
    if rest.is_empty() {
        return Some(("", None));
    }
    let rest = rest.strip_prefix(DELIMITER)?;
    match rest.split_once(DELIMITER) {
        Some((owner, folder)) => Some((owner, Some(folder))),
        None => Some((rest, None)),
    }
}

/// Where a name in the public folders' namespace points: the folder's stored name (`None`
/// for `Public Folders` itself).
pub fn split_public(name: &str) -> Option<Option<&str>> {
    let rest = name.strip_prefix(PUBLIC)?;
    if rest.is_empty() {
        return Some(None);
    }
    Some(Some(rest.strip_prefix(DELIMITER)?))
}

/// The name a user sees for the public folder `folder`.
pub fn public_name(folder: &str) -> String {
    format!("{PUBLIC}{DELIMITER}{folder}")
}

/// Whether a name lies in another user's or the public namespace (what the user does not
/// create, rename or get a TRYCREATE for).
pub fn is_foreign(name: &str) -> bool {
    split_shared(name).is_some() || split_public(name).is_some()
}

/// The name a user sees for `owner_local`'s folder `folder`.
pub fn shared_name(owner_local: &str, folder: &str) -> String {
    format!("{OTHER_USERS}{DELIMITER}{owner_local}{DELIMITER}{folder}")
}

/// The folder `name` designates for `me`, with the rights `me` holds; `None` when there is
/// none the user may know of.
pub async fn resolve(store: &dyn Store, me: &Authed, name: &str) -> Result<Option<Access>> {
    let mut public = false;
    let (owner, folder) = if let Some(folder) = split_public(name) {
        public = true;
        let Some(folder) = folder else {
            return Ok(None);
        };
        let Some(owner) = store.public_owner(me.user.domain_id, false).await? else {
            return Ok(None);
        };
        (owner, folder)
    } else if let Some((owner_local, folder)) = split_shared(name) {
        let Some(folder) = folder else {
            return Ok(None);
        };
        let owner_local = owner_local.to_ascii_lowercase();
        let Some(owner) = store.get_user(me.user.domain_id, &owner_local).await? else {
            return Ok(None);
        };
        (owner.id, folder)
    } else {
        return Ok(store.get_folder(me.user.id, name).await?.map(Access::own));
    };
    if owner == me.user.id {
        return Ok(None);
    }
    let Some(found) = store.get_folder(owner, folder).await? else {
        return Ok(None);
    };
    let rights = if public && public_admin(me) {
        ALL_RIGHTS.to_owned()
    } else {
        rights_of(store, me.user.id, found.id).await?
    };
    // RFC 4314 §4: without `l` or `r` the folder is as if it did not exist.
    if !rights.contains(['l', 'r']) {
        return Ok(None);
    }
    Ok(Some(Access {
        folder: found,
        rights,
        shown: name.to_owned(),
    }))
}

/// When the selected folder is another user's: read the user's rights on it again, so a
/// change by its owner counts from the next command; with "r" gone (or the folder), the
/// mailbox is closed (`* OK [CLOSED]`, RFC 7162 §3.2.11) and the session is back in the
/// authenticated state.
pub async fn refresh_selected(s: &mut Session<'_>) -> Result<()> {
    let store = s.store();
    let Some((user, Some(sel))) = s.phase.user_and_view() else {
        return Ok(());
    };
    if sel.folder.user_id == user.user.id {
        return Ok(());
    }
    let admin = public_admin(user)
        && store.public_owner(user.user.domain_id, false).await? == Some(sel.folder.user_id);
    let rights = if admin {
        ALL_RIGHTS.to_owned()
    } else {
        rights_of(&**store, user.user.id, sel.folder.id).await?
    };
    if rights.contains('r') {
        sel.rights = rights;
        return Ok(());
    }
    s.phase.unselect();
    s.push(&response::untagged(
        StatusKind::Ok,
        Some(Code::Closed),
        "access to the mailbox was withdrawn",
    ));
    Ok(())
}

/// Whether `me` administers its domain's public folders over IMAP: a domain administrator
/// holds every right on each of them, whatever their entries say, and creates and renames
/// them ([`crate::public`]).
pub fn public_admin(me: &Authed) -> bool {
    me.user.role == Role::DomainAdmin
}

/// The public folders of `me`'s domain that grant it rights, with those rights (all of them,
/// for a domain administrator).
pub async fn public_for(store: &dyn Store, me: &Authed) -> Result<Vec<SharedFolder>> {
    if !public_admin(me) {
        return Ok(store.public_shared_with(me.user.id).await?);
    }
    let Some(owner) = store.public_owner(me.user.domain_id, false).await? else {
        return Ok(Vec::new());
    };
    let folders = store.list_folders(owner).await?;
    Ok(folders
        .into_iter()
        .map(|folder| SharedFolder {
            owner_local: PUBLIC_OWNER.to_owned(),
            folder,
            rights: ALL_RIGHTS.to_owned(),
        })
        .collect())
}

/// The rights `user` holds on another user's folder: its own entry and `anyone`'s.
pub async fn rights_of(store: &dyn Store, user: UserId, folder: FolderId) -> Result<String> {
    let mut rights = String::new();
    for e in store.list_rights(folder).await? {
        if e.grantee.is_none() || e.grantee == Some(user) {
            rights.push_str(&e.rights);
        }
    }
    Ok(heron_proto_imap::acl::canonical(&rights))
}

/// Whether the rights let a user set flag `name` (RFC 4314 §4): "s" for `\Seen`, "t" for
/// `\Deleted`, "w" for the others.
pub fn flag_allowed(rights: &str, name: &str) -> bool {
    rights.contains(right_for_flag(name))
}

/// The right that setting or clearing flag `name` needs.
pub fn right_for_flag(name: &str) -> char {
    if name.eq_ignore_ascii_case("\\Seen") {
        's'
    } else if name.eq_ignore_ascii_case("\\Deleted") {
        't'
    } else {
        'w'
    }
}

/// `NO [NOPERM]` (RFC 5530) for a command the user's rights do not allow.
pub fn noperm(what: &str) -> Done {
    Done::no(format!("permission denied: {what}")).with(code("NOPERM"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_names() {
        assert_eq!(split_shared("INBOX"), None);
        assert_eq!(split_shared("Other Usersx"), None);
        assert_eq!(split_shared("Other Users"), Some(("", None)));
        assert_eq!(split_shared("Other Users/bob"), Some(("bob", None)));
        assert_eq!(
            split_shared("Other Users/bob/Team/2026"),
            Some(("bob", Some("Team/2026")))
        );
        assert_eq!(shared_name("bob", "Team"), "Other Users/bob/Team");
    }

    #[test]
    fn public_names() {
        assert_eq!(split_public("INBOX"), None);
        assert_eq!(split_public("Public Foldersx"), None);
        assert_eq!(split_public("Public Folders"), Some(None));
        assert_eq!(
            split_public("Public Folders/News/2026"),
            Some(Some("News/2026"))
        );
        assert_eq!(public_name("News"), "Public Folders/News");
        assert!(is_foreign("Public Folders/News"));
        assert!(is_foreign("Other Users/bob"));
        assert!(!is_foreign("Public"));
    }
}
