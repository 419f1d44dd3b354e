//! RFC 5321 §4.5.1: every hosted domain receives mail for its postmaster. When a domain (or
//! one of its domain aliases) has no user or alias called `postmaster`, that mail goes to the
//! address in `server.postmaster`, or, while that is empty, to the domain's first domain
//! administrator (the oldest account).
//!
//! Invariants: a user or alias named postmaster keeps precedence (this is asked only after
//! both were looked up); the stand-in is always an address the server chose, never one the
//! client named, so postmaster mail cannot be steered to another server by a client.

use heron_settings::defs;
use heron_store::Domain;

use crate::address::Address;
use crate::{Directory, Result};

/// The local part every hosted domain must receive mail for (compared lower-cased).
pub const POSTMASTER: &str = "postmaster";

impl Directory {
    /// Where postmaster mail of the hosted domain `d` goes when `d` has no user or alias of
    /// that name; `None` when nobody is configured and `d` has no administrator.
    pub(crate) async fn postmaster_stand_in(&self, d: &Domain) -> Result<Option<Address>> {
        let configured = self.settings.get(defs::SERVER_POSTMASTER);
        if !configured.trim().is_empty() {
            return match Address::parse(&configured) {
                Ok(a) => Ok(Some(a)),
                Err(e) => {
                    tracing::error!("server.postmaster {configured:?} is unusable: {e}");
                    Ok(None)
                }
            };
        }
        let admins = self.store.domain_admins(d.id).await?;
        Ok(admins.into_iter().next().map(|u| Address {
            local: u.local,
            domain: d.name.clone(),
        }))
    }
}
