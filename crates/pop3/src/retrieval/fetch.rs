//! One POP-retrieval run of one account (ACCESS-4): log in (STLS or implicit TLS as the
//! account says), list UIDLs, fetch each message whose UIDL is new into the target folder,
//! delete fetched messages unless they are left on the server, and QUIT.
//!
//! Invariants: a UIDL is recorded only after its message is durably stored, so a message is
//! never lost (a crash before the record fetches it again next time at worst) and never
//! stored twice (a recorded UIDL is never fetched again); DELE is only sent for messages
//! whose UIDL is recorded, and only takes effect at a clean QUIT (RFC 1939 §6); a message
//! larger than the limit is skipped and logged, never stored cut short; a message that would
//! take the user past its quota (or its domain past its disk limit) ends the run with
//! "mailbox full", the rest staying on the server; UIDLs the server no longer lists are
//! forgotten.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use heron_store::{NewMessage, PopAccount, PopTls, Store};

use super::RetrievalError;
use super::conn::Conn;
use super::reply;
use super::seal::SealKey;

/// Bounds of a run.
#[derive(Clone, Debug)]
pub struct Bounds {
    /// Largest message fetched, in bytes.
    pub max_message: u64,
    /// Deadline of each network read or write.
    pub wait: Duration,
    /// A PEM file of certificates trusted besides the public roots when certificates are
    /// verified (`pop_retrieval.tls_ca_file`); empty: none.
    pub ca_file: String,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Messages stored.
    pub fetched: usize,
    /// Messages left alone for being too large.
    pub skipped: usize,
    /// Messages deleted on the server.
    pub deleted: usize,
}

/// Fetch `a` once.
pub async fn fetch_account(
    store: &dyn Store,
    key: &SealKey,
    a: &PopAccount,
    b: Bounds,
) -> Result<Outcome, RetrievalError> {
    let password = key.open(a.user_id, &a.password)?;
    let folder = match store.get_folder(a.user_id, &a.folder).await? {
        Some(f) => f,
        None => store.create_folder(a.user_id, &a.folder, None).await?,
    };
    let config = super::tls::config(a.verify_tls, &b.ca_file)?;
    let mut c = Conn::connect(&a.host, a.port, a.tls == PopTls::Tls, &config, b.wait).await?;
    let r = session(store, &mut c, a, folder.id, &password, &config, &b).await;
    drop(password);
    if r.is_err() {
        // End the session politely when the connection still works (a refused login).
        let _ = c.command("QUIT", "QUIT").await;
    }
    r
}

async fn session(
    store: &dyn Store,
    c: &mut Conn,
    a: &PopAccount,
    folder: heron_store::FolderId,
    password: &str,
    config: &std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
    b: &Bounds,
) -> Result<Outcome, RetrievalError> {
    c.status("greeting").await?;
    if a.tls == PopTls::Starttls {
        c.command("STLS", "STLS").await?;
        c.starttls(config).await?;
    }
    c.command("USER", &format!("USER {}", a.login)).await?;
    c.command("PASS", &format!("PASS {password}")).await?;

    c.command("UIDL", "UIDL").await?;
    let listed: Vec<(u32, String)> = c
        .lines()
        .await?
        .iter()
        .map(|l| reply::uidl_line(l).map(|(n, u)| (n, u.to_owned())))
        .collect::<Option<_>>()
        .ok_or_else(|| RetrievalError::Protocol("bad UIDL listing".into()))?;
    c.command("LIST", "LIST").await?;
    let sizes: HashMap<u32, u64> = c
        .lines()
        .await?
        .iter()
        .filter_map(|l| reply::list_line(l))
        .collect();

    let known: HashSet<String> = store.pop_uidls(a.id).await?.into_iter().collect();
    let on_server: HashSet<&str> = listed.iter().map(|(_, u)| u.as_str()).collect();
    let gone: Vec<String> = known
        .iter()
        .filter(|u| !on_server.contains(u.as_str()))
        .cloned()
        .collect();
    if !gone.is_empty() {
        store.pop_uidls_forget(a.id, &gone).await?;
    }

    let mut out = Outcome::default();
    for (n, uidl) in &listed {
        let mut stored = known.contains(uidl);
        if !stored {
            let size = sizes.get(n).copied().unwrap_or(0);
            if size > b.max_message {
                tracing::warn!(target: "pop-retrieval",
                    "account {} ({}@{}): message {uidl} of {size} bytes is over the limit of {} bytes; skipped",
                    a.id, a.login, a.host, b.max_message);
                out.skipped += 1;
                continue;
            }
            if over_quota(store, a.user_id, size).await? {
                return Err(RetrievalError::Full);
            }
            c.command("RETR", &format!("RETR {n}")).await?;
            let Some(bytes) = c.body(b.max_message).await? else {
                tracing::warn!(target: "pop-retrieval",
                    "account {} ({}@{}): message {uidl} is over the limit of {} bytes; skipped",
                    a.id, a.login, a.host, b.max_message);
                out.skipped += 1;
                continue;
            };
            let target = NewMessage {
                flags: Vec::new(),
                internal_date: None,
            };
            let size = bytes.len() as u64;
            store.deliver(bytes.into(), &[(folder, target)]).await?;
            // OPS-3: a copy put in the user's mailbox (a failed read only loses the count).
            if let Ok(Some(u)) = store.get_user_by_id(a.user_id).await {
                let e = heron_store::stats::Event::Delivered(size);
                heron_store::stats::recorder().account(u.domain_id, Some(u.id), e);
            }
            store
                .pop_uidl_add(a.id, uidl, heron_store::rules::now())
                .await?;
            out.fetched += 1;
            stored = true;
        }
        if stored && !a.leave_on_server {
            c.command("DELE", &format!("DELE {n}")).await?;
            out.deleted += 1;
        }
    }
    // RFC 1939 §6: deletions take effect in the UPDATE state, entered by QUIT.
    c.command("QUIT", "QUIT").await?;
    Ok(out)
}

/// Whether `incoming` more bytes would take the user past its quota or its domain past its
/// disk limit (0 = unlimited for both), as SMTP checks before accepting mail.
async fn over_quota(
    store: &dyn Store,
    user: heron_store::UserId,
    incoming: u64,
) -> Result<bool, RetrievalError> {
    let Some(u) = store.get_user_by_id(user).await? else {
        return Err(RetrievalError::Invalid(format!("no user {user}")));
    };
    if u.quota_bytes != 0 && u.used_bytes.saturating_add(incoming) > u.quota_bytes {
        return Ok(true);
    }
    let Some(d) = store.get_domain_by_id(u.domain_id).await? else {
        return Ok(false);
    };
    if d.limits.disk_mb == 0 {
        return Ok(false);
    }
    let used = store.domain_usage(d.id).await?;
    Ok(used.saturating_add(incoming) > d.limits.disk_mb.saturating_mul(1 << 20))
}
