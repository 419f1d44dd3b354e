//! Blocks against password guessing, address harvesting and spam runs from local accounts
//! (SEC-2), shared by every protocol and node: failures are counted in the store
//! (`heron_store::LimitStore`, rules in `heron_store::rules::limits`) under one scope per kind
//! of block ([`AUTH_IP`], [`AUTH_ACCOUNT`], [`HARVEST`], [`SENDING`]), with the thresholds of
//! the `security.auth_*`, `security.harvest_*` and `security.spammer_*` settings. The Blocks
//! page and API list and lift them (SEC-7).
//!
//! Invariants: a login while its IP or its account is blocked is checked against nothing but
//! still costs a password hash, and fails exactly like a wrong password (no account
//! enumeration, no timing difference); such attempts are not counted (a blocked IP cannot
//! lock an account out by going on); a setting of 0 failures stops counting, but blocks
//! already in force last until they end or are lifted; keys are canonical IPs (an IPv4
//! address mapped into IPv6 is itself) and lower-cased login names.
//!
//! Repeat offenders: every block placed is remembered for a day under `KIND-strikes`
//! ([`strikes_scope`]); each earlier block within that day doubles the next one's length, up
//! to [`MAX_DOUBLINGS`] times (16 times the setting). Lifting a block forgets its strikes.

use std::net::IpAddr;

use heron_settings::defs;
use heron_settings::values::canonical;
use heron_store::User;
use heron_store::rules::limits::Rule;

use crate::auth::{AuthError, dummy_verify};
use crate::password::StoredCredentials;
use crate::sasl::UnknownUserKey;
use crate::{Directory, DirectoryError};

/// Scope of failed logins per client IP.
pub const AUTH_IP: &str = "auth-ip";
/// Scope of failed logins per account (login name).
pub const AUTH_ACCOUNT: &str = "auth-account";
/// Scope of bad SMTP sessions (unknown recipients, nothing delivered) per client IP.
pub const HARVEST: &str = "harvest";
/// Scope of accounts whose sending is suspended after a spam run (`security.spammer_*`).
pub const SENDING: &str = "sending";
/// Scope of messages per account and body size, counted for the spam-run rule (never listed:
/// its "block" only keeps a run from being reported twice in one window).
pub const SAME_SIZE: &str = "same-size";
/// Scopes of connection floods per protocol (the DoS rule, `security.dos_*`): counted in
/// memory on each node, recorded here when a block starts so that every node and the Blocks
/// page know it.
pub const DOS: &[&str] = &["dos-smtp", "dos-submission", "dos-pop3", "dos-imap"];
/// The kinds of block these rules place, as listed and lifted by administrators.
pub const KINDS: &[&str] = &[
    AUTH_IP,
    AUTH_ACCOUNT,
    HARVEST,
    SENDING,
    "dos-smtp",
    "dos-submission",
    "dos-pop3",
    "dos-imap",
];

/// The DoS scope of a protocol (`smtp`, `submission`, `pop3`, `imap`).
pub fn dos_scope(protocol: &str) -> String {
    format!("dos-{protocol}")
}
/// Keys remembered at most per kind (the oldest unblocked ones go first past it).
const MAX_KEYS: usize = 100_000;
/// How long a block placed counts against its key's next one (seconds).
pub const STRIKE_WINDOW: i64 = 86_400;
/// Most doublings of a block's length for repeat offenders.
pub const MAX_DOUBLINGS: u32 = 4;
/// Strikes are counted only, never block.
const STRIKE: Rule = Rule {
    max_failures: u32::MAX,
    window: STRIKE_WINDOW,
    block: 0,
};

/// Where the blocks placed on keys of `kind` are remembered.
pub fn strikes_scope(kind: &str) -> String {
    format!("{kind}-strikes")
}

/// A block's length after `strikes` earlier blocks within [`STRIKE_WINDOW`].
pub fn escalated(block: i64, strikes: usize) -> i64 {
    let doublings = u32::try_from(strikes)
        .unwrap_or(u32::MAX)
        .min(MAX_DOUBLINGS);
    block.saturating_mul(1_i64 << doublings)
}

