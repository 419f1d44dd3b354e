//! CREATE (RFC 9051 §6.3.4), with a special use (CREATE-SPECIAL-USE, RFC 6154 §3): missing
//! superior names are created too; INBOX and existing names are refused with
//! `[ALREADYEXISTS]`.
//!
//! Invariants: a special use the server does not keep on a mailbox (RFC 6154 §2: \All and
//! \Flagged are virtual here; unknown names; more than one use) is refused with `NO
//! [USEATTR]` before anything is created; superior names never get the special use. The
//! mailbox limits (`limits.rs`: name length and depth, then the number of mailboxes the user
//! would have with the missing superiors, then the storage quota the new names take) are
//! checked before anything is created.

use std::collections::HashSet;

use heron_proto_imap::names::ancestors;
use heron_proto_imap::response::code;
use heron_store::{Store, StoreError};
use imap_codec::imap_types::mailbox::Mailbox;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::limits::{MailboxLimits, over_quota};
use crate::mailbox::name_of;

/// Special uses a mailbox can be created with, as stored.
const USES: &[&str] = &["\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"];

/// Run CREATE; `uses` are the attributes of a `USE (...)` parameter, if one was given.
pub async fn execute(
    cx: &mut AsUser<'_>,
    mailbox: Mailbox<'_>,
    uses: Option<Vec<String>>,
) -> Result<Done> {
    let name = match name_of(cx.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let special = match special_use(uses.as_deref().unwrap_or_default()) {
        Ok(u) => u,
        Err(d) => return Ok(d),
    };
    match crate::access::split_public(&name) {
        Some(Some(folder)) if special.is_none() => {
            return crate::shared_create::create_public(cx, folder).await;
        }
        Some(_) => {
            return Ok(crate::access::noperm(
                "public folders are created by the domain administrator",
            ));
        }
        None => {}
    }
    match crate::access::split_shared(&name) {
        // RFC 4314 §4: below another user's folder with "k" there.
        Some((owner, Some(folder))) if special.is_none() => {
            return crate::shared_create::create(cx, owner, folder).await;
        }
        Some(_) => {
            return Ok(crate::access::noperm(
                "mailboxes of other users are created by them",
            ));
        }
        None => {}
    }
    let limits = MailboxLimits::from_settings(&cx.svc.settings);
    if let Err(d) = limits.check_name(&name) {
        return Ok(d);
    }
    let user = cx.user_id();
    let existing = cx.store().list_folders(user).await?;
    let names: HashSet<&str> = existing.iter().map(|f| f.name.as_str()).collect();
    if name == "INBOX" || names.contains(name.as_str()) {
        return Ok(Done::no("mailbox already exists").with(code("ALREADYEXISTS")));
    }
    let missing: Vec<&str> = ancestors(&name)
        .into_iter()
        .filter(|p| !names.contains(p))
        .collect();
    if let Err(d) = limits.check_count(existing.len(), missing.len() + 1) {
        return Ok(d);
    }
    let mut written: Vec<String> = missing.iter().map(|p| p.to_string()).collect();
    written.push(name.clone());
    if let Some(d) = over_quota(&cx.svc.dir, cx.user, &written, &[]).await? {
        return Ok(d);
    }
    for parent in missing {
        create(&**cx.store(), user, parent).await?;
    }
    match cx.store().create_folder(user, &name, special).await {
        Ok(_) => Ok(Done::ok("CREATE completed")),
        Err(StoreError::Conflict(_)) => {
            Ok(Done::no("mailbox already exists").with(code("ALREADYEXISTS")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The one special use to store for the attributes asked for (none for `USE ()`).
fn special_use(attrs: &[String]) -> std::result::Result<Option<&'static str>, Done> {
    let mut chosen: Option<&'static str> = None;
    for a in attrs {
        let Some(&known) = USES.iter().find(|u| u.eq_ignore_ascii_case(a)) else {
            return Err(Done::no(format!("special use {a} is not supported")).with(code("USEATTR")));
        };
        if chosen.is_some_and(|c| c != known) {
            return Err(Done::no("only one special use per mailbox").with(code("USEATTR")));
        }
        chosen = Some(known);
    }
    Ok(chosen)
}

/// Create a folder, tolerating a concurrent creation of the same name.
pub async fn create(store: &dyn Store, user: i64, name: &str) -> Result<()> {
    match store.create_folder(user, name, None).await {
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn special_uses() {
        assert_eq!(special_use(&[]).ok(), Some(None));
        assert_eq!(special_use(&attrs(&["\\sent"])).ok(), Some(Some("\\Sent")));
        assert_eq!(
            special_use(&attrs(&["\\Trash", "\\TRASH"])).ok(),
            Some(Some("\\Trash"))
        );
        for bad in [
            &["\\All"][..],
            &["\\Flagged"],
            &["\\Bogus"],
            &["Sent"],
            &["\\Sent", "\\Junk"],
        ] {
            let d = special_use(&attrs(bad)).err().map(|d| d.code);
            assert!(
                matches!(d, Some(Some(c)) if c == code("USEATTR")),
                "{bad:?}"
            );
        }
    }
}
