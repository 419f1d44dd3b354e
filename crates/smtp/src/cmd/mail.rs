//! MAIL FROM (RFC 5321 §4.1.1.2): start a transaction, after the checks that need only the
//! sender: submission requires AUTH (PROTO-5), an authenticated client sends only from its
//! own domain (`smtp_in.sender_login_match`), blocked senders (SEC-4), senders of disabled
//! hosted domains, the declared SIZE (RFC 1870).

use heron_proto_smtp::{Body, MailParams, Path, reply};
use heron_settings::defs;

use crate::envelope::Transaction;
use crate::policy::sender_blocked;
use crate::session::{Flow, Session};

/// Run MAIL.
pub async fn execute(s: &mut Session<'_>, from: Path, params: MailParams) -> Flow {
    if s.helo.is_none() {
        return s
            .reply(
                reply::BAD_SEQUENCE.with_text("Send EHLO or HELO first"),
                Flow::Bad,
            )
            .await;
    }
    if s.tx.is_some() {
        return s
            .reply(
                reply::BAD_SEQUENCE.with_text("Nested MAIL command"),
                Flow::Bad,
            )
            .await;
    }
    if s.is_submission() && s.auth.is_none() && !s.bypass_ip {
        return s.reply(reply::AUTH_REQUIRED, Flow::Continue).await;
    }
    let sender = from.mailbox().map(|m| m.to_string()).unwrap_or_default();
    if params.body == Some(Body::BinaryMime) {
        // Not advertised in EHLO, so not accepted (RFC 3030 §3).
        return s
            .reply(
                reply::PARAMS_NOT_RECOGNIZED.with_text("BODY=BINARYMIME is not supported"),
                Flow::Bad,
            )
            .await;
    }
    let st = &s.svc.settings;
    if !sender.is_empty() && sender_blocked(&st.get(defs::SMTP_BLOCKED_SENDERS), &sender) {
        tracing::info!(target: "smtp", "blocked sender {sender}");
        return s.reply(reply::SENDER_BLOCKED, Flow::Continue).await;
    }
    if let (Some(a), Some(m)) = (&s.auth, from.mailbox())
        && st.get(defs::SMTP_SENDER_LOGIN_MATCH)
    {
        let owner = s.svc.dir.find_domain(&m.domain).await.ok().flatten();
        if owner.is_none_or(|d| d.id != a.domain.id) {
            tracing::warn!(target: "smtp", "{} may not send as {sender}", a.address);
            // The rule is per domain: any address of the login's own domain may be used.
            let text = format!(
                "Sender address {sender} is not in domain {} of the authenticated user {}",
                a.domain.name, a.address
            );
            return s
                .reply(reply::SENDER_NOT_OWNED.with_text(text), Flow::Continue)
                .await;
        }
    }
    if let Some(m) = from.mailbox()
        && let Ok(Some(d)) = s.svc.dir.find_domain(&m.domain).await
        && d.disabled
    {
        return s
            .reply(
                reply::SENDER_BLOCKED.with_text("Sender domain is disabled"),
                Flow::Continue,
            )
            .await;
    }
    let max_size = s.max_message_size();
    if let Some(size) = params.size
        && max_size.exceeded_by(size)
    {
        return s.reply(max_size.refusal(), Flow::Continue).await;
    }
    s.tx = Some(Transaction {
        sender,
        params,
        max_size,
        ..Transaction::default()
    });
    s.reply(reply::SENDER_OK, Flow::Continue).await
}
