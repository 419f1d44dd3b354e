//! Telling the sender (SPOOL-4, SEC-10, RFC 3461/3464): failure, delay and success reports
//! built as DSNs and handed on like any other mail: into the sender's INBOX when the sender
//! is hosted here, else into the spool with the null sender.
//!
//! Invariants: nothing is ever sent to the null sender (no bounce loops); a report leaves
//! before the spool entry it is about is updated, so a crash can repeat a report but never
//! lose one; with `security.bounces` = `disabled` no report is sent, with `spf-pass` only to
//! hosted senders and senders whose SPF passed on arrival (the log says when one is not sent).

use heron_settings::defs;
use heron_store::{MessageBytes, NewMessage, NewSpoolEntry, SpoolEntry, SpoolRecipient};

use crate::Queue;
use crate::dsn::{self, Action, DsnRecipient, DsnRequest};
use crate::identity::hostname;

/// Largest original returned whole with RET=FULL; larger ones come back as headers only.
const MAX_FULL: usize = 10 * 1024 * 1024;

/// Send one report about `which` recipients of `e` (indexes into `rcpts`, their new state).
pub async fn report(
    q: &Queue,
    e: &SpoolEntry,
    rcpts: &[SpoolRecipient],
    which: &[usize],
    action: Action,
    message: &[u8],
    retry_until: Option<i64>,
) {
    if which.is_empty() {
        return;
    }
    if e.sender.is_empty() {
        tracing::info!(target: "delivery", "#{}: null sender, no {action} report", e.id);
        return;
    }
    let policy = q.settings.get(defs::BOUNCES);
    if !may_report(q, &policy, &e.sender, message).await {
        tracing::info!(target: "delivery", "#{}: {action} report to <{}> not sent (security.bounces = {policy})", e.id, e.sender);
        return;
    }
    let now = chrono::Utc::now().timestamp();
    let list: Vec<DsnRecipient> = which
        .iter()
        .filter_map(|i| rcpts.get(*i))
        .map(|r| dsn_recipient(r, action, now, retry_until))
        .collect();
    let host = hostname(&q.settings);
    let postmaster = format!("MAILER-DAEMON@{host}");
    let bytes = dsn::build(&DsnRequest {
        reporting_mta: &host,
        postmaster: &postmaster,
        to: &e.sender,
        envid: e.envid.as_deref(),
        ret_full: e
            .ret
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("FULL")),
        max_full: MAX_FULL,
        arrival: e.created_at,
        recipients: &list,
        original: message,
    });
    match hand_off(q, &e.sender, bytes).await {
        Ok(()) => {
            tracing::info!(target: "delivery", "#{}: {action} report for {} recipient(s) sent to <{}>", e.id, list.len(), e.sender);
            if action == Action::Failed {
                let bounce = heron_store::stats::Event::Bounce;
                crate::stats::count_for_sender(&q.dir, &e.sender, bounce, 1).await;
            }
        }
        Err(err) => {
            tracing::error!(target: "delivery", "#{}: {action} report to <{}> failed: {err}", e.id, e.sender)
        }
    }
}

fn dsn_recipient(r: &SpoolRecipient, action: Action, now: i64, until: Option<i64>) -> DsnRecipient {
    let reply = r.last_reply.clone();
    let (code, esc) = reply.as_deref().map(split_reply).unwrap_or((
        if action == Action::Delivered {
            250
        } else {
            451
        },
        None,
    ));
    DsnRecipient {
        address: r.address.clone(),
        orcpt: r.orcpt.clone(),
        action,
        status: dsn::status_of(code, esc.as_deref()),
        remote_mta: r.remote.clone(),
        diagnostic: reply,
        last_attempt: now,
        will_retry_until: until,
    }
}

/// The code and enhanced status at the start of a reply text ("550 5.1.1 ..."), wherever
/// they are (a retry-expired note puts the last reply after a prefix).
fn split_reply(text: &str) -> (u16, Option<String>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if w.len() == 3
            && let Ok(code) = w.parse::<u16>()
            && (200..600).contains(&code)
        {
            let esc = words
                .get(i + 1)
                .filter(|e| {
                    e.split('.').count() == 3 && e.chars().all(|c| c.is_ascii_digit() || c == '.')
                })
                .map(|e| e.to_string());
            return (code, esc);
        }
    }
    (451, None)
}

