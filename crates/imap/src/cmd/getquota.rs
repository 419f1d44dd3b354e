//! GETQUOTA (RFC 9208 §4.2): the STORAGE usage and limit of the one quota root `""`.

use heron_proto_imap::response::{self, code};
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::response::Data;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::quota;

/// Run GETQUOTA.
pub async fn execute(cx: &mut AsUser<'_>, root: AString<'_>) -> Result<Done> {
    if !root.as_ref().is_empty() {
        return Ok(Done::no("no such quota root").with(code("NONEXISTENT")));
    }
    match quota_response(cx).await? {
        Some(line) => {
            cx.push(&line);
            Ok(Done::ok("GETQUOTA completed"))
        }
        None => Ok(Done::no("no quota applies").with(code("NONEXISTENT"))),
    }
}

/// `* QUOTA "" (STORAGE used limit)` in KiB, when a limit applies.
pub async fn quota_response(cx: &AsUser<'_>) -> Result<Option<Vec<u8>>> {
    use imap_codec::imap_types::core::Vec1;
    use imap_codec::imap_types::extensions::quota::{QuotaGet, Resource};
    let q = quota::storage(&cx.svc.dir, cx.user).await?;
    if q.limit == 0 {
        return Ok(None);
    }
    let get = QuotaGet::new(Resource::Storage, q.used.div_ceil(1024), q.limit / 1024);
    Ok(Some(response::data(Data::Quota {
        root: heron_proto_imap::wire::astring(""),
        quotas: Vec1::from(get),
    })))
}
