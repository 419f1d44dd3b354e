//! SETMETADATA (RFC 5464 §4.3): set or (NIL) remove server entries (mailbox "") or a
//! mailbox's entries, all or none.
//!
//! Invariants: every name is checked before anything is written (an invalid one is BAD,
//! §3.2); a value over [`MAX_VALUE`] is refused with `NO [METADATA MAXSIZE n]`, more entries
//! than [`MAX_ENTRIES`] on one mailbox (or on the server, per user) with
//! `NO [METADATA TOOMANY]`, and `/shared/admin` on the server is read-only (§3.2.1.1); when
//! the command is refused nothing changes (§4.3), the store applying the batch in one
//! transaction.

use heron_proto_imap::metadata::{MAX_ENTRIES, MAX_VALUE, Use};
use heron_store::{MetadataChange, MetadataWrite};
use imap_codec::imap_types::core::{NString8, Vec1};
use imap_codec::imap_types::extensions::metadata::{EntryValue, MetadataCode};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::Code;

use crate::cmd::getmetadata::{names, target};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run SETMETADATA.
pub async fn execute(
    cx: &mut AsUser<'_>,
    mailbox: Mailbox<'_>,
    entry_values: Vec1<EntryValue<'_>>,
) -> Result<Done> {
    let list = entry_values.into_inner();
    let names = match names(list.iter().map(|ev| &ev.entry), Use::Set) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let mut changes = Vec::with_capacity(list.len());
    for (name, ev) in names.into_iter().zip(list) {
        let value = value_bytes(ev.value);
        if value.as_ref().is_some_and(|v| v.len() > MAX_VALUE) {
            // RFC 5464 §4.3: the largest size the server accepts.
            let max = u32::try_from(MAX_VALUE).unwrap_or(u32::MAX);
            return Ok(Done::no("value too large").with(Code::Metadata(MetadataCode::MaxSize(max))));
        }
        changes.push(MetadataChange { name, value });
    }
    let target = match target(cx, &mailbox).await? {
        Ok(t) => t,
        Err(d) => return Ok(d),
    };
    if target.folder.is_none() && changes.iter().any(|c| c.name == "/shared/admin") {
        // RFC 5464 §3.2.1.1: the administrator's contact is read-only.
        return Ok(Done::no("/shared/admin is read-only"));
    }
    let written = cx
        .store()
        .set_metadata(cx.user_id(), target.folder, &changes, MAX_ENTRIES)
        .await?;
    Ok(match written {
        MetadataWrite::Written => Done::ok("SETMETADATA completed"),
        MetadataWrite::TooMany => {
            Done::no("too many metadata entries").with(Code::Metadata(MetadataCode::TooMany))
        }
    })
}

/// The octets of a value, `None` for NIL.
fn value_bytes(v: NString8<'_>) -> Option<Vec<u8>> {
    match v {
        NString8::NString(n) => n.0.map(|s| s.as_ref().to_vec()),
        NString8::Literal8(l) => Some(l.data.into_owned()),
    }
}
