//! TLS client configurations that authenticate the server: the public web roots plus the
//! certificates of `smtp_out.tls_ca_file` (built by [`heron_net::webpki_client`]; used for
//! MTA-STS policy fetches and for MX hosts under an MTA-STS policy), and the sorting of a failed handshake into a TLS-RPT result
//! type (RFC 8460 §4.3).
//!
//! Invariant: a configuration is built once per CA file name and shared, so sessions resume;
//! a CA file that cannot be read is an error, never a silent fall back to no verification.

use std::sync::{Arc, Mutex};

use rustls::{CertificateError, ClientConfig};

/// The configurations built so far, by CA file name.
#[derive(Default)]
pub struct Configs {
    built: Mutex<Vec<(String, Arc<ClientConfig>)>>,
}

impl Configs {
    /// The verifying configuration for `ca_file` (empty: public roots only).
    pub fn webpki(&self, ca_file: &str) -> Result<Arc<ClientConfig>, String> {
        if let Ok(built) = self.built.lock()
            && let Some((_, c)) = built.iter().find(|(f, _)| f == ca_file)
        {
            return Ok(c.clone());
        }
        let config = heron_net::webpki_client::verifying_config(ca_file)?;
        if let Ok(mut built) = self.built.lock() {
            built.push((ca_file.to_owned(), config.clone()));
        }
        Ok(config)
    }
}

/// The TLS-RPT result type of a certificate refused by the verifier.
pub fn result_type(e: &CertificateError) -> &'static str {
    match e {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "certificate-expired"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "certificate-host-mismatch"
        }
        CertificateError::UnknownIssuer | CertificateError::BadSignature => {
            "certificate-not-trusted"
        }
        _ => "validation-failure",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_roots_and_missing_file() {
        let c = Configs::default();
        let a = c.webpki("").unwrap();
        let b = c.webpki("").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(c.webpki("/nonexistent/ca.pem").is_err());
        assert_eq!(
            result_type(&CertificateError::UnknownIssuer),
            "certificate-not-trusted"
        );
    }
}
