//! RETR (RFC 1939 §5): one whole message, byte-stuffed.

use heron_proto_pop3::{RespCode, err, ok, write_multiline};
use heron_store::Store;

use crate::maildrop::Maildrop;

/// Read a message's bytes, or the reply to send instead.
pub(crate) async fn load(store: &dyn Store, m: &Maildrop, n: u32) -> Result<Vec<u8>, Vec<u8>> {
    let Some(meta) = m.get(n) else {
        return Err(err(None, "no such message"));
    };
    store.read_message(meta).await.map_err(|e| {
        tracing::error!(target: "pop3", "reading message {n} failed: {e}");
        err(Some(RespCode::SysTemp), "cannot read the message now")
    })
}

/// Run RETR.
pub async fn execute(store: &dyn Store, m: &Maildrop, n: u32) -> Vec<u8> {
    match load(store, m, n).await {
        Ok(bytes) => {
            let mut out = ok(&format!("{} octets", bytes.len()));
            out.reserve(bytes.len() + bytes.len() / 32 + 8);
            write_multiline(&bytes, &mut out);
            out
        }
        Err(e) => e,
    }
}
