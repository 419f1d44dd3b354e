//! Spam and virus filtering of a received message (FILTER-1..6, DOM-3, SEC-10): runs the
//! server's [`Filter`] and turns its verdict into what the hand-off does — refuse at DATA,
//! or accept and add the report headers, tag the subject, file local copies in Junk, drop
//! them, or tell the sender.
//!
//! Invariants: no filtering for unauthenticated clients in `filter.skip_networks`,
//! whitelisted clients or mail within one domain when the settings say so; mail from authenticated users gets only the content checks and the
//! outgoing threshold (FILTER-4), and no X-Spam headers (they would tell the world how this
//! server scores); a notice to the sender is never sent to the null sender, and for incoming
//! mail only as `security.bounces` allows (SEC-10: with `spf-pass`, only when SPF passed).

use std::time::Duration;

use heron_filter::verdict::{DmarcDisposition, Level, Verdict};
use heron_filter::{Envelope, Filter};
use heron_proto_smtp::reply::{self, Reply};
use heron_settings::{Settings, defs};

use crate::envelope::Transaction;
use crate::session::Session;

/// Where the local copies of an accepted message go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalFate {
    /// INBOX or the folder the sub-address named.
    AsAddressed,
    /// Each recipient's Junk folder (special use `\Junk`).
    Junk,
    /// Nowhere: the message is dropped for the local recipients.
    Drop,
}

/// What to do with an accepted message.
#[derive(Debug)]
pub struct Judged {
    /// Header lines to add in front of the message (with CRLF).
    pub head: String,
    /// Text to put in front of the Subject (the `subject` action).
    pub subject_tag: Option<String>,
    pub local: LocalFate,
    /// The remote recipients are dropped too (a virus, blocked outgoing mail).
    pub drop_remote: bool,
    /// Tell the sender the message was not delivered, and why.
    pub notify_sender: Option<String>,
}

impl Judged {
    /// Delivery as addressed, with `head` in front.
    pub fn deliver(head: String) -> Self {
        Self {
            head,
            subject_tag: None,
            local: LocalFate::AsAddressed,
            drop_remote: false,
            notify_sender: None,
        }
    }

    fn dropped(notify_sender: Option<String>) -> Self {
        Self {
            local: LocalFate::Drop,
            drop_remote: true,
            notify_sender,
            ..Self::deliver(String::new())
        }
    }
}

/// The filter's decision about a received message.
#[derive(Debug)]
pub enum Decision {
    /// Refuse it at DATA with this reply.
    Refuse(Reply),
    /// Accept it and do this.
    Accept(Judged),
}

/// Judge `body` (the message as received) of transaction `tx`; `None` when filtering does not
/// apply to it (off, whitelisted client, mail within one domain).
pub async fn judge(
    s: &Session<'_>,
    filter: &Filter,
    tx: &Transaction,
    body: &[u8],
) -> Option<Decision> {
    let settings = filter.settings();
    if !settings.get(defs::FILTER_ENABLED)
        || (s.peer.whitelisted && settings.get(defs::FILTER_SKIP_WHITELISTED))
        || (s.dlg.auth.is_none()
            && heron_filter::gateway::in_networks(
                s.peer.ip,
                &settings.get(defs::FILTER_SKIP_NETWORKS),
            ))
        || (settings.get(defs::FILTER_SKIP_SAME_DOMAIN) && within_one_domain(s, tx).await)
    {
        return None;
    }
    let env = Envelope {
        ip: s.peer.ip,
        helo: s.dlg.helo.as_deref().unwrap_or(""),
        sender: &tx.sender,
        hostname: &s.peer.hostname,
        outgoing: s.dlg.auth.is_some(),
    };
    // Waiting for a slot and the checks together stay within two check deadlines.
    let limit = settings
        .get(defs::FILTER_CHECK_TIMEOUT)
        .max(Duration::from_secs(1))
        .saturating_mul(2);
    let verdict = match tokio::time::timeout(limit, filter.evaluate(&env, body)).await {
        Ok(v) => v,
        Err(_) => {
            let mut v = Verdict::default();
            v.unanswered("filter", "busy");
            v
        }
    };
    let level = verdict.level(settings);
    tracing::info!(target: "smtp", "<{}>: {}", tx.sender, verdict.summary(level));
    Some(decide(&verdict, level, settings, env.outgoing))
}

