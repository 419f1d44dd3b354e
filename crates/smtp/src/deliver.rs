//! The hand-off after DATA or BDAT: loop protection (max hop count), removal of
//! Authentication-Results fields forged in this server's name, spam and virus filtering
//! ([`filtering`]: refusal, then per group of recipients sharing a spam policy the report
//! headers, subject tag, Junk, drop, notice to the sender; ARC seal on forwarded copies;
//! without a filter, the DKIM verdict on signed mail from other servers), the trace and
//! submission headers, then one durable copy for the local mailboxes of each group (with
//! Return-Path) and one spool entry for all remote recipients, each made of the added header
//! lines in front of the one received body (a tagged subject makes one more body), and the
//! archive's copies ([`crate::archive`]). The reply is 250 only when all are on disk; a notice to the sender leaves only after that, so a retried
//! message is not reported twice.

use std::sync::Arc;

use heron_filter::action::{Judged, LocalFate};
use heron_message::{authres, trace};
use heron_proto_smtp::reply::{self, Reply};
use heron_proto_smtp::{Ret, count_received, has_header, received_protocol};
use heron_queue::dsn::{self, DsnRecipient, DsnRequest};
use heron_queue::notify::hand_off_with;
use heron_settings::defs;
use heron_store::stats::Event;
use heron_store::{MessageBytes, NewMessage, NewSpoolEntry, SpoolRecipient};

use crate::envelope::{Transaction, notify_text};
use crate::filtering::{self, Part, Plan};
use crate::session::Session;
use crate::throttle;

/// Deliver an accepted message; the reply to send.
pub async fn accept(s: &Session<'_>, id: &str, tx: Transaction, body: Vec<u8>) -> Reply {
    let max_hops = s.svc.settings.get(defs::SMTP_MAX_HOP_COUNT);
    let hops = count_received(&body);
    if max_hops != 0 && hops as u64 >= max_hops {
        tracing::warn!(target: "smtp", "refused: {hops} Received headers (mail loop?)");
        return reply::TOO_MANY_HOPS;
    }
    // DOM-7: the sender's and its domain's hourly sending limits, or the recipients' bounce
    // limits for null-sender mail from other servers.
    let bounced = if s.dlg.auth.is_none() && tx.sender.is_empty() {
        throttle::with_domains(s.svc, &tx.local).await
    } else {
        Vec::new()
    };
    let throttled = match &s.dlg.auth {
        Some(a) => match crate::spammer::check(s.svc, &a.address).await {
            Some(r) => Some(r),
            None => throttle::check_sending(s.svc, &a.user, &a.address, &a.domain).await,
        },
        None => throttle::check_bounce(s.svc, &bounced).await,
    };
    if let Some(r) = throttled {
        return r;
    }
    // RFC 8601 §5: results claiming this server's name did not come from it.
    let body = authres::strip_own(body, &s.peer.hostname);
    let plan = match s.svc.filter.as_deref() {
        Some(f) => filtering::judge(s, f, &tx, &body).await,
        None => None,
    };
    let parts = match plan {
        Some(Plan::Refuse(why)) => {
            let r = filtering::refusal_reply(&why);
            tracing::info!(target: "smtp", "refused <{}>: {}", tx.sender, r.text);
            return r;
        }
        Some(Plan::Deliver(parts)) => parts,
        None => vec![Part::everyone(
            &tx,
            Judged::deliver(dkim_verdict(s, &body).await.unwrap_or_default()),
        )],
    };
    let added = added_headers(s, id, &tx, &body);
    // One body for the spool and the mailboxes (each tagged subject makes one more): the
    // header lines go in front of it and the store writes them one after the other, so the
    // body is not copied here.
    let body = Arc::new(body);
    let mut copies = Vec::with_capacity(parts.len());
    let mut remote = None;
    for part in &parts {
        let j = &part.judged;
        let body = match &j.subject_tag {
            Some(tag) => Arc::new(filtering::tag_subject(&body, tag)),
            None => body.clone(),
        };
        let mut head = j.head.clone();
        head.push_str(&added);
        if part.remote && !tx.remote.is_empty() && !j.drop_remote {
            // RFC 8617 §4: the ARC set goes above the header fields this server adds.
            let mut top = j.arc_seal.clone().unwrap_or_default();
            top.push_str(&head);
            remote = Some(MessageBytes::new(top.into_bytes(), body.clone()));
        }
        if !part.local.is_empty() && j.local != LocalFate::Drop {
            let mut prefix = trace::return_path(&tx.sender).into_bytes();
            prefix.extend_from_slice(head.as_bytes());
            copies.push((MessageBytes::new(prefix, body), part));
        }
    }
    if !copies.is_empty() {
        crate::dmarc_record::receive(s, &tx, &body);
    }
    let size = added.len() + body.len();
    // DOM-7 and SEC-2: a sender that this message takes over a limit, or whose spam run it
    // completes, is marked before the copy reaches the spool, so the queue holds it. (A copy
    // that then fails to be written was counted all the same: a brake, not a ledger.)
    if let Some(a) = &s.dlg.auth {
        throttle::count_sending(s.svc, &a.user, &a.address, &a.domain, size as u64).await;
        crate::spammer::count(s.svc, &a.address, &body).await;
    }
    let archived = crate::archive::plan(s, &tx, remote.as_ref(), &copies).await;
    // The spool first: when a local copy then fails, the client's retry can only repeat the
    // remote delivery; nothing accepted is lost.
    let written = std::time::Instant::now();
    if let Some(message) = remote
        && let Err(e) = spool(s, &tx, message).await
    {
        tracing::error!(target: "smtp", "spooling failed: {e}");
        return reply::LOCAL_ERROR;
    }
    for (bytes, part) in copies {
        let users = part.local.iter().filter_map(|&i| tx.local.get(i));
        if let Err(e) = local(s, &tx, users, bytes, part.judged.local == LocalFate::Junk).await {
            tracing::error!(target: "smtp", "local delivery failed: {e}");
            return reply::LOCAL_ERROR;
        }
    }
    crate::archive::write(s, archived).await;
    let m = heron_metrics::metrics();
    m.store_write(written.elapsed().as_secs_f64());
    m.received(if s.is_submission() {
        "submission"
    } else {
        "smtp"
    });
    for part in &parts {
        if let Some(text) = &part.judged.notify_sender {
            notify_sender(s, &tx, &part.addresses, text, &body).await;
        }
    }
    if let Some(a) = &s.dlg.auth {
        let remote = tx.remote.iter().map(|r| r.address.as_str());
        crate::greylist::note_correspondents(s.svc, &a.user, remote).await;
    } else if !bounced.is_empty() {
        throttle::count_bounce(s.svc, &bounced).await;
    }
    tracing::info!(
        target: "smtp",
        "accepted {} bytes from <{}> for {} local, {} remote",
        size,
        tx.sender,
        tx.local.len(),
        tx.remote.len()
    );
    reply::MESSAGE_ACCEPTED.with_text(format!("Message accepted as {id}"))
}

