//! PASS (RFC 1939 §7): check the password for the name given by USER.

use heron_directory::AuthError;
use heron_proto_pop3::{RespCode, err};

use crate::auth::{enter_transaction, failed};
use crate::session::{Flow, Session, State, reply};

/// Run PASS.
pub async fn execute(s: &mut Session<'_>, password: String) -> Flow {
    let State::Authorization { user: Some(name) } = &mut s.state else {
        return reply(s, &err(None, "send USER first"), Flow::Bad).await;
    };
    let name = std::mem::take(name);
    s.state = State::Authorization { user: None };
    let ip = s.info.peer.ip();
    match s.svc.dir.authenticate_from(ip, &name, &password).await {
        Ok(user) => enter_transaction(s, user, &name).await,
        Err(AuthError::Failed(why)) => failed(s, &name, why).await,
        Err(AuthError::Internal(e)) => {
            tracing::error!(target: "pop3", "login check failed: {e}");
            reply(
                s,
                &err(Some(RespCode::SysTemp), "cannot check credentials now"),
                Flow::Continue,
            )
            .await
        }
    }
}
