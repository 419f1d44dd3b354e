//! LIST (RFC 9051 §6.3.9) with LIST-EXTENDED selection/return options (RFC 5258),
//! CHILDREN (RFC 3348), SPECIAL-USE attributes (RFC 6154) and LIST-STATUS (RFC 5819).
//!
//! Several patterns (`LIST "" (a b)`, RFC 5258 §3) list each mailbox matching any of them
//! once. A pattern or reference that is not valid modified UTF-7 matches nothing (OK, no
//! LIST responses): every stored name's wire form is valid.
//!
//! Folders other users share with the user are listed under `Other Users/<owner>/`, and
//! the public folders of the user's domain under `Public Folders/`, when the user holds "l"
//! on them (RFC 4314 §4), with `\Noselect` (`\NonExistent`) parents.
//!
//! Subscriptions are names apart from mailboxes: selection SUBSCRIBED lists the subscribed
//! names matching a pattern, a name without a mailbox as `\NonExistent` (RFC 5258 §3.1);
//! with RECURSIVEMATCH a name matching a pattern that is not subscribed itself but has a
//! subscribed descendant matching no pattern is listed with `("CHILDINFO" ("SUBSCRIBED"))`
//! (RFC 5258 §3.5, §4), so a client listing one level learns where subscriptions lie below.
//!
//! Invariants: a name whose mailbox does not exist but which has mailboxes below it is
//! listed as `\Noselect` (`\NonExistent` under LIST-EXTENDED) so hierarchies stay walkable;
//! every selectable mailbox carries `\HasChildren` or `\HasNoChildren`; special-use
//! attributes are always given; `\Subscribed` only when asked for.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use heron_proto_imap::ListOptions;
use heron_proto_imap::names::{self, DELIMITER};
use heron_proto_imap::response;
use heron_store::{Folder, SharedFolder};
use imap_codec::imap_types::core::{Atom, QuotedChar};
use imap_codec::imap_types::flag::FlagNameAttribute;
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::response::Data;

use crate::access::{public_for, public_name, shared_name};
use crate::cmd::status::push_status;
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::to_mailbox;

/// Run LIST.
pub async fn execute(
    cx: &mut AsUser<'_>,
    reference: Mailbox<'_>,
    pattern: ListMailbox<'_>,
    opts: ListOptions,
) -> Result<Done> {
    let Some(reference) = reference_text(cx, &reference) else {
        // No stored name has a wire form that is not valid modified UTF-7: nothing matches.
        return Ok(Done::ok("LIST completed"));
    };
    let raw: Vec<&[u8]> = if opts.patterns.is_empty() {
        vec![pattern_bytes(&pattern)]
    } else {
        // RFC 5258 §3: several patterns; a mailbox matching any of them is listed once.
        opts.patterns.iter().map(Vec::as_slice).collect()
    };
    let patterns: Vec<String> = raw.iter().filter_map(|p| decode(cx, p)).collect();
    if patterns.len() == 1 && opts.patterns.is_empty() && patterns[0].is_empty() {
        // RFC 9051 §6.3.9: the delimiter and the root of the reference.
        cx.push(&response::data(Data::List {
            items: vec![FlagNameAttribute::Noselect],
            delimiter: QuotedChar::try_from(DELIMITER).ok(),
            mailbox: Mailbox::from(heron_proto_imap::wire::astring("")),
        }));
        return Ok(Done::ok("LIST completed"));
    }
    let full: Vec<String> = patterns
        .iter()
        .map(|p| names::join_reference(&reference, p))
        .collect();
    if full.is_empty() {
        return Ok(Done::ok("LIST completed"));
    }
    let user = cx.user_id();
    // The user's own folders and those shared with it, read side by side.
    let (mut folders, shared) = futures::try_join!(
        async { Ok(cx.store().list_folders(user).await?) },
        shared_with(cx)
    )?;
    let unreadable = add_shared(shared, &mut folders);
    let subs: BTreeSet<String> = if opts.subscribed_only || opts.return_subscribed {
        cx.store()
            .list_subscriptions(user)
            .await?
            .into_iter()
            .collect()
    } else {
        BTreeSet::new()
    };
    let matches = |name: &str| full.iter().any(|p| names::matches(p, name));
    let listed: Vec<(String, Option<&Folder>, bool)> = if opts.subscribed_only {
        subscribed_names(&subs, &folders, opts.recursive, matches)
    } else {
        tree(&folders)
            .into_iter()
            .filter(|(name, _)| matches(name))
            .map(|(name, folder)| (name, folder, false))
            .collect()
    };
    for (name, folder, childinfo) in listed {
        let attrs = attributes(&name, folder, &folders, subs.contains(&name), &opts);
        let mailbox = to_mailbox(cx.enabled.utf8, &name);
        let mut line = response::data(Data::List {
            items: attrs,
            delimiter: QuotedChar::try_from(DELIMITER).ok(),
            mailbox,
        });
        if childinfo {
            // RFC 5258 §4: mbox-list-extended after the name.
            line.truncate(line.len().saturating_sub(2));
            line.extend_from_slice(b" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n");
        }
        cx.push(&line);
        if let (Some(items), Some(f)) = (&opts.status, folder)
            && !unreadable.contains(&f.id)
        {
            push_status(cx, f, &f.name, items).await?;
        }
    }
    Ok(Done::ok("LIST completed"))
}

