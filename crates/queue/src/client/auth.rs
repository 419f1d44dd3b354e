//! SMTP AUTH (RFC 4954) for relaying through a gateway: PLAIN (RFC 4616) when offered,
//! else LOGIN.
//!
//! Invariants: credentials are never logged; an exchange has a fixed number of steps, so a
//! server that keeps sending 334 challenges cannot keep us in it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tracing::info;

use super::stream::Stream;
use super::{ClientError, Credentials};
use heron_proto_smtp::client::Extensions;
use heron_proto_smtp::client::reply::{AUTH_CONTINUE, AUTH_SUCCEEDED};

/// Authenticates with `creds`, by the best mechanism the server offers.
pub(crate) async fn authenticate(
    stream: &mut Stream,
    ext: &Extensions,
    creds: &Credentials,
) -> Result<(), ClientError> {
    if ext.has_auth("PLAIN") {
        plain(stream, creds).await?;
    } else if ext.has_auth("LOGIN") {
        login(stream, creds).await?;
    } else if ext.auth.is_empty() {
        return Err(ClientError::Protocol(
            "credentials are configured but the server offers no AUTH".into(),
        ));
    } else {
        return Err(ClientError::Protocol(format!(
            "no supported AUTH mechanism among {}",
            ext.auth.join(" ")
        )));
    }
    info!(target: "delivery", user = %creds.user, "authenticated");
    Ok(())
}

/// RFC 4616: `authzid NUL authcid NUL passwd`, sent as the initial response (RFC 4954 §4).
async fn plain(stream: &mut Stream, creds: &Credentials) -> Result<(), ClientError> {
    let token = BASE64.encode(format!("\0{}\0{}", creds.user, creds.password));
    let mut answer = stream
        .command(&format!("AUTH PLAIN {token}\r\n"), "AUTH")
        .await?;
    if answer.reply.code == AUTH_CONTINUE {
        // A server that ignored the initial response asks for it with an empty challenge.
        answer = stream.command(&format!("{token}\r\n"), "AUTH").await?;
    }
    finish(stream, answer.reply).await
}

/// LOGIN: user name and password, each after a 334 challenge.
async fn login(stream: &mut Stream, creds: &Credentials) -> Result<(), ClientError> {
    let mut answer = stream.command("AUTH LOGIN\r\n", "AUTH").await?;
    for secret in [&creds.user, &creds.password] {
        if answer.reply.code != AUTH_CONTINUE {
            return finish(stream, answer.reply).await;
        }
        answer = stream
            .command(&format!("{}\r\n", BASE64.encode(secret)), "AUTH")
            .await?;
    }
    finish(stream, answer.reply).await
}

/// 235 is success; a further challenge is cancelled (RFC 4954 §4, "*"); anything else is
/// a refusal.
async fn finish(stream: &mut Stream, reply: super::Reply) -> Result<(), ClientError> {
    if reply.code == AUTH_SUCCEEDED {
        return Ok(());
    }
    if reply.code == AUTH_CONTINUE {
        let cancelled = stream.command("*\r\n", "AUTH").await?;
        return Err(ClientError::Rejected {
            stage: "AUTH",
            reply: cancelled.reply,
        });
    }
    Err(ClientError::Rejected {
        stage: "AUTH",
        reply,
    })
}
