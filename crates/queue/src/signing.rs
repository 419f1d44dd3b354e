//! DKIM signing of outgoing mail (FILTER-7, DOM-3): the key of the From header's domain, or
//! failing that of the envelope sender's domain, signs the message as it leaves. A domain
//! signs when it has a key (`heron dkim generate`); deleting the key stops signing.
//!
//! Parsed keys are cached per domain and re-parsed only when the stored key changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use heron_store::Store;

use crate::dkim::{DkimKey, Signer};
use crate::route::domain_of;

/// Parsed signers by domain, with the key text they were made from.
#[derive(Default)]
pub struct Signers {
    cache: Mutex<HashMap<String, (String, Arc<Signer>)>>,
}

impl Signers {
    /// The `DKIM-Signature` header for `message`, or `None` when no candidate domain has a
    /// key (or signing failed, which is logged: mail still goes out unsigned).
    pub async fn sign(&self, store: &dyn Store, sender: &str, message: &[u8]) -> Option<String> {
        let mut domains = Vec::new();
        if let Some(d) = from_domain(message) {
            domains.push(d);
        }
        let envelope = domain_of(sender);
        if !envelope.is_empty() && !domains.contains(&envelope) {
            domains.push(envelope);
        }
        for d in domains {
            let signer = match self.signer(store, &d).await {
                Ok(Some(s)) => s,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(target: "delivery", "DKIM key of {d} unusable: {e}");
                    continue;
                }
            };
            match signer.sign(message) {
                Ok(h) => return Some(h),
                Err(e) => {
                    tracing::warn!(target: "delivery", "DKIM signing for {d} failed: {e}");
                    return None;
                }
            }
        }
        None
    }

    async fn signer(&self, store: &dyn Store, domain: &str) -> Result<Option<Arc<Signer>>, String> {
        let Some(rec) = store.get_dkim_key(domain).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let mut cache = self.cache.lock().map_err(|_| "signer cache poisoned".to_owned())?;
        if let Some((text, s)) = cache.get(domain)
            && *text == rec.private_key
        {
            return Ok(Some(s.clone()));
        }
        let key = DkimKey::from_pem(&rec.domain, &rec.selector, &rec.private_key)
            .map_err(|e| e.to_string())?;
        let signer = Arc::new(Signer::new(&key).map_err(|e| e.to_string())?);
        cache.insert(domain.to_owned(), (rec.private_key, signer.clone()));
        Ok(Some(signer))
    }
}

/// The domain of the (first) From header's address, lower-case.
fn from_domain(message: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::new()
        .parse_headers(message)?;
    let from = parsed.from()?.first()?.address()?.to_owned();
    let d = domain_of(&from);
    (!d.is_empty()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_header_domain() {
        let m = b"From: \"A\" <a@Mail.A.test>\r\nTo: b@b.test\r\n\r\nhi\r\n";
        assert_eq!(from_domain(m).as_deref(), Some("mail.a.test"));
        assert_eq!(from_domain(b"To: b@b.test\r\n\r\nx\r\n"), None);
    }
}
