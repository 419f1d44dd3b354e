//! Storage quota (RFC 9208, DOM-4): the user's own quota, or when the user has none, the
//! domain's disk limit. One quota root, `""`, covers all of a user's mailboxes. What is
//! written into a folder another user shares counts against that owner's quota.
//!
//! Invariant: usage is read fresh from the store for each check, since deliveries and other
//! sessions change it; the domain's limit comes from the directory, which keeps domain
//! records while no directory change is heard.

use heron_directory::Directory;
use heron_store::UserId;

use crate::error::Result;
use crate::session::Authed;

/// Bytes used and the limit in force (0: no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Storage {
    pub used: u64,
    pub limit: u64,
}

/// The storage quota governing the logged-in user.
pub async fn storage(dir: &Directory, authed: &Authed) -> Result<Storage> {
    let user = dir
        .store()
        .get_user_by_id(authed.user.id)
        .await?
        .unwrap_or_else(|| authed.user.clone());
    storage_of(dir, user).await
}

/// The storage quota governing a user, from its record.
async fn storage_of(dir: &Directory, user: heron_store::User) -> Result<Storage> {
    if user.quota_bytes != 0 {
        return Ok(Storage {
            used: user.used_bytes,
            limit: user.quota_bytes,
        });
    }
    let Some(domain) = dir.domain_by_id(user.domain_id).await? else {
        return Ok(Storage {
            used: user.used_bytes,
            limit: 0,
        });
    };
    if domain.limits.disk_mb == 0 {
        return Ok(Storage {
            used: user.used_bytes,
            limit: 0,
        });
    }
    Ok(Storage {
        used: dir.store().domain_usage(domain.id).await?,
        limit: domain.limits.disk_mb.saturating_mul(1024 * 1024),
    })
}

/// Whether adding `incoming` bytes to the folders of user `owner` would go over its quota.
pub async fn would_exceed(dir: &Directory, owner: UserId, incoming: u64) -> Result<bool> {
    let Some(user) = dir.store().get_user_by_id(owner).await? else {
        return Ok(false);
    };
    let q = storage_of(dir, user).await?;
    Ok(q.limit != 0 && q.used.saturating_add(incoming) > q.limit)
}
