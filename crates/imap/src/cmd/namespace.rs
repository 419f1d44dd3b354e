//! NAMESPACE (RFC 2342, RFC 9051 §6.3.10): the personal namespace, prefix "" and "/", and
//! the other users' namespace, `Other Users/` (folders other users share, RFC 4314), and
//! the shared namespace, `Public Folders/` (the public folders of the user's domain).

use heron_proto_imap::names::DELIMITER;
use heron_proto_imap::response;
use heron_proto_imap::wire::istring;
use imap_codec::imap_types::core::QuotedChar;
use imap_codec::imap_types::extensions::namespace::Namespace;
use imap_codec::imap_types::response::Data;

use crate::access::{OTHER_USERS, PUBLIC};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run NAMESPACE.
pub async fn execute(cx: &mut AsUser<'_>) -> Result<Done> {
    let delimiter = QuotedChar::try_from(DELIMITER).ok();
    let personal = vec![Namespace::new(istring(Vec::new()), delimiter)];
    let other = vec![Namespace::new(
        istring(format!("{OTHER_USERS}{DELIMITER}").into_bytes()),
        delimiter,
    )];
    cx.push(&response::data(Data::Namespace {
        personal,
        other,
        shared: vec![Namespace::new(
            istring(format!("{PUBLIC}{DELIMITER}").into_bytes()),
            delimiter,
        )],
    }));
    Ok(Done::ok("NAMESPACE completed"))
}
