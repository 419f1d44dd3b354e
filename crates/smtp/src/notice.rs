//! Notices the SMTP service sends to administrators: a domain reached its disk limit
//! (DOM-4). Sent once per domain while this process runs, into the INBOX of every domain
//! administrator (or the domain's postmaster when it has none).

use heron_store::{Domain, NewMessage, Role};

use crate::SmtpService;

/// Warn a domain's administrators that mail is being refused for lack of space.
pub async fn domain_over_limit(svc: &SmtpService, d: &Domain, used: u64) {
    let first = svc
        .warned
        .lock()
        .map(|mut w| w.insert(d.id))
        .unwrap_or(false);
    if !first {
        return;
    }
    let store = svc.dir.store();
    let users = store.list_users(d.id).await.unwrap_or_default();
    let mut admins: Vec<_> = users
        .iter()
        .filter(|u| u.role == Role::DomainAdmin && !u.disabled)
        .cloned()
        .collect();
    if admins.is_empty()
        && let Ok(r) = svc.dir.resolve(&format!("postmaster@{}", d.name)).await
    {
        admins = r.mailboxes;
    }
    let mut targets = Vec::new();
    let mut counted = Vec::new();
    for a in &admins {
        if let Ok(Some(f)) = store.get_folder(a.id, "INBOX").await {
            counted.push((a.domain_id, a.id));
            targets.push((
                f.id,
                NewMessage {
                    flags: Vec::new(),
                    internal_date: None,
                },
            ));
        }
    }
    if targets.is_empty() {
        tracing::warn!(target: "smtp", "{} is over its disk limit and has no administrator to warn", d.name);
        return;
    }
    let now = chrono::Utc::now();
    let text = format!(
        "From: Mail server <postmaster@{name}>\r\nTo: Administrators of {name}\r\nSubject: {name} has reached its disk space limit\r\n\
         Date: {date}\r\nMessage-ID: <quota.{id}.{ts}@{name}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         The mailboxes of {name} use {used} bytes, and the domain may use {limit} MB.\r\n\
         Mail for its users is being refused with a temporary error until space is freed or the limit is raised.\r\n",
        name = d.name,
        date = now.format("%a, %d %b %Y %H:%M:%S +0000"),
        id = d.id,
        ts = now.timestamp(),
        limit = d.limits.disk_mb,
    );
    let size = text.len() as u64;
    match store.deliver(text.into_bytes().into(), &targets).await {
        Ok(_) => {
            // OPS-3: each copy put in a mailbox.
            for (domain, user) in counted {
                let e = heron_store::stats::Event::Delivered(size);
                heron_store::stats::recorder().account(domain, Some(user), e);
            }
            tracing::warn!(target: "smtp", "{} is over its disk limit; {} administrators warned", d.name, targets.len())
        }
        Err(e) => {
            tracing::error!(target: "smtp", "warning the administrators of {} failed: {e}", d.name)
        }
    }
}
