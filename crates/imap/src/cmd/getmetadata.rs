//! GETMETADATA (RFC 5464 §4.2): server entries (mailbox "") or a mailbox's entries, with
//! the MAXSIZE and DEPTH options.
//!
//! Both `/private` and `/shared` entries are the logged-in user's own, on the user's own
//! mailboxes (a folder shared through its ACL does not share its entries), and server
//! entries are kept per user too. The one
//! server-wide entry is `/shared/admin`, read-only, the `mailto:` of `server.postmaster`
//! when that is set (§3.2.1.1).
//!
//! Invariants: an entry asked for by name (DEPTH 0) that does not exist is answered NIL; with
//! DEPTH 1 or infinity only existing entries are listed (§4.2.2); values over MAXSIZE are
//! left out and the largest of them is named by `[METADATA LONGENTRIES n]` (§4.2.1); one
//! METADATA response carries every value, and none is sent when there is nothing to list.

use heron_proto_imap::metadata::{Use, answers, entry_name};
use heron_proto_imap::response;
use heron_proto_imap::wire::{binary_value, istring};
use heron_settings::defs;
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::core::{NString, NString8, Vec1};
use imap_codec::imap_types::extensions::metadata::{
    Depth, Entry, EntryValue, GetMetadataOption, MetadataCode, MetadataResponse,
};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, Data};

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent};

/// What a METADATA command works on: the user's server entries or one of their folders.
pub struct Target {
    /// The folder, or `None` for server entries.
    pub folder: Option<i64>,
}

/// The entries' owner named by the mailbox argument: "" is the server (§4.1).
pub async fn target(
    cx: &AsUser<'_>,
    mailbox: &Mailbox<'_>,
) -> Result<std::result::Result<Target, Done>> {
    if let Mailbox::Other(o) = mailbox
        && o.inner().as_ref().is_empty()
    {
        return Ok(Ok(Target { folder: None }));
    }
    let name = match name_of(cx.enabled.utf8, mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(Err(d)),
    };
    // RFC 5464 §3.3: only a mailbox that exists for the user (the user's own).
    Ok(match cx.store().get_folder(cx.user_id(), &name).await? {
        Some(f) => Ok(Target { folder: Some(f.id) }),
        None => Err(nonexistent()),
    })
}

/// Validated entry names, or the BAD an invalid one gets (§3.2).
pub fn names<'e>(
    entries: impl IntoIterator<Item = &'e Entry<'e>>,
    usage: Use,
) -> std::result::Result<Vec<String>, Done> {
    entries
        .into_iter()
        .map(|e| entry_name(e.as_ref(), usage).map_err(Done::bad))
        .collect()
}

/// Run GETMETADATA.
pub async fn execute(
    cx: &mut AsUser<'_>,
    options: Vec<GetMetadataOption>,
    mailbox: Mailbox<'_>,
    entries: Vec1<Entry<'_>>,
) -> Result<Done> {
    let mut max_size = None;
    let mut depth = Depth::Null;
    for o in options {
        match o {
            GetMetadataOption::MaxSize(n) => max_size = Some(n as usize),
            GetMetadataOption::Depth(d) => depth = d,
        }
    }
    let wanted = match names(entries.as_ref(), Use::Get) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let target = match target(cx, &mailbox).await? {
        Ok(t) => t,
        Err(d) => return Ok(d),
    };
    let mut stored = cx.store().get_metadata(cx.user_id(), target.folder).await?;
    if target.folder.is_none() {
        stored.retain(|(n, _)| n != "/shared/admin");
        let contact = cx.svc.settings.get(defs::SERVER_POSTMASTER);
        if !contact.trim().is_empty() {
            stored.push((
                "/shared/admin".into(),
                format!("mailto:{}", contact.trim()).into(),
            ));
        }
    }
    let (found, longest) = select(&stored, &wanted, &depth, max_size);
    if let Ok(items) = Vec1::try_from(found) {
        cx.push(&response::data(Data::Metadata {
            mailbox: mailbox.into_static(),
            items: MetadataResponse::WithValues(items),
        }));
    }
    let done = Done::ok("GETMETADATA completed");
    Ok(match longest {
        // RFC 5464 §4.2.1: the size of the largest value left out.
        Some(n) => done.with(Code::Metadata(MetadataCode::LongEntries(
            u32::try_from(n).unwrap_or(u32::MAX),
        ))),
        None => done,
    })
}

/// The entries answering the request, in the order asked (each once), and the size of the
/// largest value left out for MAXSIZE.
fn select(
    stored: &[(String, Vec<u8>)],
    wanted: &[String],
    depth: &Depth,
    max_size: Option<usize>,
) -> (Vec<EntryValue<'static>>, Option<usize>) {
    let mut out: Vec<EntryValue<'static>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut longest = None;
    for base in wanted {
        let mut any = false;
        for (name, value) in stored.iter().filter(|(n, _)| answers(base, n, depth)) {
            any |= name == base;
            if !seen.insert(name.clone()) {
                continue;
            }
            if max_size.is_some_and(|m| value.len() > m) {
                longest = longest.max(Some(value.len()));
                continue;
            }
            out.extend(entry_value(name, Some(value.clone())));
        }
        // RFC 5464 §4.2: an entry asked for by name that does not exist is NIL.
        if !any && matches!(depth, Depth::Null) && seen.insert(base.clone()) {
            out.extend(entry_value(base, None));
        }
    }
    (out, longest)
}

/// One entry and its value for a METADATA response: NIL, a string, or a literal8 when it
/// holds NUL.
fn entry_value(name: &str, value: Option<Vec<u8>>) -> Option<EntryValue<'static>> {
    let value = match value {
        None => NString8::NString(NString(None)),
        Some(v) if v.contains(&0) => binary_value(v),
        Some(v) => NString8::NString(NString(Some(istring(v)))),
    };
    // Validated names are atoms or quoted strings, which every entry accepts.
    let entry = Entry::try_from(heron_proto_imap::wire::astring(name)).ok()?;
    Some(EntryValue { entry, value })
}
