//! Outbound TLS policy: which MX hosts of a recipient domain may be used and how their TLS
//! must be checked.
//!
//! - `mta_sts`: the pure parsers of RFC 8461 (TXT record, policy file, MX patterns);
//! - `fetch`: the HTTPS fetch of the policy file;
//! - `dane`: TLSA lookups trusting the resolver's AD bit, and the DANE verifier;
//! - `plan`: per MX host, which of DANE, MTA-STS or opportunistic TLS applies;
//! - `requiretls`: REQUIRETLS (RFC 8689) and `TLS-Required: No` applied to a plan;
//! - `verify`: verifying TLS configurations and the TLS-RPT result type of a refusal;
//! - `report`: TLS-RPT (RFC 8460) results and the daily reports;
//! - `hosted`: the policy this server publishes for its own domains.
//!
//! Policies are cached in memory on each node (not in the store): a node that starts, or a
//! second node, fetches the policy again the first time it delivers to the domain. The
//! cache follows RFC 8461 §5.1: a policy is used until its `max_age` runs out; a TXT record
//! with another `id` makes us fetch again, and when that fetch fails the cached policy
//! stands; a missing TXT record does not remove a cached policy (a downgrade attacker could
//! hide it).
//!
//! Invariant: a lookup never fails a delivery by itself: no policy, a policy that cannot be
//! fetched, or one that does not parse, means opportunistic TLS, with the failure reported.

pub mod dane;
pub mod fetch;
pub mod hosted;
pub mod mta_sts;
pub mod plan;
pub mod report;
pub mod requiretls;
pub mod verify;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use heron_mailauth::Dns;
use heron_settings::{Settings, defs};

pub use mta_sts::{Mode, Policy};

/// Policies kept per node at most, so a flood of recipient domains cannot grow it forever.
const MAX_CACHED: usize = 10_000;
/// Bound on one policy fetch (RFC 8461 §3.3 suggests about a minute).
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A domain's MTA-STS policy, as it applies to one delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsPolicy {
    /// The policy domain (the recipient domain).
    pub domain: String,
    /// The `id` of the TXT record the policy was fetched for.
    pub id: String,
    /// The policy.
    pub policy: Policy,
}

/// What the MTA-STS lookup found for a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StsLookup {
    /// No policy (no TXT record, MTA-STS switched off, or mode `none`).
    None,
    /// A policy in force.
    Policy(StsPolicy),
    /// A TXT record but no usable policy: the TLS-RPT result type
    /// (`sts-policy-fetch-error`, `sts-policy-invalid`, `sts-webpki-invalid`) and the detail.
    Failed {
        /// The TLS-RPT result type.
        result: &'static str,
        /// Why.
        detail: String,
    },
}

struct Cached {
    id: String,
    policy: Policy,
    until: Instant,
}

/// The node's outbound TLS state: verifying configurations and cached MTA-STS policies.
#[derive(Default)]
pub struct TlsPolicies {
    /// Verifying TLS configurations, by CA file.
    pub configs: verify::Configs,
    sts: Mutex<HashMap<String, Cached>>,
}

impl TlsPolicies {
    /// The MTA-STS policy of `domain` (RFC 8461 §3, §5.1).
    pub async fn sts(&self, dns: &Dns, settings: &Settings, domain: &str) -> StsLookup {
        if !settings.get(defs::SMTP_OUT_MTA_STS) {
            return StsLookup::None;
        }
        let cached = self.cached(domain);
        let record = dns
            .txt(&format!("_mta-sts.{domain}"))
            .await
            .map_err(|e| e.to_string())
            .and_then(|t| mta_sts::parse_txt(&t).map_err(|e| e.to_string()));
        let id = match record {
            Ok(Some(id)) => id,
            // No record, or none readable: a cached policy still stands (§5.1).
            Ok(None) | Err(_) => return cached.map_or(StsLookup::None, in_force),
        };
        if let Some(c) = &cached
            && c.id == id
        {
            return in_force(c.clone());
        }
        match self.fetch(dns, settings, domain).await {
            Ok(policy) => {
                let found = StsPolicy {
                    domain: domain.to_owned(),
                    id,
                    policy,
                };
                self.remember(&found);
                tracing::info!(target: "delivery", "MTA-STS policy of {domain}: {} (id {}, max_age {})",
                    found.policy.mode, found.id, found.policy.max_age);
                in_force(found)
            }
            Err(failed) => {
                tracing::warn!(target: "delivery", "MTA-STS policy of {domain}: {failed:?}");
                match cached {
                    Some(c) => in_force(c),
                    None => failed,
                }
            }
        }
    }

    async fn fetch(
        &self,
        dns: &Dns,
        settings: &Settings,
        domain: &str,
    ) -> Result<Policy, StsLookup> {
        let config = self
            .configs
            .webpki(&settings.get(defs::SMTP_OUT_TLS_CA_FILE))
            .map_err(|detail| StsLookup::Failed {
                result: "sts-policy-fetch-error",
                detail,
            })?;
        let port = u16::try_from(settings.get(defs::SMTP_OUT_MTA_STS_PORT)).unwrap_or(443);
        let body = fetch::policy_file(dns, domain, port, config, FETCH_TIMEOUT)
            .await
            .map_err(|detail| StsLookup::Failed {
                result: if detail.contains("invalid peer certificate") {
                    "sts-webpki-invalid"
                } else {
                    "sts-policy-fetch-error"
                },
                detail,
            })?;
        mta_sts::parse_policy(&body).map_err(|e| StsLookup::Failed {
            result: "sts-policy-invalid",
            detail: e.to_string(),
        })
    }

    fn cached(&self, domain: &str) -> Option<StsPolicy> {
        let mut map = self.sts.lock().ok()?;
        let c = map.get(domain)?;
        if c.until <= Instant::now() {
            map.remove(domain);
            return None;
        }
        Some(StsPolicy {
            domain: domain.to_owned(),
            id: c.id.clone(),
            policy: c.policy.clone(),
        })
    }

    fn remember(&self, p: &StsPolicy) {
        let Ok(mut map) = self.sts.lock() else {
            return;
        };
        if map.len() >= MAX_CACHED {
            let now = Instant::now();
            map.retain(|_, c| c.until > now);
            if map.len() >= MAX_CACHED {
                return;
            }
        }
        map.insert(
            p.domain.clone(),
            Cached {
                id: p.id.clone(),
                policy: p.policy.clone(),
                until: Instant::now() + Duration::from_secs(p.policy.max_age),
            },
        );
    }

    /// Forget every cached policy.
    pub fn clear(&self) {
        if let Ok(mut map) = self.sts.lock() {
            map.clear();
        }
    }
}

/// A found policy; mode `none` is no policy (RFC 8461 §5).
fn in_force(p: StsPolicy) -> StsLookup {
    if p.policy.mode == Mode::None {
        StsLookup::None
    } else {
        StsLookup::Policy(p)
    }
}
