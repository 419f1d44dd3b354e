//! Internal spammer detection (SEC-2): a local account that submits `security.spammer_messages`
//! messages of one body size within `security.spammer_window` is running a mass mailing (a
//! stolen password, a script on a customer's site). The run is logged as an event, reported
//! by mail to `security.spammer_notify` (else `server.postmaster`), and with
//! `security.spammer_suspend` the account's sending is suspended: its submissions are deferred
//! with 451 4.7.1 and the queue holds its mail until the suspension ends or an administrator
//! lifts it on the Blocks page.
//!
//! Invariants: only authenticated submissions count; "same size" is the size of the body
//! (the part after the header, which a mass mailing keeps while its To, Date and Message-ID
//! change); the counts and the suspension live in the store (`heron_directory::blocks`), so
//! every node counts together and honours one suspension; a run is reported once per window;
//! a store failure lets mail through.

use heron_message::header::header_block;
use heron_proto_smtp::reply::{self, Reply};
use heron_settings::defs;

use crate::SmtpService;

/// `Some(451 4.7.1)` while `address`'s sending is suspended after a spam run (never while
/// `security.spammer_suspend` is 0: notify only).
pub async fn check(svc: &SmtpService, address: &str) -> Option<Reply> {
    if svc.settings.get(defs::SPAMMER_SUSPEND).is_zero() {
        return None;
    }
    match svc.dir.sending_suspended(address).await {
        Ok(Some(left)) => {
            tracing::info!(target: "smtp", "sending of {address} suspended ({left} s left)");
            Some(reply::SENDING_SUSPENDED.with_text(format!(
                "Sending of {address} is suspended after a run of identical messages; \
                 try again in {left} s or ask the administrator"
            )))
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(target: "smtp", "sending suspension of {address} unreadable: {e}");
            None
        }
    }
}

/// Count an accepted message of `address` (the received `message`, header and body) under
/// the spam-run rule; on a run, log it, report it and suspend the account when so set.
pub async fn count(svc: &SmtpService, address: &str, message: &[u8]) {
    let size = header_block(message).body(message).len();
    let Some(n) = svc.dir.count_same_size(address, size).await else {
        return;
    };
    let window = svc.settings.get(defs::SPAMMER_WINDOW).as_secs();
    let suspended = svc.dir.suspend_sending(address).await;
    let action = if suspended {
        format!(
            "its sending is suspended for {} s",
            svc.settings.get(defs::SPAMMER_SUSPEND).as_secs()
        )
    } else {
        "its sending goes on".to_owned()
    };
    let text = format!(
        "{address} submitted {n} messages with a body of {size} bytes within {window} s; {action}"
    );
    tracing::warn!(target: "events", "Internal spammer: {text}");
    notify(svc, address, &text).await;
}

/// Tell the configured address of a spam run.
async fn notify(svc: &SmtpService, address: &str, text: &str) {
    let st = &svc.settings;
    let mut to = st.get(defs::SPAMMER_NOTIFY).trim().to_owned();
    if to.is_empty() {
        to = st.get(defs::SERVER_POSTMASTER).trim().to_owned();
    }
    if to.is_empty() {
        return;
    }
    let host = heron_queue::identity::hostname(st);
    let message = notice(&host, &to, address, text);
    match heron_queue::notify::hand_off_with(&svc.dir, st, &to, message).await {
        Ok(()) => tracing::info!(target: "smtp", "spam run of {address} reported to <{to}>"),
        Err(e) => tracing::warn!(target: "smtp", "spam run report to <{to}> failed: {e}"),
    }
}

/// The report: a short plain-text message from MAILER-DAEMON.
fn notice(host: &str, to: &str, address: &str, text: &str) -> Vec<u8> {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000");
    let id = rand::random::<u64>();
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n\
         To: <{to}>\r\n\
         Subject: Possible spam run from {address}\r\n\
         Date: {date}\r\n\
         Message-ID: <spammer.{id:016x}@{host}>\r\n\
         Auto-Submitted: auto-generated\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {text}.\r\n\
         \r\n\
         A run of messages of one size from one account is the mark of a mass mailing:\r\n\
         a stolen password or a script. The Blocks page lists a suspension and lifts it.\r\n"
    )
    .into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_is_a_plain_message() {
        let m = notice(
            "mx.example.test",
            "ops@example.test",
            "bob@example.test",
            "x",
        );
        let m = String::from_utf8(m).unwrap();
        assert!(m.starts_with("From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n"));
        assert!(m.contains("\r\nSubject: Possible spam run from bob@example.test\r\n"));
        assert!(m.contains("\r\n\r\nx.\r\n"));
    }
}
