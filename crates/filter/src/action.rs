//! What happens to a judged message (FILTER-3, FILTER-4, FILTER-6, SEC-10): refused at DATA,
//! or accepted with the report headers and its level's action — delivered, subject tagged,
//! flagged by header, filed in Junk, dropped, or bounced — or, for a virus, the anti-virus
//! action. Pure: the SMTP service carries the decision out, the admin's "test a message"
//! shows it.
//!
//! Invariants: mail from authenticated users (outgoing) gets no X-Spam headers and only the
//! outgoing threshold; an enforced DMARC reject and the incoming threshold refuse before any
//! level action (these are the server's: a recipient's [`Policy`] only sets levels, actions
//! and texts); a notice to the sender of incoming mail is planned only as
//! `security.bounces` allows (SEC-10: with `spf-pass`, only when SPF passed).

use heron_settings::{Settings, defs};

use crate::policy::Policy;
use crate::verdict::{DmarcDisposition, Verdict, clean};

/// Why a message is refused at DATA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The weight reached the incoming threshold.
    Spam,
    /// An authenticated user's message reached the outgoing threshold.
    OutgoingSpam,
    /// The From domain's DMARC policy says reject, and it is honoured.
    Dmarc,
    /// A scanner found this virus and the action is `reject`.
    Virus(String),
}

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
    /// The ARC set to put on top of the copies passed on to other servers.
    pub arc_seal: Option<String>,
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
            arc_seal: None,
        }
    }

    /// Dropped everywhere, with the notice to the sender, if any.
    pub fn dropped(notify_sender: Option<String>) -> Self {
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
    /// Refuse it at DATA.
    Refuse(Refusal),
    /// Accept it and do this.
    Accept(Judged),
}

/// The decision for a verdict under the server's `settings` and a recipient's `policy`.
pub fn decide(verdict: &Verdict, policy: &Policy, settings: &Settings, outgoing: bool) -> Decision {
    if let Some(virus) = &verdict.virus {
        return match settings.get(defs::ANTIVIRUS_ACTION).as_str() {
            "reject" => Decision::Refuse(Refusal::Virus(virus.clone())),
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
        return Decision::Refuse(Refusal::OutgoingSpam);
    }
    if verdict.dmarc == DmarcDisposition::Reject {
        return Decision::Refuse(Refusal::Dmarc);
    }
    if reached(settings.get(defs::FILTER_REJECT_INCOMING)) {
        return Decision::Refuse(Refusal::Spam);
    }
    let level = policy.level(weight);
    let mut judged = Judged::deliver(verdict.header_lines(level));
    judged.arc_seal = verdict.arc_seal.clone();
    let (action, text) = policy.action(level);
    let text = text.to_owned();
    match action {
        "subject" if !text.is_empty() => judged.subject_tag = Some(text),
        "header" => {
            judged.head.push_str("X-Spam-Flag: YES\r\n");
            if !text.is_empty() {
                judged
                    .head
                    .push_str(&format!("X-Spam-Tag: {}\r\n", clean(&text)));
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

/// A word for what [`decide`] would do: `refuse`, or the action taken (`deliver`, `subject`,
/// `header`, `junk`, `delete`, `bounce`, and for viruses `delete` or `inform-sender`).
pub fn planned(
    verdict: &Verdict,
    policy: &Policy,
    settings: &Settings,
    outgoing: bool,
) -> &'static str {
    match decide(verdict, policy, settings, outgoing) {
        Decision::Refuse(_) => "refuse",
        Decision::Accept(j) => {
            match (j.local, j.notify_sender.is_some(), j.subject_tag.is_some()) {
                (_, _, true) => "subject",
                (LocalFate::Junk, _, _) => "junk",
                (LocalFate::Drop, true, _) if verdict.virus.is_some() => "inform-sender",
                (LocalFate::Drop, true, _) => "bounce",
                (LocalFate::Drop, false, _) => "delete",
                (LocalFate::AsAddressed, _, _) if j.head.contains("X-Spam-Flag: YES") => "header",
                (LocalFate::AsAddressed, _, _) => "deliver",
            }
        }
    }
}