/// The store's key for a client IP.
pub fn ip_key(ip: IpAddr) -> String {
    canonical(ip).to_string()
}

/// The store's key for a login name.
pub fn account_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A rule from its three settings; `None` when the count is 0 (off).
fn rule(failures: u64, window: std::time::Duration, block: std::time::Duration) -> Option<Rule> {
    (failures > 0).then(|| Rule {
        max_failures: u32::try_from(failures).unwrap_or(u32::MAX),
        window: window.as_secs().max(1) as i64,
        block: block.as_secs().max(1) as i64,
    })
}

type Candidate = (User, heron_store::Domain, StoredCredentials);

impl Directory {
    fn block_rule(&self, scope: &str) -> Option<Rule> {
        let st = &self.settings;
        match scope {
            AUTH_IP => rule(
                st.get(defs::AUTH_IP_FAILURES),
                st.get(defs::AUTH_IP_WINDOW),
                st.get(defs::AUTH_IP_BLOCK),
            ),
            AUTH_ACCOUNT => rule(
                st.get(defs::AUTH_ACCOUNT_FAILURES),
                st.get(defs::AUTH_ACCOUNT_WINDOW),
                st.get(defs::AUTH_ACCOUNT_BLOCK),
            ),
            s if DOS.contains(&s) => rule(
                st.get(defs::DOS_CONNECTIONS),
                st.get(defs::DOS_WINDOW),
                st.get(defs::DOS_BLOCK),
            ),
            SENDING => rule(
                1,
                std::time::Duration::from_secs(1),
                st.get(defs::SPAMMER_SUSPEND),
            ),
            _ => rule(
                st.get(defs::HARVEST_BAD_SESSIONS),
                st.get(defs::HARVEST_WINDOW),
                st.get(defs::HARVEST_BLOCK),
            ),
        }
    }

    async fn blocked(&self, scope: &str, key: &str) -> Result<bool, DirectoryError> {
        Ok(self.store.limit_blocked(scope, key, now()).await?.is_some())
    }

    /// Blocks placed on `key` of `kind` within [`STRIKE_WINDOW`] before `t`.
    async fn strikes(&self, kind: &str, key: &str, t: i64) -> usize {
        match self.store.limit_failures(&strikes_scope(kind), key).await {
            Ok(times) => times.iter().filter(|s| t - **s < STRIKE_WINDOW).count(),
            Err(e) => {
                tracing::warn!("cannot read the earlier {kind} blocks of {key}: {e}");
                0
            }
        }
    }

    /// The length of the block of `key` of `kind` in force now (seconds): the setting,
    /// doubled for each earlier block within [`STRIKE_WINDOW`].
    pub async fn block_length(&self, kind: &str, key: &str) -> i64 {
        let base = self.block_rule(kind).map_or(0, |r| r.block);
        let strikes = self.strikes(kind, key, now()).await;
        escalated(base, strikes.saturating_sub(1))
    }

    /// Lift the block of `key` of `kind` and forget its failures and earlier blocks; false
    /// when there was nothing to lift or forget.
    pub async fn lift_block(&self, kind: &str, key: &str) -> Result<bool, DirectoryError> {
        let lifted = self.store.limit_remove(kind, key).await?;
        Ok(self.store.limit_remove(&strikes_scope(kind), key).await? || lifted)
    }

    /// Count one failure of `key` in `scope` under its rule (nothing when the rule is off).
    async fn count(&self, scope: &str, key: &str) {
        let Some(mut rule) = self.block_rule(scope) else {
            return;
        };
        let t = now();
        rule.block = escalated(rule.block, self.strikes(scope, key, t).await);
        match self
            .store
            .limit_failure(scope, key, &rule, MAX_KEYS, t)
            .await
        {
            Ok(true) => {
                tracing::warn!(target: "events",
                    "{scope} block: {key} blocked for {}s after {} failures within {}s",
                    rule.block, rule.max_failures, rule.window);
                let strikes = strikes_scope(scope);
                if let Err(e) = self
                    .store
                    .limit_failure(&strikes, key, &STRIKE, MAX_KEYS, t)
                    .await
                {
                    tracing::warn!("cannot remember the {scope} block of {key}: {e}");
                }
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(target: "events", "cannot count a {scope} failure of {key}: {e}")
            }
        }
    }

