//! APPEND (RFC 9051 §6.3.12) with APPENDUID (RFC 4315), APPENDLIMIT (RFC 7889) and quota
//! (RFC 9208 `[OVERQUOTA]`). The message is stored exactly as sent; the tagged OK means it
//! is on disk.

use heron_proto_imap::response::code;
use heron_proto_imap::wire::{flag_name, nz, refused_flag};
use heron_store::NewMessage;
use imap_codec::imap_types::datetime::DateTime;
use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_codec::imap_types::flag::Flag;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::Code;

use crate::access::{flag_allowed, is_foreign, noperm, resolve};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent};
use crate::session::append_limit;

/// Run APPEND.
pub async fn execute(
    cx: &mut AsUser<'_>,
    mailbox: Mailbox<'_>,
    flags: Vec<Flag<'_>>,
    date: Option<DateTime>,
    message: LiteralOrLiteral8<'_>,
) -> Result<Done> {
    let name = match name_of(cx.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let Some(access) = resolve(&**cx.store(), cx.user, &name).await? else {
        if is_foreign(&name) {
            return Ok(nonexistent());
        }
        // RFC 9051 §6.3.12: TRYCREATE when the mailbox does not exist.
        return Ok(Done::no("no such mailbox").with(Code::TryCreate));
    };
    if !access.has('i') {
        // RFC 4314 §4: APPEND needs "i".
        return Ok(noperm("appending to this mailbox"));
    }
    let data: Vec<u8> = match message {
        LiteralOrLiteral8::Literal(l) => l.data().to_vec(),
        LiteralOrLiteral8::Literal8(l) => l.data.into_owned(),
    };
    if data.is_empty() {
        return Ok(Done::no("empty message").with(code("CANNOT")));
    }
    if data.len() as u64 > append_limit(&cx.svc.settings) {
        return Ok(Done::no("message too large").with(Code::TooBig));
    }
    // A shared folder's messages count against its owner's quota.
    let folder = access.folder;
    if crate::quota::would_exceed(&cx.svc.dir, folder.user_id, data.len() as u64).await? {
        return Ok(Done::no("mailbox is over quota").with(Code::OverQuota));
    }
    if let Some(why) = flags.iter().find_map(refused_flag) {
        return Ok(Done::bad(why));
    }
    let mut names: Vec<String> = Vec::new();
    for f in &flags {
        let n = flag_name(f);
        // RFC 9051 §2.3.2: \Recent cannot be set by a client.
        if n.eq_ignore_ascii_case("\\Recent") {
            continue;
        }
        // RFC 4314 §4: flags the user may not set are left off.
        if !flag_allowed(&access.rights, &n) {
            continue;
        }
        if !names.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
            names.push(n);
        }
    }
    let adding = crate::keywords::keywords_of(names.iter().map(String::as_str));
    if let Some(d) =
        crate::keywords::room_for(&**cx.store(), &cx.svc.keywords, folder.id, &adding).await?
    {
        return Ok(d);
    }
    let internal_date = date.map(|d| d.as_ref().timestamp());
    let uids = cx
        .store()
        .append_batch(
            folder.id,
            vec![(
                data,
                NewMessage {
                    flags: names,
                    internal_date,
                },
            )],
        )
        .await?;
    let uid = uids.first().copied().unwrap_or(0);
    tracing::debug!(target: "imap", "appended UID {uid} to {name}");
    Ok(Done::ok("APPEND completed").with(Code::AppendUid {
        uid_validity: nz(folder.uidvalidity),
        uid: nz(uid),
    }))
}