/// The folders other users share with this one, and its domain's public folders that grant
/// it rights, each under its name in the other users' or the public namespace
/// ([`crate::access`]); both read side by side.
async fn shared_with(cx: &AsUser<'_>) -> Result<Vec<(String, SharedFolder)>> {
    let store = cx.store();
    let (shared, public) = futures::try_join!(
        async { Ok(store.shared_with(cx.user_id()).await?) },
        public_for(&**store, cx.user)
    )?;
    Ok(shared
        .into_iter()
        .map(|s| (shared_name(&s.owner_local, &s.folder.name), s))
        .chain(public.into_iter().map(|s| (public_name(&s.folder.name), s)))
        .collect())
}

/// Add the `shared` folders that let this user see them (the "l" right, RFC 4314 §4) under
/// their names and without their owners' special use; the ids of those it may not read
/// ("r"), whose STATUS is not given.
fn add_shared(shared: Vec<(String, SharedFolder)>, folders: &mut Vec<Folder>) -> HashSet<i64> {
    let mut unreadable = HashSet::new();
    for (name, s) in shared {
        if !s.rights.contains('l') {
            continue;
        }
        if !s.rights.contains('r') {
            unreadable.insert(s.folder.id);
        }
        let mut f = s.folder;
        f.name = name;
        f.special_use = None;
        folders.push(f);
    }
    unreadable
}

/// Selection SUBSCRIBED: each subscribed name that `matches`, with its folder if it has one;
/// with `recursive`, also each name that matches and is not subscribed but has a subscribed
/// descendant that does not match, flagged for CHILDINFO (RFC 5258 §3.5). Sorted by name.
fn subscribed_names<'a>(
    subs: &BTreeSet<String>,
    folders: &'a [Folder],
    recursive: bool,
    matches: impl Fn(&str) -> bool,
) -> Vec<(String, Option<&'a Folder>, bool)> {
    let mut listed: BTreeMap<String, bool> = BTreeMap::new();
    for name in subs {
        if matches(name) {
            listed.insert(name.clone(), false);
        } else if recursive {
            for a in names::ancestors(name).into_iter().filter(|a| matches(a)) {
                if !subs.contains(a) {
                    listed.insert(a.to_owned(), true);
                }
            }
        }
    }
    let by_name: BTreeMap<&str, &Folder> = folders.iter().map(|f| (f.name.as_str(), f)).collect();
    listed
        .into_iter()
        .map(|(name, childinfo)| {
            let folder = by_name.get(name.as_str()).copied();
            (name, folder, childinfo)
        })
        .collect()
}

