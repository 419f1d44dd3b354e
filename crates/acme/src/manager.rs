//! The certificate keeper: one task per node that, whenever the settings change and at least
//! every [`RECHECK`], decides whether the ACME certificate must be obtained or renewed, does
//! so, and hands the result to the listeners ([`heron_net::Server::use_acme_certificate`]),
//! which present it from their next connection on.
//!
//! A certificate is due when there is none, when its names differ from those wanted, or when
//! it expires within `acme.renew_days`. Invariants: a stored certificate that is still valid
//! for the wanted names is in use while ACME is on, even while its renewal fails; after a
//! failure the next attempt waits [`backoff`] (doubling up to [`MAX_BACKOFF`]); after a
//! success no new order is made for [`MIN_RENEW_GAP`]; a change of the `acme.` settings (or
//! of the names) lifts both waits; ACME turned off hands the listeners back to `tls.cert`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::certinfo::{CertDescription, describe_file};
use heron_net::Server;
use heron_settings::Settings;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::AcmeConfig;
use crate::files::AcmeFiles;
use crate::order;

/// How often the keeper looks for a renewal asked for by `heron acme renew`.
pub const REQUEST_CHECK: Duration = Duration::from_secs(5);
/// How often the keeper reads the hosted domains while `acme.domain_labels` is set.
pub const DOMAIN_CHECK: Duration = Duration::from_secs(60);
/// Longest wait between two looks at the certificate.
pub const RECHECK: Duration = Duration::from_secs(12 * 3600);
/// Shortest time between two successful orders for unchanged settings.
pub const MIN_RENEW_GAP: Duration = Duration::from_secs(3600);
/// First wait after a failed order.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(60);
/// Longest wait after failed orders.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// The wait after `failures` failed orders in a row (at least 1).
pub fn backoff(failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Why a certificate must be obtained now, if it must.
pub fn due(cfg: &AcmeConfig, current: Option<&CertDescription>, now_unix: i64) -> Option<String> {
    let Some(cert) = current else {
        return Some("there is no certificate yet".to_owned());
    };
    if !covers(cfg, cert) {
        return Some(format!(
            "the certificate names {} instead of {}",
            cert.names.join(", "),
            cfg.names.join(", ")
        ));
    }
    let left = cert.not_after - now_unix;
    let renew = i64::try_from(cfg.renew_days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    (left <= renew).then(|| {
        if left <= 0 {
            "the certificate has expired".to_owned()
        } else {
            format!(
                "the certificate expires in {} days (acme.renew_days {})",
                left / 86_400,
                cfg.renew_days
            )
        }
    })
}

/// Whether `cert` names exactly the wanted names (in any order and case).
pub fn covers(cfg: &AcmeConfig, cert: &CertDescription) -> bool {
    let mut have: Vec<String> = cert.names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let mut want = cfg.names.clone();
    have.sort();
    want.sort();
    have == want
}

/// Waits the keeper carries from one look to the next.
#[derive(Default)]
struct Gate {
    /// No order before this, unless the settings differ from `for_config`.
    not_before: Option<Instant>,
    for_config: Option<AcmeConfig>,
    failures: u32,
    /// Whether the listeners were given the ACME certificate.
    in_use: bool,
}

/// The enabled hosted domains' names, read from the store when asked.
pub type HostedDomains =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<String>> + Send>> + Send + Sync>;

/// The keeper of one node.
pub struct Keeper {
    settings: Arc<Settings>,
    hosted: HostedDomains,
    files: AcmeFiles,
    server: Server,
    gate: Gate,
    failure: Arc<Mutex<Option<String>>>,
}

/// A running keeper: its task, and what went wrong last.
pub struct Running {
    pub task: JoinHandle<()>,
    failure: Arc<Mutex<Option<String>>>,
}

impl Running {
    /// Why the last order failed, while no order has succeeded since (for the dashboard).
    pub fn problem(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}

/// Start the keeper of the node whose data directory is `data_dir`; it ends at `stop`.
pub fn start(
    settings: Arc<Settings>,
    hosted: HostedDomains,
    data_dir: &std::path::Path,
    server: Server,
    stop: CancellationToken,
) -> Running {
    let failure = Arc::new(Mutex::new(None));
    let keeper = Keeper {
        settings,
        hosted,
        files: AcmeFiles::new(data_dir),
        server,
        gate: Gate::default(),
        failure: failure.clone(),
    };
    Running {
        task: tokio::spawn(keeper.run(stop)),
        failure,
    }
}

impl Keeper {
    async fn run(mut self, stop: CancellationToken) {
        let mut watch = self.settings.watch();
        let mut requests = tokio::time::interval(REQUEST_CHECK);
        requests.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut domains = tokio::time::interval(DOMAIN_CHECK);
        domains.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let cfg = self.config().await;
            let wait = self.look(&cfg).await;
            let sleep = tokio::time::sleep(wait);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    changed = watch.changed() => if changed.is_err() { return } else { break },
                    _ = &mut sleep => break,
                    _ = domains.tick() => {
                        if cfg.enabled() && self.config().await != cfg {
                            break;
                        }
                    }
                    _ = requests.tick() => {
                        if self.files.take_renewal_request() {
                            let cfg = self.config().await;
                            if cfg.enabled() && !cfg.names.is_empty() {
                                self.order(&cfg, "renewal asked for (heron acme renew)").await;
                            }
                            break;
                        }
                    }
                }
            }
        }
    }

    /// The settings with the hosted domains' names, which are read only while ACME is on
    /// and `acme.domain_labels` is set.
    async fn config(&self) -> AcmeConfig {
        let wanted = crate::config::enabled(&self.settings)
            && !crate::config::domain_labels(&self.settings).is_empty();
        let hosted = if wanted {
            (self.hosted)().await
        } else {
            Vec::new()
        };
        AcmeConfig::read(&self.settings, &hosted)
    }

    fn fail(&self, why: Option<String>) {
        if let Ok(mut f) = self.failure.lock() {
            *f = why;
        }
    }

    fn use_certificate(&mut self, on: bool) {
        if on != self.gate.in_use || on {
            self.server
                .use_acme_certificate(on.then(|| self.files.pair()));
        }
        self.gate.in_use = on;
    }

    /// Look at the certificate once: obtain it if due and allowed; the time to wait before
    /// the next look.
    async fn look(&mut self, cfg: &AcmeConfig) -> Duration {
        if !cfg.enabled() {
            self.fail(None);
            if self.gate.in_use {
                self.use_certificate(false);
                tracing::info!(target: "events", "acme.directory is empty: the listeners use tls.cert again");
            }
            return RECHECK;
        }
        if cfg.names.is_empty() {
            tracing::error!(target: "events", "ACME: no host name to certify (server.hostname, bind.hostnames and acme.names name none with a dot)");
            return RECHECK;
        }
        let now = chrono::Utc::now().timestamp();
        let (cert, _) = self.files.pair();
        let current = self
            .files
            .has_certificate()
            .then(|| describe_file(&cert).ok())
            .flatten();
        let usable = current
            .as_ref()
            .is_some_and(|c| c.not_after > now && covers(cfg, c));
        if usable && !self.gate.in_use {
            self.use_certificate(true);
        }
        let Some(why) = due(cfg, current.as_ref(), now) else {
            let renew_at = current.map_or(0, |c| {
                c.not_after - i64::try_from(cfg.renew_days * 86_400).unwrap_or(i64::MAX)
            });
            let left = u64::try_from(renew_at - now).unwrap_or(0);
            return RECHECK.min(Duration::from_secs(left.max(1)));
        };
        if let Some(at) = self.gate.not_before
            && self.gate.for_config.as_ref() == Some(cfg)
            && let Some(left) = at.checked_duration_since(Instant::now())
        {
            return left;
        }
        self.order(cfg, &why).await
    }

    /// Obtain a certificate now (`why` says why); the time to wait before the next look.
    async fn order(&mut self, cfg: &AcmeConfig, why: &str) -> Duration {
        let names = cfg.names.join(", ");
        tracing::info!(target: "events", "ACME: ordering a certificate for {names} from {} ({}; {})", cfg.directory, why, cfg.challenge.as_str());
        self.gate.for_config = Some(cfg.clone());
        let result = match order::obtain(cfg, &self.files).await {
            Ok(issued) => self
                .files
                .save_certificate(&issued.chain_pem, &issued.key_pem),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                self.fail(None);
                self.gate.failures = 0;
                self.gate.not_before = Some(Instant::now() + MIN_RENEW_GAP);
                self.use_certificate(true);
                let (cert, _) = self.files.pair();
                match describe_file(&cert) {
                    Ok(d) => tracing::info!(target: "events",
                        "ACME: certificate for {names} issued by {}, serial {}, valid until {}; in use on every TLS listener",
                        d.issuer, d.serial, unix_text(d.not_after)),
                    Err(e) => {
                        tracing::error!(target: "events", "ACME: the issued certificate cannot be read: {e}")
                    }
                }
                Duration::from_secs(1)
            }
            Err(e) => {
                self.gate.failures = self.gate.failures.saturating_add(1);
                let wait = backoff(self.gate.failures);
                self.gate.not_before = Some(Instant::now() + wait);
                tracing::error!(target: "events",
                    "ACME: no certificate for {names} from {}: {e}; next try in {}s",
                    cfg.directory, wait.as_secs());
                self.fail(Some(format!(
                    "ACME: no certificate for {names} from {}: {e} (next try in {}s)",
                    cfg.directory,
                    wait.as_secs()
                )));
                wait
            }
        }
    }
}