/// For mail from other servers (not authenticated clients) that carries a DKIM signature:
/// the verification result as an Authentication-Results header (RFC 8601).
async fn dkim_verdict(s: &Session<'_>, body: &[u8]) -> Option<String> {
    if s.dlg.auth.is_some() {
        return None;
    }
    let dns = s.svc.dns.as_ref()?.get().ok()?;
    heron_mailauth::dkim::verify::authentication_results(&dns, &s.peer.hostname, body).await
}

/// The header lines this server adds in front of the message: Received (RFC 5321 §4.4, built
/// by `heron_message::trace`) and, for authenticated submissions, Message-ID and Date when
/// missing (RFC 6409 §8).
fn added_headers(s: &Session<'_>, id: &str, tx: &Transaction, body: &[u8]) -> String {
    let mut head = String::new();
    let skip = s.dlg.auth.is_some() && s.svc.settings.get(defs::SMTP_SKIP_RECEIVED_AUTH);
    if !skip {
        let tls = s.tls_description();
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S +0000")
            .to_string();
        head.push_str(&trace::received(&trace::Received {
            helo: s.dlg.helo.as_deref(),
            peer: s.peer.ip,
            hostname: &s.peer.hostname,
            protocol: received_protocol(
                s.dlg.esmtp,
                tls.is_some(),
                s.dlg.auth.is_some(),
                tx.params.smtputf8,
            ),
            id,
            tls: tls.as_deref(),
            recipient: match tx.accepted.as_slice() {
                [one] => Some(one),
                _ => None,
            },
            date: &date,
        }));
    }
    if s.dlg.auth.is_some() || s.is_submission() {
        if !has_header(body, "Message-ID") {
            head.push_str(&format!(
                "Message-ID: <{}.{:016x}@{}>\r\n",
                id,
                rand::random::<u64>(),
                s.peer.hostname
            ));
        }
        if !has_header(body, "Date") {
            head.push_str(&format!(
                "Date: {}\r\n",
                chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000")
            ));
        }
    }
    head
}

