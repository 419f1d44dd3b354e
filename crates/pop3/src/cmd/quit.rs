//! QUIT (RFC 1939 §4 and §6): in TRANSACTION state, enter UPDATE: remove the messages marked
//! deleted, then release the maildrop. Before login it only closes.

use heron_proto_pop3::{RespCode, err, ok};

use crate::session::{Flow, Session, State, reply};

/// Run QUIT.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let State::Transaction(drop) = &s.state else {
        return reply(s, &ok("bye"), Flow::Close).await;
    };
    let uids = drop.deleted_uids();
    let folder = drop.folder;
    if uids.is_empty() {
        return reply(s, &ok("bye"), Flow::Close).await;
    }
    match s.svc.dir.store().expunge(folder, &uids).await {
        Ok(removed) => {
            tracing::info!(target: "pop3", "update: {} messages removed", removed.len());
            reply(
                s,
                &ok(&format!("bye, {} messages deleted", removed.len())),
                Flow::Close,
            )
            .await
        }
        Err(e) => {
            tracing::error!(target: "pop3", "update failed: {e}");
            reply(
                s,
                &err(Some(RespCode::SysTemp), "some deleted messages not removed"),
                Flow::Close,
            )
            .await
        }
    }
}
