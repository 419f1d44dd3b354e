//! GETQUOTAROOT (RFC 9208 §4.3): every mailbox is under the root `""` when a limit applies.

use heron_proto_imap::response;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::Data;

use crate::access::resolve;
use crate::cmd::getquota::quota_response;
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::{name_of, nonexistent, to_mailbox};

/// Run GETQUOTAROOT.
pub async fn execute(cx: &mut AsUser<'_>, mailbox: Mailbox<'_>) -> Result<Done> {
    let name = match name_of(cx.enabled.utf8, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    let Some(access) = resolve(&**cx.store(), cx.user, &name).await? else {
        return Ok(nonexistent());
    };
    // Another user's folder is under that user's quota, which is not this user's to see.
    let quota = if access.is_shared(cx.user_id()) {
        None
    } else {
        quota_response(cx).await?
    };
    let roots = if quota.is_some() {
        vec![heron_proto_imap::wire::astring("")]
    } else {
        Vec::new()
    };
    let mailbox = to_mailbox(cx.enabled.utf8, &name);
    cx.push(&response::data(Data::QuotaRoot { mailbox, roots }));
    if let Some(q) = quota {
        cx.push(&q);
    }
    Ok(Done::ok("GETQUOTAROOT completed"))
}