    /// Whether logins from `ip` or to `username` are blocked now.
    pub async fn login_blocked(&self, ip: IpAddr, username: &str) -> Result<bool, AuthError> {
        Ok(self.blocked(AUTH_IP, &ip_key(ip)).await?
            || self.blocked(AUTH_ACCOUNT, &account_key(username)).await?)
    }

    /// Count a failed login from `ip` to `username`.
    pub async fn login_failed(&self, ip: IpAddr, username: &str) {
        self.count(AUTH_IP, &ip_key(ip)).await;
        if !username.is_empty() {
            self.count(AUTH_ACCOUNT, &account_key(username)).await;
        }
    }

    /// Forget the failures of `ip` and `username` after a successful login.
    pub async fn login_succeeded(&self, ip: IpAddr, username: &str) {
        let t = now();
        for (scope, key) in [(AUTH_IP, ip_key(ip)), (AUTH_ACCOUNT, account_key(username))] {
            if let Err(e) = self.store.limit_success(scope, &key, t).await {
                tracing::warn!("cannot clear the {scope} failures of {key}: {e}");
            }
        }
    }

    /// [`authenticate`](Self::authenticate) for a client at `ip`, under the login blocks:
    /// while blocked the password is hashed against nothing and the login fails as a wrong
    /// password would; otherwise failures and successes are counted.
    pub async fn authenticate_from(
        &self,
        ip: IpAddr,
        username: &str,
        password: &str,
    ) -> Result<User, AuthError> {
        if self.login_blocked(ip, username).await? {
            let pw = password.to_owned();
            let _ = crate::hashing::run(move || dummy_verify(&pw)).await;
            return Err(AuthError::Failed("blocked after repeated failed logins"));
        }
        match self.authenticate(username, password).await {
            Ok(u) => {
                self.login_succeeded(ip, username).await;
                Ok(u)
            }
            Err(AuthError::Failed(why)) => {
                self.login_failed(ip, username).await;
                Err(AuthError::Failed(why))
            }
            Err(e) => Err(e),
        }
    }

    /// [`sasl_lookup`](Self::sasl_lookup) for a client at `ip`: while the IP or the account
    /// is blocked there is no candidate, so the exchange fails as for an unknown user (at the
    /// same cost). The second value says whether it was blocked (then the outcome is not
    /// counted: pass it to [`sasl_outcome`](Self::sasl_outcome)).
    pub async fn sasl_lookup_from(
        &self,
        ip: IpAddr,
        username: &str,
    ) -> Result<(Option<Candidate>, UnknownUserKey, bool), AuthError> {
        let blocked = self.login_blocked(ip, username).await?;
        let (cand, unknown) = self.sasl_lookup(username).await?;
        if blocked {
            tracing::info!("login to {username:?} from {ip} refused: blocked");
            return Ok((None, unknown, true));
        }
        Ok((cand, unknown, false))
    }

    /// Count the end of a SASL exchange for `username` from `ip` (nothing for an exchange
    /// that never named a user, or that met a block).
    pub async fn sasl_outcome(&self, ip: IpAddr, looked_up: Option<&(String, bool)>, ok: bool) {
        match looked_up {
            Some((name, false)) if ok => self.login_succeeded(ip, name).await,
            Some((name, false)) => self.login_failed(ip, name).await,
            _ => {}
        }
    }

    /// Seconds left of the SMTP block of `ip` for harvesting; `None` when it is not blocked.
    pub async fn harvest_blocked(&self, ip: IpAddr) -> Result<Option<i64>, DirectoryError> {
        Ok(self
            .store
            .limit_blocked(HARVEST, &ip_key(ip), now())
            .await?)
    }

