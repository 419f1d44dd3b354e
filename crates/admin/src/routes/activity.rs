//! Who is using the server (ACCESS-3): users logged in to a live session now, and users who
//! have not logged in for a number of days (or never).
//!
//! Invariants: a domain administrator's view is filtered to their own domain before it is
//! returned, so nothing of another domain leaks; online users are named by their canonical
//! address (lower-case, the domain itself rather than a domain alias it was reached by).

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use heron_directory::Directory;
use heron_directory::address::Address;
use heron_net::registry::Registry;
use heron_settings::values::canonical;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::connections::{rfc3339, unix_rfc3339};
use crate::auth::{Caller, Shared};
use crate::authz::{Action, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};

/// A user logged in to a live session.
#[derive(Serialize, ToSchema)]
pub struct OnlineUserView {
    pub address: String,
    /// As in `bind.listeners`: smtp, submission, pop3, imap, ...
    pub protocol: String,
    pub peer_ip: String,
    /// When the session started (RFC 3339, UTC).
    pub since: String,
    pub session_id: String,
}

/// A user who has not logged in lately.
#[derive(Serialize, ToSchema)]
pub struct InactiveUserView {
    pub address: String,
    /// The last successful login (RFC 3339, UTC); null if never.
    pub last_login: Option<String>,
}

/// Query of `GET /api/v1/inactive-users`.
#[derive(Deserialize)]
pub struct InactiveQuery {
    pub days: Option<String>,
}

/// Default of `days`.
pub const DEFAULT_DAYS: u32 = 90;
/// Largest `days`.
pub const MAX_DAYS: u32 = 3650;

/// The domain a caller's view is limited to: their own for a domain administrator.
fn scope(caller: &Caller) -> Option<String> {
    match &caller.principal {
        Principal::DomainAdmin { domain } => Some(domain.clone()),
        _ => None,
    }
}

/// Users logged in to a live session, oldest session first; only those of `domain` when
/// given (lower-case).
pub async fn online_users(
    dir: &Directory,
    registry: &Registry,
    domain: Option<&str>,
) -> ApiResult<Vec<OnlineUserView>> {
    let mut sessions = registry.list();
    sessions.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
    // Domain names as typed at login, to the hosted domain they name.
    let mut domains: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::new();
    for s in sessions {
        let Some(user) = s.user() else { continue };
        let Ok(a) = Address::parse(&user) else {
            continue;
        };
        let hosted = match domains.get(&a.domain) {
            Some(h) => h.clone(),
            None => {
                let h = dir.find_domain(&a.domain).await?.map(|d| d.name);
                domains.insert(a.domain.clone(), h.clone());
                h
            }
        };
        let name = hosted.unwrap_or(a.domain);
        if domain.is_some_and(|d| d != name) {
            continue;
        }
        out.push(OnlineUserView {
            address: format!("{}@{name}", a.local),
            protocol: s.protocol.as_str().to_owned(),
            peer_ip: canonical(s.peer.ip()).to_string(),
            since: rfc3339(s.started),
            session_id: s.id.clone(),
        });
    }
    Ok(out)
}

/// Users whose last login is before `now - days` (Unix seconds) or who never logged in,
/// by domain then local part; only those of `domain` when given. One store query.
pub async fn inactive_users(
    dir: &Directory,
    days: u32,
    domain: Option<&str>,
    now: i64,
) -> ApiResult<Vec<InactiveUserView>> {
    Ok(inactive_page(dir, days, domain, now, u64::MAX, 0).await?.1)
}

/// One page of [`inactive_users`], `offset..offset+limit`, with the number in all.
pub async fn inactive_page(
    dir: &Directory,
    days: u32,
    domain: Option<&str>,
    now: i64,
    limit: u64,
    offset: u64,
) -> ApiResult<(u64, Vec<InactiveUserView>)> {
    let cutoff = now - i64::from(days) * 86_400;
    let domain_id = match domain {
        Some(d) => Some(dir.domain(d).await?.id),
        None => None,
    };
    let (total, rows) = dir
        .store()
        .inactive_users(cutoff, domain_id, limit, offset)
        .await?;
    let page = rows
        .into_iter()
        .map(|(address, last)| InactiveUserView {
            address,
            last_login: last.and_then(unix_rfc3339),
        })
        .collect();
    Ok((total, page))
}

/// `days` from a query: 1..=3650, default 90.
pub fn parse_days(raw: Option<&str>) -> ApiResult<u32> {
    match raw {
        None => Ok(DEFAULT_DAYS),
        Some(s) => s
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| ApiError::invalid("days", format!("days is 1 to {MAX_DAYS}"))),
    }
}

