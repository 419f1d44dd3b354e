//! How to use one MX host of a recipient domain: which TLS is required and how the server is
//! authenticated, from DANE (RFC 7672) first, then MTA-STS (RFC 8461), else opportunistic
//! TLS (RFC 7435).
//!
//! Invariants: DANE applies only when the domain's MX answer was DNSSEC-authenticated and
//! takes precedence over MTA-STS (RFC 8461 §2); a plan held to DANE or to an `enforce` policy
//! has no plain-text fallback; a host that such a policy excludes gets a deferral reply.

use std::net::SocketAddr;

use heron_settings::values::parse_dns_servers;
use heron_settings::{Settings, defs};

use super::report::Failure;
use super::{Mode, StsLookup, dane};
use crate::Queue;
use crate::client::{ClientOptions, StartTls, Verify};

/// The reply for mail deferred because a policy's TLS requirement was not met.
pub const TLS_DEFERRED: &str = "451 4.7.5";

/// The policy a session is held to, for TLS-RPT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The policy domain.
    pub domain: String,
    /// `sts` or `tlsa`.
    pub kind: &'static str,
    /// The policy's lines, newline-joined.
    pub text: String,
    /// No fallback: a failure defers.
    pub strict: bool,
}

/// How one MX host is to be used.
pub struct HostPlan {
    /// The options of the first try.
    pub opts: ClientOptions,
    /// The policy the first try is held to (reported on), if any.
    pub held: Option<Held>,
    /// Options to try after a TLS failure of the first (MTA-STS `testing`).
    pub fallback: Option<ClientOptions>,
}

impl HostPlan {
    fn plain(opts: &ClientOptions) -> Self {
        Self {
            opts: opts.clone(),
            held: None,
            fallback: None,
        }
    }
}

/// The resolver DANE's own queries go to: the first `dns.servers` entry, else the local one.
pub fn dane_server(settings: &Settings) -> SocketAddr {
    parse_dns_servers(&settings.get(defs::DNS_SERVERS).join(","))
        .ok()
        .and_then(|s| s.first().copied())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 53)))
}

/// The plan for host `name` of `domain`; `mx_secure` says whether the MX answer was
/// authenticated (DANE applies). `Err` is the deferral reply of a host that cannot be used.
pub async fn host_plan(
    q: &Queue,
    domain: &str,
    mx_secure: bool,
    sts: &StsLookup,
    name: &str,
    port: u16,
    opts: &ClientOptions,
) -> Result<HostPlan, String> {
    if mx_secure {
        match dane::lookup(dane_server(&q.settings), name, port).await {
            dane::DaneLookup::Usable(records) => {
                let text = records
                    .iter()
                    .map(dane::Tlsa::text)
                    .collect::<Vec<_>>()
                    .join("\n");
                let config = dane::config(records).map_err(|e| format!("{TLS_DEFERRED} {e}"))?;
                return Ok(HostPlan {
                    opts: ClientOptions {
                        starttls: StartTls::Required,
                        verify: Some(Verify {
                            config,
                            label: format!("dane:{text}"),
                        }),
                        ..opts.clone()
                    },
                    held: Some(Held {
                        domain: domain.to_owned(),
                        kind: "tlsa",
                        text,
                        strict: true,
                    }),
                    fallback: None,
                });
            }
            dane::DaneLookup::Unusable => {
                // RFC 7672 §2.2: TLS is still mandatory, without authentication.
                return Ok(HostPlan {
                    opts: ClientOptions {
                        starttls: StartTls::Required,
                        ..opts.clone()
                    },
                    held: None,
                    fallback: None,
                });
            }
            dane::DaneLookup::Failed(why) => {
                let detail = format!("TLSA lookup of {name} failed: {why}");
                q.tls_report(
                    domain,
                    "tlsa",
                    String::new(),
                    Failure::session("tlsa-invalid", name, None, &detail),
                )
                .await;
                return Err(format!("{TLS_DEFERRED} {detail}"));
            }
            dane::DaneLookup::None => {}
        }
    }
    let StsLookup::Policy(p) = sts else {
        return Ok(HostPlan::plain(opts));
    };
    let strict = p.policy.mode == Mode::Enforce;
    let held = Held {
        domain: p.domain.clone(),
        kind: "sts",
        text: p.policy.lines().join("\n"),
        strict,
    };
    if !p.policy.matches(name) {
        let detail = format!("{name} is not an MX host of the MTA-STS policy");
        q.tls_report(
            domain,
            "sts",
            held.text.clone(),
            Failure::session("validation-failure", name, None, &detail),
        )
        .await;
        if strict {
            return Err(format!("{TLS_DEFERRED} {detail} of {domain}"));
        }
    }
    let config = match q
        .tls
        .configs
        .webpki(&q.settings.get(defs::SMTP_OUT_TLS_CA_FILE))
    {
        Ok(c) => c,
        Err(why) if strict => return Err(format!("{TLS_DEFERRED} {why}")),
        Err(_) => return Ok(HostPlan::plain(opts)),
    };
    Ok(HostPlan {
        opts: ClientOptions {
            starttls: StartTls::Required,
            verify: Some(Verify {
                config,
                label: "mta-sts".into(),
            }),
            ..opts.clone()
        },
        held: Some(held),
        fallback: (!strict).then(|| opts.clone()),
    })
}
