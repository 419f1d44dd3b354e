//! DKIM signing of outgoing mail (FILTER-7, DOM-3): the key of the From header's domain, or
//! failing that of the envelope sender's domain, signs the message as it leaves. A domain
//! signs when it has a key (`heron dkim generate`); deleting the key stops signing.
//!
//! Lookups are cached per domain (a domain without a key too) for [`CACHE_FOR`], and the
//! cache is cleared whenever the directory changes, so a new or deleted key takes effect at
//! once on this node and within [`CACHE_FOR`](crate::cache::CACHE_FOR) elsewhere.

use std::sync::Arc;

use heron_store::Store;

use crate::cache::TtlCache;
use crate::dkim::{DkimKey, Signer};
use crate::route::domain_of;

/// Parsed signers by domain (`None`: the domain has no key).
#[derive(Default)]
pub struct Signers {
    cache: TtlCache<Option<Arc<Signer>>>,
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

    /// Forget every cached lookup (the directory changed).
    pub fn clear(&self) {
        self.cache.clear();
    }

    async fn signer(&self, store: &dyn Store, domain: &str) -> Result<Option<Arc<Signer>>, String> {
        if let Some(s) = self.cache.get(domain) {
            return Ok(s);
        }
        let signer = match store.get_dkim_key(domain).await.map_err(|e| e.to_string())? {
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

/// The domain of the From header's address, lower-case: a plain scan of the header block
/// (the signature itself is computed by the DKIM library over the real parse).
fn from_domain(message: &[u8]) -> Option<String> {
    let head = &message[..message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len())];
    let text = String::from_utf8_lossy(head);
    let mut value: Option<String> = None;
    for line in text.split("\r\n") {
        match &mut value {
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
            Some(_) => break,
            None => {
                if let Some((name, rest)) = line.split_once(':')
                    && name.trim().eq_ignore_ascii_case("from")
                {
                    value = Some(rest.to_owned());
                }
            }
        }
    }
    let v = value?;
    let addr = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.split(',').next().unwrap_or(""),
    };
    let d = domain_of(addr.trim());
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
        let folded = b"Subject: x\r\nfrom:\r\n \"Long, Name\" <x@Folded.test>\r\n\r\nFrom: y@body.test\r\n";
        assert_eq!(from_domain(folded).as_deref(), Some("folded.test"));
        assert_eq!(from_domain(b"From: bare@bare.test\r\n\r\n").as_deref(), Some("bare.test"));
    }
}