/// One durable copy for `users` (local recipients of `tx`), each in INBOX, the folder its
/// sub-address named or, with `junk`, its Junk folder; `bytes` starts with Return-Path.
async fn local(
    s: &Session<'_>,
    tx: &Transaction,
    users: impl Iterator<Item = &heron_store::User>,
    bytes: MessageBytes,
    junk: bool,
) -> Result<(), heron_directory::DirectoryError> {
    let dir = &s.svc.dir;
    let mut targets = Vec::with_capacity(tx.local.len());
    let mut counted = Vec::with_capacity(tx.local.len());
    for u in users {
        counted.push((u.domain_id, u.id));
        let junk_folder = match junk {
            true => junk_folder(s, u.id).await?,
            false => None,
        };
        let folder = match junk_folder {
            Some(f) => f,
            None => dir.delivery_folder(u.id, tx.folders.of(u.id)).await?,
        };
        targets.push((
            folder.id,
            NewMessage {
                flags: Vec::new(),
                internal_date: None,
            },
        ));
    }
    let size = bytes.len() as u64;
    dir.store().deliver(bytes, &targets).await?;
    // OPS-3: each copy put in a mailbox.
    let stats = heron_store::stats::recorder();
    for (domain, user) in counted {
        stats.account(domain, Some(user), Event::Delivered(size));
    }
    Ok(())
}

/// The user's Junk folder (special use `\Junk`, RFC 6154), if it has one.
async fn junk_folder(
    s: &Session<'_>,
    user: heron_store::UserId,
) -> Result<Option<heron_store::Folder>, heron_directory::DirectoryError> {
    let folders = s.svc.dir.store().list_folders(user).await?;
    Ok(folders
        .into_iter()
        .find(|f| f.special_use.as_deref() == Some("\\Junk")))
}

/// Tell the sender that the message was not delivered to `addresses`, and why: a failure
/// report (RFC 3464) from MAILER-DAEMON, delivered here or spooled. Never to the null sender.
async fn notify_sender(
    s: &Session<'_>,
    tx: &Transaction,
    addresses: &[String],
    text: &str,
    original: &[u8],
) {
    if tx.sender.is_empty() {
        return;
    }
    let now = chrono::Utc::now().timestamp();
    let recipients: Vec<DsnRecipient> = addresses
        .iter()
        .map(|a| DsnRecipient {
            address: a.clone(),
            orcpt: None,
            action: dsn::Action::Failed,
            status: "5.7.1".to_owned(),
            remote_mta: None,
            diagnostic: Some(format!("550 5.7.1 {text}")),
            last_attempt: now,
            will_retry_until: None,
        })
        .collect();
    let postmaster = format!("MAILER-DAEMON@{}", s.peer.hostname);
    let report = dsn::build(&DsnRequest {
        reporting_mta: &s.peer.hostname,
        postmaster: &postmaster,
        to: &tx.sender,
        envid: tx.params.envid.as_deref(),
        ret_full: false,
        max_full: 0,
        arrival: now,
        recipients: &recipients,
        original,
    });
    match hand_off_with(&s.svc.dir, &s.svc.settings, &tx.sender, report).await {
        Ok(()) => {
            tracing::info!(target: "smtp", "notice sent to <{}>: {text}", tx.sender);
            heron_queue::stats::count_for_sender(&s.svc.dir, &tx.sender, Event::Bounce, 1).await;
        }
        Err(e) => tracing::warn!(target: "smtp", "notice to <{}> failed: {e}", tx.sender),
    }
}

async fn spool(
    s: &Session<'_>,
    tx: &Transaction,
    message: MessageBytes,
) -> Result<(), heron_store::StoreError> {
    let delay = s.svc.settings.get(defs::SPOOL_DELIVERY_DELAY).as_secs() as i64;
    let recipients = tx
        .remote
        .iter()
        .map(|r| SpoolRecipient {
            notify: notify_text(&r.params.notify),
            orcpt: r.params.orcpt.clone(),
            ..SpoolRecipient::pending(r.address.clone())
        })
        .collect();
    // DOM-6: over-size mail may leave at another priority than ordinary mail.
    let threshold = s.svc.settings.get(defs::PRIORITY_OVERSIZE_THRESHOLD);
    let priority = if threshold != 0 && message.len() as u64 > threshold.saturating_mul(1024) {
        s.svc.settings.get(defs::PRIORITY_OVERSIZE)
    } else {
        s.svc.settings.get(defs::PRIORITY_STANDARD)
    };
    let entry = NewSpoolEntry {
        sender: tx.sender.clone(),
        recipients,
        priority: priority.clamp(1, 10) as u8,
        ret: tx
            .params
            .ret
            .map(|r| if r == Ret::Full { "FULL" } else { "HDRS" }.to_owned()),
        envid: tx.params.envid.clone(),
        next_attempt_at: chrono::Utc::now().timestamp() + delay,
        requiretls: tx.params.requiretls,
    };
    s.svc
        .dir
        .store()
        .spool_insert(message, entry)
        .await
        .map(drop)
}
