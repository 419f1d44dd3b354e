//! ROUTE-1/ROUTE-2: domains not hosted here whose mail SMTP-in still takes from any client:
//! forwarded domains, and domains this server is a backup MX for (one of their MX hosts
//! resolves to an address listed in `route.backup_primaries`).
//!
//! Invariant: a DNS failure counts as "not backed up", so it can only refuse, never open
//! relaying.

use heron_mailauth::dns::{Dns, MxAnswer};
use heron_settings::forwarding::forwarding_target;
use heron_settings::routes::parse_ips;
use heron_settings::{Settings, defs};

/// Whether SMTP-in may accept mail for `domain`, which is not hosted here, from any client:
/// it is forwarded (ROUTE-1) or backed up (ROUTE-2).
pub async fn accepts_for(settings: &Settings, dns: Option<&Dns>, domain: &str) -> bool {
    if forwarding_target(settings, domain).is_some() {
        return true;
    }
    match dns {
        Some(dns) => is_backup_for(settings, dns, domain).await,
        None => false,
    }
}

/// ROUTE-2: whether one of `domain`'s MX hosts resolves to a listed primary.
async fn is_backup_for(settings: &Settings, dns: &Dns, domain: &str) -> bool {
    let primaries =
        parse_ips(&settings.get(defs::ROUTE_BACKUP_PRIMARIES).join(",")).unwrap_or_default();
    if primaries.is_empty() {
        return false;
    }
    let Ok(MxAnswer::Hosts(hosts)) = dns.mx(domain).await else {
        return false;
    };
    for h in hosts {
        if let Ok(ips) = dns.ips(&h.host).await
            && ips.iter().any(|ip| primaries.contains(ip))
        {
            return true;
        }
    }
    false
}
