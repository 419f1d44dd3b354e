//! QUIT (RFC 1939 §4 and §6): in TRANSACTION state, enter UPDATE: remove the messages marked
//! deleted, then release the maildrop. Before login it only closes.

use heron_proto_pop3::{RespCode, err, ok};
use heron_store::Store;

use crate::maildrop::Maildrop;
use crate::session::State;

/// Run QUIT: in the TRANSACTION state, remove the messages marked deleted (UPDATE, RFC 1939
/// §6) and give the maildrop lock back before the reply, so a client that logs in again at
/// once finds it free. The session closes after the reply either way.
pub async fn execute(store: &dyn Store, state: &mut State) -> Vec<u8> {
    let after = State::Authorization { user: None };
    let State::Transaction(drop) = std::mem::replace(state, after) else {
        return ok("bye");
    };
    let drop = *drop;
    let out = update(store, &drop).await;
    drop.lock.release().await;
    out
}

/// The UPDATE state: remove the messages marked deleted.
async fn update(store: &dyn Store, drop: &Maildrop) -> Vec<u8> {
    let uids = drop.deleted_uids();
    if uids.is_empty() {
        return ok("bye");
    }
    match store.expunge(drop.folder, &uids).await {
        Ok(removed) => {
            tracing::info!(target: "pop3", "update: {} messages removed", removed.len());
            ok(&format!("bye, {} messages deleted", removed.len()))
        }
        Err(e) => {
            tracing::error!(target: "pop3", "update failed: {e}");
            err(Some(RespCode::SysTemp), "some deleted messages not removed")
        }
    }
}
