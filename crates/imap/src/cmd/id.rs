//! ID (RFC 2971): log what the client says it is, say what the server is (no version, so
//! nothing useful leaks to a scanner).

use heron_proto_imap::response;
use heron_proto_imap::wire::{istring, nstring};
use imap_codec::imap_types::core::{IString, NString};
use imap_codec::imap_types::response::Data;

use crate::cx::Wire;
use crate::done::Done;
use crate::error::Result;

/// Run ID.
pub async fn execute(
    wire: &mut Wire,
    params: Option<Vec<(IString<'_>, NString<'_>)>>,
) -> Result<Done> {
    if let Some(p) = params {
        let text: Vec<String> = p
            .iter()
            .take(30)
            .map(|(k, v)| {
                let v = v.0.as_ref().map_or_else(
                    || "NIL".to_owned(),
                    |v| String::from_utf8_lossy(v.as_ref()).into_owned(),
                );
                format!("{}={}", String::from_utf8_lossy(k.as_ref()), v)
            })
            .collect();
        tracing::info!(target: "imap", "client id: {}", text.join(", "));
    }
    wire.push(&response::data(Data::Id {
        parameters: Some(vec![(
            istring(b"name".to_vec()),
            nstring(Some(b"Heron".to_vec())),
        )]),
    }));
    Ok(Done::ok("ID completed"))
}
