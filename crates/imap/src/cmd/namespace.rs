//! NAMESPACE (RFC 2342, RFC 9051 §6.3.10): one personal namespace, prefix "" and "/".

use heron_proto_imap::names::DELIMITER;
use heron_proto_imap::response;
use heron_proto_imap::wire::istring;
use imap_codec::imap_types::core::QuotedChar;
use imap_codec::imap_types::extensions::namespace::Namespace;
use imap_codec::imap_types::response::Data;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run NAMESPACE.
pub async fn execute(cx: &mut AsUser<'_>) -> Result<Done> {
    let personal = vec![Namespace::new(
        istring(Vec::new()),
        QuotedChar::try_from(DELIMITER).ok(),
    )];
    cx.push(&response::data(Data::Namespace {
        personal,
        other: Vec::new(),
        shared: Vec::new(),
    }));
    Ok(Done::ok("NAMESPACE completed"))
}
