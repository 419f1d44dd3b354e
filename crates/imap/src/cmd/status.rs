//! STATUS (RFC 9051 §6.3.11) with SIZE (RFC 8438) and HIGHESTMODSEQ (RFC 7162 §3.1.7);
//! also the STATUS responses of LIST-STATUS (RFC 5819).

use heron_proto_imap::response;
use heron_proto_imap::wire::nz;
use heron_store::Folder;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::status::{StatusDataItem, StatusDataItemName};

use crate::access::{noperm, resolve};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent, to_mailbox};

/// Run STATUS.
pub async fn execute(
    cx: &mut AsUser<'_>,
    mailbox: Mailbox<'_>,
    items: &[StatusDataItemName],
) -> Result<Done> {
    let name = match name_of(cx.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let Some(access) = resolve(&**cx.store(), cx.user, &name).await? else {
        return Ok(nonexistent());
    };
    if !access.has('r') {
        // RFC 4314 §4: STATUS needs "r".
        return Ok(noperm("reading this mailbox"));
    }
    push_status(cx, &access.folder, &access.shown, items).await?;
    Ok(Done::ok("STATUS completed"))
}

/// Queue `* STATUS name (...)` for a folder.
pub async fn push_status(
    cx: &mut AsUser<'_>,
    folder: &Folder,
    shown: &str,
    items: &[StatusDataItemName],
) -> Result<()> {
    if items.contains(&StatusDataItemName::HighestModSeq) {
        // RFC 7162 §3.1: STATUS HIGHESTMODSEQ enables CONDSTORE.
        cx.enabled.condstore = true;
    }
    let values = status_items(cx, folder, items).await?;
    let mailbox = to_mailbox(cx.enabled.utf8, shown);
    cx.push(&response::data(Data::Status {
        mailbox,
        items: values.into(),
    }));
    Ok(())
}

/// The values of STATUS items for a folder, read from the store now.
pub async fn status_items(
    cx: &AsUser<'_>,
    folder: &Folder,
    items: &[StatusDataItemName],
) -> Result<Vec<StatusDataItem>> {
    let n = cx.store().folder_counts_of(folder).await?;
    Ok(items
        .iter()
        .map(|i| match i {
            StatusDataItemName::Messages => StatusDataItem::Messages(n.messages),
            // Messages no session has taken the \Recent of yet (RFC 3501 §2.3.2).
            StatusDataItemName::Recent => StatusDataItem::Recent(n.recent),
            StatusDataItemName::UidNext => {
                StatusDataItem::UidNext(nz(folder.uidnext.max(n.max_uid.saturating_add(1))))
            }
            StatusDataItemName::UidValidity => StatusDataItem::UidValidity(nz(folder.uidvalidity)),
            StatusDataItemName::Unseen => StatusDataItem::Unseen(n.unseen),
            StatusDataItemName::Deleted => StatusDataItem::Deleted(n.deleted),
            StatusDataItemName::DeletedStorage => StatusDataItem::DeletedStorage(n.deleted_bytes),
            StatusDataItemName::Size => StatusDataItem::Size(n.bytes),
            StatusDataItemName::HighestModSeq => {
                StatusDataItem::HighestModSeq(folder.highestmodseq.max(n.max_modseq).max(1))
            }
        })
        .collect())
}
