//! ROUTE-1: which server a domain's mail is forwarded to, read from `route.forwarding` and
//! `route.forwarding_blacklist`. Both SMTP-in (which domains it accepts mail for) and the
//! spool (where that mail goes) ask here, so they cannot disagree.
//!
//! Invariant: a domain on the forwarding blacklist, or under one of its entries, is never
//! forwarded, whatever `route.forwarding` says.

use crate::routes::{HostPort, parse_domains, parse_forwarding};
use crate::{Settings, defs};

/// The forwarding server of `domain`, unless the domain is blacklisted for forwarding.
pub fn forwarding_target(settings: &Settings, domain: &str) -> Option<HostPort> {
    let domain = domain.to_ascii_lowercase();
    let blacklist =
        parse_domains(&settings.get(defs::FORWARDING_BLACKLIST).join(",")).unwrap_or_default();
    if blacklisted(&blacklist, &domain) {
        return None;
    }
    parse_forwarding(&settings.get(defs::ROUTE_FORWARDING).join(","))
        .unwrap_or_default()
        .into_iter()
        .find(|f| f.domain == domain)
        .map(|f| f.to)
}

/// A blacklist entry covers the domain and its subdomains.
fn blacklisted(list: &[String], domain: &str) -> bool {
    list.iter()
        .any(|b| domain == b || domain.ends_with(&format!(".{b}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blacklist_covers_subdomains() {
        let list = vec!["bad.test".to_owned()];
        assert!(blacklisted(&list, "bad.test"));
        assert!(blacklisted(&list, "mx.bad.test"));
        assert!(!blacklisted(&list, "notbad.test"));
    }
}
