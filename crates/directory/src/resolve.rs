//! DOM-10 recipient resolution: an address of a hosted domain (or of one of its domain
//! aliases) becomes the set of local mailboxes and remote addresses it delivers to.
//!
//! Rules, in order: a user wins; then an alias (expanded recursively, each address visited
//! once, so loops are cut); then, for `postmaster`, the postmaster stand-in (RFC 5321
//! §4.5.1, `postmaster.rs`); then the domain's catch-all, when catch-alls are enabled
//! server-wide (SEC-10). Disabled users and domains receive nothing. Expansion stops after
//! [`MAX_EXPANSION`] addresses.

use std::collections::{HashSet, VecDeque};

use heron_settings::defs;
use heron_store::User;

use crate::address::Address;
use crate::{Directory, Result};

/// Most addresses one recipient may expand to.
pub const MAX_EXPANSION: usize = 1000;

/// Where mail for one address goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Local mailboxes, each once.
    pub mailboxes: Vec<User>,
    /// Addresses outside the hosted domains (to be relayed).
    pub remote: Vec<String>,
}

impl Resolution {
    /// Nothing to deliver to: the address is unknown.
    pub fn is_empty(&self) -> bool {
        self.mailboxes.is_empty() && self.remote.is_empty()
    }
}

impl Directory {
    /// Whether `domain` (or a domain alias) is hosted here and enabled.
    pub async fn is_local_domain(&self, domain: &str) -> Result<bool> {
        Ok(self.find_domain(domain).await?.is_some_and(|d| !d.disabled))
    }

    /// Resolve a recipient address. Unknown local addresses give an empty resolution;
    /// addresses of other domains resolve to themselves as remote.
    pub async fn resolve(&self, address: &str) -> Result<Resolution> {
        let mut out = Resolution::default();
        let Ok(start) = Address::parse(address) else {
            return Ok(out);
        };
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([(start, true)]);
        let catch_alls = self.settings.get(defs::CATCH_ALLS);
        while let Some((a, first)) = queue.pop_front() {
            if !seen.insert(a.clone()) || seen.len() > MAX_EXPANSION {
                continue;
            }
            let Some(d) = self.find_domain(&a.domain).await? else {
                out.remote.push(a.to_string());
                continue;
            };
            if d.disabled {
                continue;
            }
            if let Some(u) = self.store.get_user(d.id, &a.local).await? {
                if !u.disabled && !out.mailboxes.iter().any(|m| m.id == u.id) {
                    out.mailboxes.push(u);
                }
                continue;
            }
            if let Some(alias) = self.store.get_alias(d.id, &a.local).await? {
                for t in &alias.targets {
                    if let Ok(t) = Address::parse(t) {
                        queue.push_back((t, false));
                    }
                }
                continue;
            }
            // RFC 5321 §4.5.1: postmaster@ every hosted domain is deliverable.
            if a.local == crate::POSTMASTER
                && let Some(t) = self.postmaster_stand_in(&d).await?
            {
                queue.push_back((t, false));
                continue;
            }
            // The catch-all applies only to the address asked about, not to alias targets,
            // so a mistyped alias target cannot silently land in the catch-all.
            if first
                && catch_alls
                && let Some(target) = &d.catch_all
            {
                let t = if target.contains('@') {
                    target.clone()
                } else {
                    format!("{target}@{}", d.name)
                };
                if let Ok(t) = Address::parse(&t) {
                    queue.push_back((t, false));
                }
            }
        }
        Ok(out)
    }
}
