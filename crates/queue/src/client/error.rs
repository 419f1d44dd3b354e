//! Why a connection or a transaction could not go on. Per-recipient refusals are not errors
//! (they are [`super::Outcome`]s); these end the connection.
//!
//! Invariant: only a 5xx refusal of the greeting, EHLO/HELO, STARTTLS or AUTH is permanent;
//! every network, TLS and protocol failure is worth retrying later or elsewhere.

use super::Reply;

/// A failure that ends the connection.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection could not be made.
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    /// The server did not answer (or take our data) in time; the payload names the stage.
    #[error("timed out during {0}")]
    Timeout(&'static str),
    /// The server refused the greeting, EHLO/HELO, STARTTLS or AUTH.
    #[error("{stage} refused: {reply}")]
    Rejected {
        /// What was refused: `"greeting"`, `"EHLO"`, `"HELO"`, `"STARTTLS"`, `"AUTH"`.
        stage: &'static str,
        /// The server's reply.
        reply: Reply,
    },
    /// The TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// TLS was required and the server does not offer STARTTLS.
    #[error("{0} does not offer STARTTLS")]
    NoStartTls(String),
    /// The server's certificate was refused by a verifying configuration.
    #[error("TLS: certificate refused ({}): {}", .0.result, .0.detail)]
    Certificate(CertFailure),
    /// Reading or writing failed, or the server closed the connection.
    #[error("connection: {0}")]
    Io(std::io::Error),
    /// The server broke the protocol (unparsable reply, line too long, ...) or we cannot
    /// go on with it (no usable AUTH mechanism, connection left unusable).
    #[error("protocol: {0}")]
    Protocol(String),
}

/// Why a certificate was refused: the TLS-RPT result type (RFC 8460 §4.3) and the detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFailure {
    /// `certificate-expired`, `certificate-host-mismatch`, `certificate-not-trusted` or
    /// `validation-failure`.
    pub result: &'static str,
    /// The verifier's words.
    pub detail: String,
}

impl ClientError {
    /// A failed handshake: a refused certificate becomes [`ClientError::Certificate`].
    pub fn from_handshake(e: std::io::Error) -> ClientError {
        let cert = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .and_then(|r| match r {
                rustls::Error::InvalidCertificate(c) => Some(c.clone()),
                _ => None,
            });
        match cert {
            Some(c) => ClientError::Certificate(CertFailure {
                result: crate::tls_policy::verify::result_type(&c),
                detail: c.to_string(),
            }),
            None => ClientError::Tls(e.to_string()),
        }
    }

    /// True only for a 5xx refusal ([`ClientError::Rejected`]).
    pub fn is_permanent(&self) -> bool {
        matches!(self, ClientError::Rejected { reply, .. } if reply.is_permanent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanence_and_display() {
        let rejected = |code| ClientError::Rejected {
            stage: "greeting",
            reply: Reply {
                code,
                esc: None,
                text: "go away".into(),
            },
        };
        assert!(rejected(554).is_permanent());
        assert!(!rejected(421).is_permanent());
        assert!(!ClientError::Timeout("DATA").is_permanent());
        assert!(!ClientError::Protocol("x".into()).is_permanent());
        assert_eq!(rejected(554).to_string(), "greeting refused: 554 go away");
        assert_eq!(
            ClientError::Timeout("greeting").to_string(),
            "timed out during greeting"
        );
    }
}
