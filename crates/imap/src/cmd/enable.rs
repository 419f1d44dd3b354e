//! ENABLE (RFC 5161): CONDSTORE, QRESYNC (RFC 7162), IMAP4rev2 (RFC 9051) and UTF8=ACCEPT
//! (RFC 6855). Only what was newly enabled is listed in `* ENABLED`.

use heron_proto_imap::response;
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::extensions::enable::CapabilityEnable;
use imap_codec::imap_types::response::Data;

use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;

/// Run ENABLE.
pub async fn execute(cx: &mut AsUser<'_>, caps: Vec1<CapabilityEnable<'_>>) -> Result<Done> {
    let mut newly = Vec::new();
    for c in caps.into_inner() {
        let name = c.to_string().to_ascii_uppercase();
        let e = &mut cx.enabled;
        let flag = match name.as_str() {
            "CONDSTORE" => &mut e.condstore,
            "QRESYNC" => {
                // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
                e.condstore = true;
                &mut e.qresync
            }
            "IMAP4REV2" => &mut e.rev2,
            "UTF8=ACCEPT" => &mut e.utf8,
            _ => continue,
        };
        if !*flag {
            *flag = true;
            newly.push(c);
        }
    }
    let newly = newly
        .into_iter()
        .map(imap_codec::imap_types::IntoStatic::into_static)
        .collect();
    cx.push(&response::data(Data::Enabled {
        capabilities: newly,
    }));
    Ok(Done::ok("ENABLE completed"))
}