/// SEC-10: whether a report may go to `sender` under `policy`. With `spf-pass`, only to a
/// sender of a hosted domain (this server's own users) or one whose SPF passed when the
/// message arrived, as this server recorded it in the message's Authentication-Results.
async fn may_report(q: &Queue, policy: &str, sender: &str, message: &[u8]) -> bool {
    match policy {
        "enabled" => true,
        "spf-pass" => {
            let hosted = match sender.rsplit_once('@') {
                Some((_, domain)) => q.dir.is_local_domain(domain).await.unwrap_or(false),
                None => false,
            };
            hosted || heron_message::authres::spf_passed(message, &own_names(&q.settings))
        }
        _ => false,
    }
}

/// The names this server writes Authentication-Results under: its host name and the names
/// of its IPs (BIND-3).
fn own_names(settings: &heron_settings::Settings) -> Vec<String> {
    let mut names = vec![hostname(settings)];
    for entry in settings.get(defs::BIND_HOSTNAMES) {
        if let Some((_, name)) = entry.split_once('=') {
            names.push(name.trim().to_owned());
        }
    }
    names
}

/// Deliver generated mail from the null sender to `to`: locally when hosted here, else by the
/// spool.
pub async fn hand_off(q: &Queue, to: &str, bytes: Vec<u8>) -> Result<(), String> {
    hand_off_with(&q.dir, &q.settings, to, bytes).await
}

/// [`hand_off`] for callers without a queue (the SMTP service's filter bounces).
pub async fn hand_off_with(
    dir: &heron_directory::Directory,
    settings: &heron_settings::Settings,
    to: &str,
    bytes: Vec<u8>,
) -> Result<(), String> {
    let res = dir.resolve(to).await.map_err(|e| e.to_string())?;
    let store = dir.store();
    // One body for the mailboxes (behind a Return-Path line) and the spool.
    let body = std::sync::Arc::new(bytes);
    if !res.mailboxes.is_empty() {
        let mut targets = Vec::new();
        for u in &res.mailboxes {
            let folder = dir
                .delivery_folder(u.id, res.folders.of(u.id))
                .await
                .map_err(|e| e.to_string())?;
            targets.push((
                folder.id,
                NewMessage {
                    flags: Vec::new(),
                    internal_date: None,
                },
            ));
        }
        let local = MessageBytes::new(b"Return-Path: <>\r\n".to_vec(), body.clone());
        let size = local.len() as u64;
        store
            .deliver(local, &targets)
            .await
            .map_err(|e| e.to_string())?;
        // OPS-3: each copy put in a mailbox.
        for u in &res.mailboxes {
            heron_store::stats::recorder().account(
                u.domain_id,
                Some(u.id),
                heron_store::stats::Event::Delivered(size),
            );
        }
    }
    if !res.remote.is_empty() {
        let entry = NewSpoolEntry {
            sender: String::new(),
            recipients: res.remote.iter().map(SpoolRecipient::pending).collect(),
            priority: settings.get(defs::PRIORITY_REPORTS).clamp(1, 10) as u8,
            ret: None,
            envid: None,
            next_attempt_at: chrono::Utc::now().timestamp(),
            requiretls: false,
        };
        store
            .spool_insert(MessageBytes::new(Vec::new(), body), entry)
            .await
            .map_err(|e| e.to_string())?;
    }
    if res.is_empty() {
        return Err(format!("<{to}> is a hosted address that does not exist"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_split() {
        assert_eq!(
            split_reply("550 5.1.1 no such user"),
            (550, Some("5.1.1".into()))
        );
        assert_eq!(split_reply("451 busy"), (451, None));
        assert_eq!(
            split_reply("retry period expired; last reply: 452 4.2.2 full"),
            (452, Some("4.2.2".into()))
        );
        assert_eq!(split_reply("nothing here"), (451, None));
    }
}