/// Users logged in now (a domain administrator sees their own domain's).
#[utoipa::path(operation_id = "online_users", get, path = "/api/v1/online-users", tag = "activity",
    responses((status = 200, description = "OK", body = Vec<OnlineUserView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn online(
    State(st): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<OnlineUserView>>> {
    let scope = scope(&caller);
    caller.allow(Action::UserActivity(scope.clone()))?;
    let list = online_users(&st.dir, &st.runtime.registry, scope.as_deref()).await?;
    Ok(Json(list))
}

/// Users who have not logged in for `days` days or never (a domain administrator sees their
/// own domain's).
#[utoipa::path(operation_id = "inactive_users", get, path = "/api/v1/inactive-users", tag = "activity",
    params(("days" = Option<u32>, Query, description = "Days without a login, 1 to 3650 (default 90)")),
    responses((status = 200, description = "OK", body = Vec<InactiveUserView>), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid days (field `days`)", body = ErrorBody)))]
pub async fn inactive(
    State(st): State<Shared>,
    caller: Caller,
    query: Result<Query<InactiveQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<InactiveUserView>>> {
    let scope = scope(&caller);
    caller.allow(Action::UserActivity(scope.clone()))?;
    let Query(q) = query.map_err(|r| ApiError::bad_request(r.body_text()))?;
    let days = parse_days(q.days.as_deref())?;
    let now = chrono::Utc::now().timestamp();
    let list = inactive_users(&st.dir, days, scope.as_deref(), now).await?;
    Ok(Json(list))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use heron_settings::Settings;
    use heron_settings::values::Protocol;
    use heron_store::{Role, SqliteStore, Store};
    use tokio_util::sync::CancellationToken;

    use super::*;

    #[tokio::test]
    async fn inactive_and_online_users() {
        let tmp = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path()).unwrap());
        let dir = Directory::new(store.clone(), Settings::load(store.clone()).await.unwrap());
        dir.add_domain("a.test").await.unwrap();
        dir.add_domain("b.test").await.unwrap();
        dir.add_domain_alias("alias.test", "a.test").await.unwrap();
        let add = |a: &'static str| dir.add_user(a, "Pelican77x", Role::User);
        let ann = add("ann@a.test").await.unwrap();
        let bob = add("bob@b.test").await.unwrap();
        add("cat@a.test").await.unwrap();
        let now = 1_800_000_000;
        store.touch_login(ann.id, now - 10 * 86_400).await.unwrap();
        store.touch_login(bob.id, now - 100 * 86_400).await.unwrap();

        let names =
            |v: &[InactiveUserView]| v.iter().map(|u| u.address.clone()).collect::<Vec<_>>();
        let all = inactive_users(&dir, 90, None, now).await.unwrap();
        // By domain, then local part.
        assert_eq!(names(&all), ["cat@a.test", "bob@b.test"]);
        assert_eq!(all[0].last_login, None);
        let bob_last = all[1].last_login.as_deref();
        assert!(bob_last.is_some_and(|t| t.ends_with('Z')), "{bob_last:?}");
        let a = inactive_users(&dir, 5, Some("a.test"), now).await.unwrap();
        assert_eq!(names(&a), ["ann@a.test", "cat@a.test"]);

        let reg = Arc::new(Registry::default());
        let root = CancellationToken::new();
        let peer = "127.0.0.9:5000".parse().unwrap();
        let local = "127.0.0.1:110".parse().unwrap();
        let s1 = reg.register(Protocol::Pop3, peer, local, &root);
        s1.info.set_user("Ann@Alias.Test");
        let s2 = reg.register(Protocol::Imap, peer, local, &root);
        s2.info.set_user("bob@b.test");
        let _anonymous = reg.register(Protocol::Smtp, peer, local, &root);
        let online = online_users(&dir, &reg, None).await.unwrap();
        let mut who: Vec<_> = online
            .iter()
            .map(|o| (o.address.as_str(), o.protocol.as_str()))
            .collect();
        who.sort();
        assert_eq!(who, [("ann@a.test", "pop3"), ("bob@b.test", "imap")]);
        let a = online_users(&dir, &reg, Some("a.test")).await.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].session_id.as_str(), a[0].peer_ip.as_str()),
            (s1.info.id.as_str(), "127.0.0.9")
        );
    }

    #[test]
    fn days() {
        assert_eq!(parse_days(None).ok(), Some(90));
        assert_eq!(parse_days(Some("1")).ok(), Some(1));
        assert_eq!(parse_days(Some("3650")).ok(), Some(3650));
        for bad in ["0", "3651", "-1", "x", ""] {
            let e = parse_days(Some(bad))
                .err()
                .map(|e| (e.status.as_u16(), e.field));
            assert_eq!(e, Some((422, Some("days"))), "{bad:?}");
        }
    }
}
