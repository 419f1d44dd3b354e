//! What the queue counts for the statistics (OPS-3, [`heron_store::stats`]): messages and
//! bytes delivered to remote recipients, and failure reports (bounces), each at the server
//! and, when the sender is hosted here, at its domain and user.
//!
//! Invariant: only in-memory counts; the directory lookups of the sender are reads (cached
//! per node on PostgreSQL), never writes.

use heron_directory::Directory;
use heron_store::stats::{Event, recorder};
use heron_store::{DomainId, UserId};

/// The hosted account of `address`: its domain's id and, when it names a user, the user's.
pub async fn account_of(dir: &Directory, address: &str) -> Option<(DomainId, Option<UserId>)> {
    let (local, domain) = address.rsplit_once('@')?;
    let d = dir.find_domain(domain).await.ok()??;
    let user = dir
        .store()
        .get_user(d.id, &local.to_ascii_lowercase())
        .await
        .ok()
        .flatten()
        .map(|u| u.id);
    Some((d.id, user))
}

/// Count `n` events `e` for the sender `address`: at the server, and at its hosted domain and
/// user when it has them.
pub async fn count_for_sender(dir: &Directory, address: &str, e: Event, n: usize) {
    if n == 0 {
        return;
    }
    let account = account_of(dir, address).await;
    let stats = recorder();
    for _ in 0..n {
        match account {
            Some((domain, user)) => stats.account(domain, user, e),
            None => stats.server(e),
        }
    }
}
