//! The human-readable first part of a report (RFC 6522 §3): what happened to each recipient
//! in plain words, with the remote server's reply quoted.
//!
//! Invariant: every value from the envelope or a remote server is cleaned first, so the text
//! holds no control characters besides the line ends written here.

use super::report::{clean, date};
use super::{Action, DsnRecipient, DsnRequest};

/// Wrap the text at this many columns (RFC 5322 §2.1.1 recommends 78 at most).
const WIDTH: usize = 72;

/// The text of the first part (LF line ends; the builder writes CRLF).
pub(super) fn human_readable(req: &DsnRequest, host: &str, returned_full: bool) -> String {
    let mut text = String::with_capacity(512 + 256 * req.recipients.len());
    push_wrapped(
        &mut text,
        &format!("This is the mail system at {host}."),
        "",
        "",
    );
    text.push('\n');
    text.push_str(intro(req.recipients));
    text.push_str("\n\n");
    for rcpt in req.recipients {
        recipient(&mut text, rcpt);
    }
    push_wrapped(&mut text, &attachment_note(req, returned_full), "", "");
    text
}

/// The opening sentence, chosen by the worst news in the report.
fn intro(recipients: &[DsnRecipient]) -> &'static str {
    let has = |a: Action| recipients.iter().any(|r| r.action == a);
    if has(Action::Failed) {
        "Your message could not be delivered to one or more recipients.\n\
         The details are below."
    } else if has(Action::Delayed) {
        "Your message has not been delivered yet to the recipients below.\n\
         The mail system will keep trying; there is no need to send it again."
    } else {
        "Your message was delivered to the recipients below."
    }
}

/// One recipient's paragraph.
fn recipient(text: &mut String, rcpt: &DsnRecipient) {
    let address = clean(&rcpt.address, 500);
    let remote = rcpt.remote_mta.as_deref().map(|h| clean(h, 255));
    let line = match (rcpt.action, remote.as_deref()) {
        (Action::Failed, _) => format!(
            "<{address}>: delivery failed permanently ({}).",
            clean(&rcpt.status, 16)
        ),
        (Action::Delayed, _) => match rcpt.will_retry_until {
            Some(until) => format!(
                "<{address}>: not delivered yet; retries continue until {}.",
                date(until)
            ),
            None => format!("<{address}>: not delivered yet; delivery will be retried."),
        },
        (Action::Delivered, Some(host)) => format!("<{address}>: delivered to {host}."),
        (Action::Delivered, None) => format!("<{address}>: delivered."),
        (Action::Relayed, Some(host)) => {
            format!("<{address}>: passed on to {host}, which does not report delivery.")
        }
        (Action::Relayed, None) => {
            format!("<{address}>: passed on to a system that does not report delivery.")
        }
        (Action::Expanded, _) => {
            format!("<{address}>: delivered to a list or alias, which sent it on to its members.")
        }
    };
    push_wrapped(text, &line, "", "    ");
    let reply = rcpt.diagnostic.as_deref().map(|r| clean(r, 900));
    match (reply, remote.as_deref()) {
        (Some(reply), Some(host)) => {
            push_wrapped(
                text,
                &format!("The mail server {host} said: {reply}"),
                "    ",
                "    ",
            );
        }
        (Some(reply), None) => push_wrapped(text, &format!("Reason: {reply}"), "    ", "    "),
        (None, _) => {}
    }
    text.push('\n');
}

/// Append `line` wrapped at spaces to [`WIDTH`] columns, its first line starting with
/// `first` and the others with `rest`, so the part stays plain 7bit text; a longer word
/// stays whole.
fn push_wrapped(text: &mut String, line: &str, first: &str, rest: &str) {
    let mut indent = first;
    let mut column = 0;
    for word in line.split(' ') {
        let len = word.chars().count();
        if column > indent.len() && column + 1 + len > WIDTH {
            text.push('\n');
            indent = rest;
            column = 0;
        }
        if column == 0 {
            text.push_str(indent);
            column = indent.len();
        } else {
            text.push(' ');
            column += 1;
        }
        text.push_str(word);
        column += len;
    }
    text.push('\n');
}

/// What the third part holds.
fn attachment_note(req: &DsnRequest, returned_full: bool) -> String {
    if returned_full {
        "Your original message is attached.".to_string()
    } else if req.ret_full && req.original.len() > req.max_full {
        format!(
            "Your original message is larger than {} bytes, so only its headers are attached.",
            req.max_full
        )
    } else if req.ret_full {
        "Your original message holds binary data, so only its headers are attached.".to_string()
    } else {
        "The headers of your original message are attached.".to_string()
    }
}