/// A Unix time as an RFC 3339 UTC text.
fn unix_text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Challenge;

    fn cfg(names: &[&str], renew_days: u64) -> AcmeConfig {
        AcmeConfig {
            directory: "https://ca.test/dir".into(),
            contact: String::new(),
            names: names.iter().map(|n| n.to_string()).collect(),
            challenge: Challenge::Http01,
            renew_days,
            ca_file: String::new(),
        }
    }

    fn cert(names: &[&str], not_after: i64) -> CertDescription {
        CertDescription {
            subject: String::new(),
            issuer: "CN=ca".into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            serial: "01".into(),
            not_before: 0,
            not_after,
        }
    }

    #[test]
    fn a_certificate_is_due_when_missing_renamed_or_near_its_end() {
        let day = 86_400;
        let c = cfg(&["a.test", "b.test"], 30);
        assert!(due(&c, None, 0).is_some());
        assert!(due(&c, Some(&cert(&["a.test"], 90 * day)), 0).is_some());
        assert!(due(&c, Some(&cert(&["B.test", "a.test"], 90 * day)), 0).is_none());
        assert!(due(&c, Some(&cert(&["a.test", "b.test"], 29 * day)), 0).is_some());
        let expired = due(&c, Some(&cert(&["a.test", "b.test"], 10)), 20).expect("due");
        assert!(expired.contains("expired"));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1), FIRST_BACKOFF);
        assert_eq!(backoff(2), FIRST_BACKOFF * 2);
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