    /// Count a bad SMTP session (unknown recipients, nothing delivered) from `ip`.
    pub async fn harvest_session(&self, ip: IpAddr) {
        self.count(HARVEST, &ip_key(ip)).await;
    }

    /// Record a connection-flood block of `ip` on `protocol` for `seconds`, placed by this
    /// node's DoS rule.
    pub async fn record_dos_block(
        &self,
        protocol: &str,
        ip: IpAddr,
        seconds: i64,
    ) -> Result<(), DirectoryError> {
        let rule = Rule {
            max_failures: 1,
            window: 1,
            block: seconds.max(1),
        };
        self.store
            .limit_failure(&dos_scope(protocol), &ip_key(ip), &rule, MAX_KEYS, now())
            .await?;
        Ok(())
    }

    /// The connection-flood blocks in force: protocol, IP and seconds left.
    pub async fn dos_blocks(&self) -> Result<Vec<(String, IpAddr, i64)>, DirectoryError> {
        let t = now();
        Ok(self
            .store
            .limit_blocks(t)
            .await?
            .into_iter()
            .filter(|b| DOS.contains(&b.scope.as_str()))
            .filter_map(|b| {
                let ip = b.key.parse().ok()?;
                let protocol = b.scope.strip_prefix("dos-")?.to_owned();
                Some((protocol, ip, b.blocked_until - t))
            })
            .collect())
    }

    /// Seconds left of the suspension of `address`'s sending after a spam run; `None` when
    /// it may send.
    pub async fn sending_suspended(&self, address: &str) -> Result<Option<i64>, DirectoryError> {
        Ok(self
            .store
            .limit_blocked(SENDING, &account_key(address), now())
            .await?)
    }

    /// Count a message of `size` body bytes submitted by `address` under the spam-run rule;
    /// `Some(count)` when this message makes a run (reported once per window).
    pub async fn count_same_size(&self, address: &str, size: usize) -> Option<u64> {
        let st = &self.settings;
        let rule = rule(
            st.get(defs::SPAMMER_MESSAGES),
            st.get(defs::SPAMMER_WINDOW),
            st.get(defs::SPAMMER_WINDOW),
        )?;
        let key = format!("{}|{size}", account_key(address));
        match self
            .store
            .limit_failure(SAME_SIZE, &key, &rule, MAX_KEYS, now())
            .await
        {
            Ok(true) => Some(u64::from(rule.max_failures)),
            Ok(false) => None,
            Err(e) => {
                tracing::warn!("cannot count a message of {address} for the spam-run rule: {e}");
                None
            }
        }
    }

    /// Suspend `address`'s sending for `security.spammer_suspend` seconds (nothing when 0);
    /// true when a suspension was placed.
    pub async fn suspend_sending(&self, address: &str) -> bool {
        if self.settings.get(defs::SPAMMER_SUSPEND).is_zero() {
            return false;
        }
        let Some(rule) = self.block_rule(SENDING) else {
            return false;
        };
        match self
            .store
            .limit_failure(SENDING, &account_key(address), &rule, MAX_KEYS, now())
            .await
        {
            Ok(placed) => placed,
            Err(e) => {
                tracing::error!(target: "events", "cannot suspend the sending of {address}: {e}");
                false
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn repeat_offenders_wait_longer() {
        let lengths: Vec<i64> = (0..7).map(|s| escalated(900, s)).collect();
        assert_eq!(lengths, [900, 1800, 3600, 7200, 14400, 14400, 14400]);
        assert_eq!(escalated(i64::MAX, 3), i64::MAX);
        assert_eq!(strikes_scope(AUTH_IP), "auth-ip-strikes");
    }

    #[test]
    fn keys_and_rules() {
        assert_eq!(ip_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
        assert_eq!(account_key(" Bob@Example.COM "), "bob@example.com");
        assert_eq!(
            rule(0, Duration::from_secs(1), Duration::from_secs(1)),
            None
        );
        assert_eq!(
            rule(3, Duration::ZERO, Duration::from_secs(60)),
            Some(Rule {
                max_failures: 3,
                window: 1,
                block: 60
            })
        );
    }
}
