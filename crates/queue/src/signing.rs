//! DKIM signing of outgoing mail (FILTER-7, DOM-3): the key of the envelope sender's domain
//! signs the message as it leaves (so a user can never get another hosted domain's
//! signature by writing its address in From, and the submission check ties the envelope
//! sender to the login). A domain signs when it has a key (`heron dkim generate`); deleting the key stops signing.
//!
//! Lookups are cached per domain (a domain without a key too) for [`CACHE_FOR`], and the
//! cache is cleared whenever the directory changes, so a new or deleted key takes effect at
//! once on this node and within [`CACHE_FOR`](crate::cache::CACHE_FOR) elsewhere.

use std::sync::Arc;

use heron_store::Store;

use crate::cache::TtlCache;
use crate::route::domain_of;
use heron_mailauth::dkim::{DkimKey, Signer};

/// Parsed signers by domain (`None`: the domain has no key).
#[derive(Default)]
pub struct Signers {
    cache: TtlCache<Option<Arc<Signer>>>,
}

impl Signers {
    /// The `DKIM-Signature` header for `message` sent by `sender`, or `None` when the
    /// sender's domain has no key (or signing failed, which is logged: mail still goes out
    /// unsigned).
    pub async fn sign(&self, store: &dyn Store, sender: &str, message: &[u8]) -> Option<String> {
        let d = domain_of(sender);
        if d.is_empty() {
            return None;
        }
        let signer = match self.signer(store, &d).await {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!(target: "delivery", "DKIM key of {d} unusable: {e}");
                return None;
            }
        };
        signer
            .sign(message)
            .inspect_err(|e| tracing::warn!(target: "delivery", "DKIM signing for {d} failed: {e}"))
            .ok()
    }

    /// Forget every cached lookup (the directory changed).
    pub fn clear(&self) {
        self.cache.clear();
    }

    /// The parsed key of `domain`, `None` when it has none; an unusable key is an error.
    pub async fn signer(
        &self,
        store: &dyn Store,
        domain: &str,
    ) -> Result<Option<Arc<Signer>>, String> {
        if let Some(s) = self.cache.get(domain) {
            return Ok(s);
        }
        let signer = match store
            .get_dkim_key(domain)
            .await
            .map_err(|e| e.to_string())?
        {
            None => None,
            Some(rec) => {
                let key = DkimKey::from_pem(&rec.domain, &rec.selector, &rec.private_key)
                    .map_err(|e| e.to_string())?;
                Some(Arc::new(Signer::new(&key).map_err(|e| e.to_string())?))
            }
        };
        self.cache.put(domain, signer.clone());
        Ok(signer)
    }
}
