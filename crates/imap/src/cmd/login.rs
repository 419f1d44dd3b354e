//! LOGIN (RFC 9051 §6.2.3): refused before TLS on connections from other machines
//! (LOGINDISABLED is announced there, SEC-8).

use heron_directory::AuthError;
use heron_proto_imap::response::code;
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::secret::Secret;

use crate::auth;
use crate::done::Done;
use crate::error::Result;
use crate::session::Session;

/// Run LOGIN.
pub async fn execute(
    s: &mut Session<'_>,
    username: AString<'_>,
    password: Secret<AString<'_>>,
) -> Result<Done> {
    if !s.plaintext_ok() {
        // RFC 9051 §6.2.3: LOGINDISABLED means LOGIN must be refused.
        return Ok(Done::no("use STARTTLS before LOGIN")
            .with(code("PRIVACYREQUIRED"))
            .counted());
    }
    let name = String::from_utf8_lossy(username.as_ref())
        .trim()
        .to_lowercase();
    let pw = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
    let ip = s.info.peer.ip();
    match s.dir().authenticate_from(ip, &name, &pw).await {
        Ok(user) => Ok(auth::enter(s, user, name).await),
        Err(AuthError::Failed(why)) => Ok(auth::failed(&name, why)),
        Err(AuthError::Internal(e)) => Ok(auth::unavailable(&e)),
    }
}
