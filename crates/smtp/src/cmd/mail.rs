//! MAIL FROM (RFC 5321 §4.1.1.2): start a transaction, after the checks that need only the
//! sender: submission requires AUTH (PROTO-5), an authenticated client sends only from its
//! own domain (`smtp_in.sender_login_match`), blocked senders (SEC-4), senders of disabled
//! hosted domains, an authenticated sender over its sending throttle (DOM-7), the declared
//! SIZE (RFC 1870).

use heron_proto_smtp::{Body, MailParams, Path, reply};
use heron_settings::defs;

use crate::envelope::Transaction;
use crate::parts::{Answer, Dialogue, Peer};
use crate::policy::sender_blocked;
use crate::{Mode, SmtpService};

/// Run MAIL.
pub async fn execute(
    svc: &SmtpService,
    peer: &Peer,
    d: &mut Dialogue,
    from: Path,
    params: MailParams,
) -> Answer {
    if d.helo.is_none() {
        return Answer::bad(reply::BAD_SEQUENCE.with_text("Send EHLO or HELO first"));
    }
    if d.tx.is_some() {
        return Answer::bad(reply::BAD_SEQUENCE.with_text("Nested MAIL command"));
    }
    if svc.mode == Mode::Submission && d.auth.is_none() && !peer.bypass_ip {
        return Answer::go_on(reply::AUTH_REQUIRED);
    }
    let sender = from.mailbox().map(|m| m.to_string()).unwrap_or_default();
    if params.body == Some(Body::BinaryMime) {
        // Not advertised in EHLO, so not accepted (RFC 3030 §3).
        return Answer::bad(
            reply::PARAMS_NOT_RECOGNIZED.with_text("BODY=BINARYMIME is not supported"),
        );
    }
    let st = &svc.settings;
    if !sender.is_empty() && sender_blocked(&st.get(defs::SMTP_BLOCKED_SENDERS), &sender) {
        tracing::info!(target: "smtp", "blocked sender {sender}");
        return Answer::go_on(reply::SENDER_BLOCKED);
    }
    if let (Some(a), Some(m)) = (&d.auth, from.mailbox())
        && st.get(defs::SMTP_SENDER_LOGIN_MATCH)
    {
        let owner = svc.dir.find_domain(&m.domain).await.ok().flatten();
        if owner.is_none_or(|d| d.id != a.domain.id) {
            tracing::warn!(target: "smtp", "{} may not send as {sender}", a.address);
            // The rule is per domain: any address of the login's own domain may be used.
            let text = format!(
                "Sender address {sender} is not in domain {} of the authenticated user {}",
                a.domain.name, a.address
            );
            return Answer::go_on(reply::SENDER_NOT_OWNED.with_text(text));
        }
    }
    if let Some(m) = from.mailbox()
        && let Ok(Some(d)) = svc.dir.find_domain(&m.domain).await
        && d.disabled
    {
        return Answer::go_on(reply::SENDER_BLOCKED.with_text("Sender domain is disabled"));
    }
    // SEC-2: an account suspended after a spam run, and DOM-7: a throttled sender, are told
    // before they send the message.
    if let Some(a) = &d.auth
        && let Some(r) = match crate::spammer::check(svc, &a.address).await {
            Some(r) => Some(r),
            None => crate::throttle::check_sending(svc, &a.user, &a.address, &a.domain).await,
        }
    {
        return Answer::go_on(r);
    }
    let max_size = d.max_message_size(svc);
    if let Some(size) = params.size
        && max_size.exceeded_by(size)
    {
        return Answer::go_on(max_size.refusal());
    }
    d.tx = Some(Transaction {
        sender,
        params,
        max_size,
        ..Transaction::default()
    });
    Answer::go_on(reply::SENDER_OK)
}