/// Every existing folder plus the names above them that have no folder, sorted.
pub fn tree(folders: &[Folder]) -> BTreeMap<String, Option<&Folder>> {
    let mut all: BTreeMap<String, Option<&Folder>> = BTreeMap::new();
    for f in folders {
        for a in names::ancestors(&f.name) {
            all.entry(a.to_owned()).or_insert(None);
        }
    }
    for f in folders {
        all.insert(f.name.clone(), Some(f));
    }
    all
}

fn attributes(
    name: &str,
    folder: Option<&Folder>,
    folders: &[Folder],
    subscribed: bool,
    opts: &ListOptions,
) -> Vec<FlagNameAttribute<'static>> {
    let mut attrs = Vec::new();
    let prefix = format!("{name}{DELIMITER}");
    let children = folders.iter().any(|f| f.name.starts_with(&prefix));
    match folder {
        None if opts.extended => attrs.push(ext("NonExistent")),
        None => attrs.push(FlagNameAttribute::Noselect),
        Some(_) => {}
    }
    // RFC 3348 / RFC 5258 §4: children are always reported.
    attrs.push(ext(if children {
        "HasChildren"
    } else {
        "HasNoChildren"
    }));
    if let Some(su) = folder.and_then(|f| f.special_use.as_deref()) {
        attrs.push(ext(su.trim_start_matches('\\')));
    }
    // RFC 5258 §3.4: a subscribed name has \Subscribed, with or without a mailbox.
    if subscribed && opts.return_subscribed {
        attrs.push(ext("Subscribed"));
    }
    attrs
}

fn ext(name: &str) -> FlagNameAttribute<'static> {
    match Atom::try_from(name.to_owned()) {
        Ok(a) => FlagNameAttribute::from(a),
        Err(_) => FlagNameAttribute::Noselect,
    }
}

/// The reference name as UTF-8 (wildcards are not special in it).
pub fn reference_text(cx: &AsUser<'_>, m: &Mailbox<'_>) -> Option<String> {
    match m {
        Mailbox::Inbox => Some("INBOX".into()),
        Mailbox::Other(o) => decode(cx, o.inner().as_ref()),
    }
}

/// The pattern as UTF-8; `None` when it is not valid modified UTF-7 (so no stored name
/// can match it).
pub fn pattern_text(cx: &AsUser<'_>, p: &ListMailbox<'_>) -> Option<String> {
    decode(cx, pattern_bytes(p))
}

fn pattern_bytes<'a>(p: &'a ListMailbox<'_>) -> &'a [u8] {
    match p {
        ListMailbox::Token(t) => t.as_ref(),
        ListMailbox::String(st) => st.as_ref(),
    }
}

fn decode(cx: &AsUser<'_>, raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    if cx.enabled.utf8 && !text.is_ascii() {
        return Some(text.to_owned());
    }
    names::decode_mutf7(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn listed(subs: &BTreeSet<String>, recursive: bool, patterns: &[&str]) -> Vec<(String, bool)> {
        let matches = |n: &str| patterns.iter().any(|p| names::matches(p, n));
        subscribed_names(subs, &[], recursive, matches)
            .into_iter()
            .map(|(n, f, childinfo)| {
                assert!(f.is_none());
                (n, childinfo)
            })
            .collect()
    }

    #[test]
    fn recursivematch_names_parents_of_subscriptions_the_patterns_miss() {
        let s = subs(&["a/b/c", "a/x", "t/t", "u", "u/v"]);
        let own = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
        };
        assert_eq!(listed(&s, false, &["%"]), own(&[("u", false)]));
        assert_eq!(
            listed(&s, true, &["%"]),
            own(&[("a", true), ("t", true), ("u", false)])
        );
        // The child matches a pattern itself: its parent is not named for it.
        assert_eq!(listed(&s, true, &["t*"]), own(&[("t/t", false)]));
        assert_eq!(
            listed(&s, true, &["a/%", "a"]),
            own(&[("a", true), ("a/b", true), ("a/x", false)])
        );
        // A subscribed parent is listed as itself.
        assert_eq!(listed(&s, true, &["u"]), own(&[("u", false)]));
    }
}
