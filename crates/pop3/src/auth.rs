//! Entering the TRANSACTION state: once a user is authenticated (USER/PASS or AUTH), lock
//! the maildrop and snapshot the INBOX.

use heron_proto_pop3::{RespCode, err, ok};
use heron_store::User;

use crate::maildrop::Maildrop;
use crate::session::{Flow, Session, State, reply};

/// Finish a successful authentication: lock, load, reply.
pub async fn enter_transaction(s: &mut Session<'_>, user: User, name: &str) -> Flow {
    let lock = match s.svc.locks.try_lock(user.id).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(target: "pop3", "locking the maildrop of {name} failed: {e}");
            return unavailable(s).await;
        }
    };
    let Some(lock) = lock else {
        tracing::info!(target: "pop3", "login of {name}: maildrop in use");
        return reply(
            s,
            &err(
                Some(RespCode::InUse),
                "maildrop already locked by another session",
            ),
            Flow::Continue,
        )
        .await;
    };
    let store = s.svc.dir.store().clone();
    let loaded = async {
        let f = store
            .get_folder(user.id, "INBOX")
            .await?
            .ok_or_else(|| heron_store::StoreError::NotFound("INBOX".into()))?;
        let msgs = store.list_messages(f.id).await?;
        Ok::<_, heron_store::StoreError>((f, msgs))
    }
    .await;
    let (folder, msgs) = match loaded {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(target: "pop3", "loading maildrop of {name} failed: {e}");
            return unavailable(s).await;
        }
    };
    s.svc.dir.record_login(&user).await;
    heron_store::stats::recorder().account(
        user.domain_id,
        Some(user.id),
        heron_store::stats::Event::Login(heron_store::stats::Login::Pop3),
    );
    s.info.set_user(name);
    let deleted = vec![false; msgs.len()];
    let drop = Maildrop {
        user,
        folder: folder.id,
        uidvalidity: folder.uidvalidity,
        msgs,
        deleted,
        lock,
    };
    let (n, size) = drop.stat();
    tracing::info!(target: "pop3", "login {name}: {n} messages, {size} octets");
    s.state = State::Transaction(Box::new(drop));
    reply(
        s,
        &ok(&format!("maildrop has {n} messages ({size} octets)")),
        Flow::Continue,
    )
    .await
}

/// `-ERR [SYS/TEMP]` when the store cannot lock or load the maildrop now.
async fn unavailable(s: &mut Session<'_>) -> Flow {
    reply(
        s,
        &err(
            Some(RespCode::SysTemp),
            "cannot open the maildrop now, try again later",
        ),
        Flow::Continue,
    )
    .await
}

/// Reply to a failed login; it counts as a bad command.
pub async fn failed(s: &mut Session<'_>, name: &str, why: &str) -> Flow {
    tracing::warn!(target: "pop3", "login failed for {name:?}: {why}");
    reply(
        s,
        &err(Some(RespCode::Auth), "authentication failed"),
        Flow::Bad,
    )
    .await
}
