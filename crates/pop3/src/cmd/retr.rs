//! RETR (RFC 1939 §5): one whole message, byte-stuffed.

use heron_proto_pop3::{RespCode, err, ok, write_multiline};

use crate::session::{Flow, Session, maildrop, reply};

/// Read a message's bytes, or the reply to send instead.
pub(crate) async fn load(s: &mut Session<'_>, n: u32) -> Result<Vec<u8>, Vec<u8>> {
    let Some(m) = maildrop(s) else {
        return Err(err(None, "not logged in"));
    };
    let Some(meta) = m.get(n).cloned() else {
        return Err(err(None, "no such message"));
    };
    s.svc.dir.store().read_message(&meta).await.map_err(|e| {
        tracing::error!(target: "pop3", "reading message {n} failed: {e}");
        err(Some(RespCode::SysTemp), "cannot read the message now")
    })
}

/// Run RETR.
pub async fn execute(s: &mut Session<'_>, n: u32) -> Flow {
    let out = match load(s, n).await {
        Ok(bytes) => {
            let mut out = ok(&format!("{} octets", bytes.len()));
            out.reserve(bytes.len() + bytes.len() / 32 + 8);
            write_multiline(&bytes, &mut out);
            out
        }
        Err(e) => e,
    };
    reply(s, &out, Flow::Continue).await
}
