//! Failed logins of the admin API (and failed current-password checks), counted per client
//! IP in the store (`heron_store::LimitStore`), so a restart or another node sharing the
//! store goes on counting: [`LOGIN`] (5 failures within 5 minutes block the IP for 15
//! minutes). The arithmetic is `heron_store::rules::limits`, pure and table-tested there.
//!
//! Invariants: a blocked IP is answered 429 with `Retry-After` before its credentials are
//! looked at, and stays blocked until the block ends, whatever it sends meanwhile; a success
//! forgets the IP's failures but not its block; when the block cannot be read the request
//! fails (500) rather than going unchecked.

use std::net::IpAddr;

use axum::http::StatusCode;
use heron_settings::values::canonical;
use heron_store::rules::limits::Rule;

use crate::auth::AppState;
use crate::error::{ApiError, ApiResult};
use crate::sessions::now;

/// Logins of the admin API: 5 failures within 5 minutes block for 15 minutes.
pub const LOGIN: Rule = Rule {
    max_failures: 5,
    window: 300,
    block: 900,
};

/// The store's name for these counts.
pub const SCOPE: &str = "admin-login";

/// Client IPs remembered at most (the store drops the oldest unblocked ones past it).
pub const MAX_KEYS: usize = 100_000;

/// The store's key for a client IP (an IPv4 address mapped into IPv6 counts as itself).
fn key(ip: IpAddr) -> String {
    canonical(ip).to_string()
}

/// The answer while blocked for `secs` more seconds.
pub fn blocked(secs: i64) -> ApiError {
    let secs = u64::try_from(secs).unwrap_or(0);
    ApiError {
        retry_after: Some(secs),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins; try again in {secs} seconds"),
        )
    }
}

impl AppState {
    /// 429 while `ip` is blocked.
    pub async fn check_blocked(&self, ip: IpAddr) -> ApiResult<()> {
        let store = self.dir.store();
        match store.limit_blocked(SCOPE, &key(ip), now()).await? {
            Some(secs) => Err(blocked(secs)),
            None => Ok(()),
        }
    }

    /// Count a failed login from `ip`.
    pub async fn login_failed(&self, ip: IpAddr) {
        let store = self.dir.store();
        match store
            .limit_failure(SCOPE, &key(ip), &LOGIN, MAX_KEYS, now())
            .await
        {
            Ok(true) => {
                tracing::warn!(target: "events", "admin login: {ip} blocked for {}s after repeated failures", LOGIN.block);
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(target: "events", "admin login: cannot count a failure of {ip}: {e}")
            }
        }
    }

    /// Forget the failures of `ip` after a success.
    pub async fn login_succeeded(&self, ip: IpAddr) {
        if let Err(e) = self.dir.store().limit_success(SCOPE, &key(ip), now()).await {
            tracing::warn!(target: "events", "admin login: cannot clear the failures of {ip}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    #[test]
    fn keys_and_answers() {
        let mapped = IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001));
        assert_eq!(key(mapped), "10.0.0.1");
        assert_eq!(key("2001:db8::1".parse().unwrap_or(mapped)), "2001:db8::1");
        let e = blocked(899);
        assert_eq!((e.status.as_u16(), e.retry_after), (429, Some(899)));
        assert!(e.error.contains("899 seconds"));
    }
}