/// The decision for a verdict: the pure part of [`judge`].
pub fn decide(verdict: &Verdict, level: Level, settings: &Settings, outgoing: bool) -> Decision {
    if let Some(virus) = &verdict.virus {
        return match settings.get(defs::ANTIVIRUS_ACTION).as_str() {
            "reject" => Decision::Refuse(
                reply::VIRUS_REFUSED.with_text(format!("Message refused: it contains {virus}")),
            ),
            "inform-sender" => Decision::Accept(Judged::dropped(Some(format!(
                "The message was not delivered: it contains a virus ({virus})."
            )))),
            _ => Decision::Accept(Judged::dropped(None)),
        };
    }
    let weight = verdict.weight();
    let reached =
        |threshold: u64| threshold != 0 && weight >= i64::try_from(threshold).unwrap_or(i64::MAX);
    if outgoing {
        if !reached(settings.get(defs::FILTER_BLOCK_OUTGOING)) {
            return Decision::Accept(Judged::deliver(String::new()));
        }
        if settings.get(defs::FILTER_BOUNCE_OUTGOING) {
            return Decision::Accept(Judged::dropped(Some(format!(
                "The message was not sent: it was blocked as spam (weight {weight})."
            ))));
        }
        return Decision::Refuse(reply::SPAM_REFUSED.with_text("Message blocked as spam"));
    }
    if verdict.dmarc == DmarcDisposition::Reject {
        return Decision::Refuse(reply::DMARC_REFUSED);
    }
    if reached(settings.get(defs::FILTER_REJECT_INCOMING)) {
        return Decision::Refuse(reply::SPAM_REFUSED);
    }
    let mut judged = Judged::deliver(verdict.header_lines(level));
    let (action, text) = match level {
        Level::None => ("deliver".to_owned(), String::new()),
        Level::Low => (
            settings.get(defs::FILTER_ACTION_LOW),
            settings.get(defs::FILTER_TEXT_LOW),
        ),
        Level::Medium => (
            settings.get(defs::FILTER_ACTION_MEDIUM),
            settings.get(defs::FILTER_TEXT_MEDIUM),
        ),
        Level::High => (
            settings.get(defs::FILTER_ACTION_HIGH),
            settings.get(defs::FILTER_TEXT_HIGH),
        ),
    };
    match action.as_str() {
        "subject" if !text.is_empty() => judged.subject_tag = Some(text),
        "header" => {
            judged.head.push_str("X-Spam-Flag: YES\r\n");
            if !text.is_empty() {
                judged.head.push_str(&format!(
                    "X-Spam-Tag: {}\r\n",
                    heron_filter::verdict::clean(&text)
                ));
            }
        }
        "junk" => judged.local = LocalFate::Junk,
        "delete" => judged.local = LocalFate::Drop,
        "bounce" => {
            judged.local = LocalFate::Drop;
            judged.notify_sender = Some(if text.is_empty() {
                "The message was refused as spam.".to_owned()
            } else {
                text
            });
        }
        _ => {}
    }
    if verdict.dmarc == DmarcDisposition::Quarantine && judged.local == LocalFate::AsAddressed {
        judged.local = LocalFate::Junk;
    }
    if judged.notify_sender.is_some() && !may_notify(settings, verdict) {
        tracing::info!(target: "smtp", "no notice to the sender (security.bounces)");
        judged.notify_sender = None;
    }
    Decision::Accept(judged)
}

/// SEC-10: whether a notice may go back to the sender of an incoming message.
fn may_notify(settings: &Settings, verdict: &Verdict) -> bool {
    match settings.get(defs::BOUNCES).as_str() {
        "enabled" => true,
        "spf-pass" => verdict.spf_pass,
        _ => false,
    }
}

/// Whether the sender and every recipient are in one hosted domain (FILTER-5).
async fn within_one_domain(s: &Session<'_>, tx: &Transaction) -> bool {
    if !tx.remote.is_empty() || tx.local.is_empty() {
        return false;
    }
    let Some((_, domain)) = tx.sender.rsplit_once('@') else {
        return false;
    };
    match s.svc.dir.find_domain(domain).await {
        Ok(Some(d)) => tx.local.iter().all(|u| u.domain_id == d.id),
        _ => false,
    }
}

/// `body` with `tag` and a space in front of its Subject (a Subject field is added when it has
/// none). Only the header block is rewritten.
pub fn tag_subject(body: &[u8], tag: &str) -> Vec<u8> {
    let tag = heron_filter::verdict::clean(tag);
    if let Some(f) = heron_message::fields(body).find(|f| f.is("Subject")) {
        let value_start = f.range.end - f.value.len() - line_end_len(body, f.range.end);
        let mut out = Vec::with_capacity(body.len() + tag.len() + 1);
        out.extend_from_slice(&body[..value_start]);
        out.push(b' ');
        out.extend_from_slice(tag.as_bytes());
        let rest = &body[value_start..];
        // The old value keeps its own leading space, if any.
        if !rest.starts_with(b" ") {
            out.push(b' ');
        }
        out.extend_from_slice(rest);
        return out;
    }
    let mut out = format!("Subject: {tag}\r\n").into_bytes();
    out.extend_from_slice(body);
    out
}

/// Length of the line ending just before `end` (2 for CRLF, 1 for LF, 0 at end of input).
fn line_end_len(body: &[u8], end: usize) -> usize {
    if end >= 2 && &body[end - 2..end] == b"\r\n" {
        2
    } else if end >= 1 && body[end - 1] == b'\n' {
        1
    } else {
        0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_gets_the_tag_in_front() {
        let m = b"From: a@b\r\nSubject: Hello there\r\nTo: c@d\r\n\r\nSubject: body\r\n";
        assert_eq!(
            tag_subject(m, "[SPAM]"),
            b"From: a@b\r\nSubject: [SPAM] Hello there\r\nTo: c@d\r\n\r\nSubject: body\r\n"
        );
        let folded = b"Subject:\r\n folded\r\n\r\nx";
        assert_eq!(
            tag_subject(folded, "[SPAM]"),
            b"Subject: [SPAM] \r\n folded\r\n\r\nx"
        );
        assert_eq!(
            tag_subject(b"From: a@b\r\n\r\nx", "[SPAM]"),
            b"Subject: [SPAM]\r\nFrom: a@b\r\n\r\nx"
        );
    }
}
