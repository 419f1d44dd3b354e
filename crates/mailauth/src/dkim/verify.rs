//! DKIM verification of arriving mail (RFC 6376 §6) with mail-auth, through the server's own
//! resolver, reported in an `Authentication-Results` header (RFC 8601) that the receiving
//! SMTP session puts on the message.
//!
//! Invariant: a message without a DKIM-Signature is not parsed or looked up at all.

use mail_auth::common::headers::HeaderWriter;
use mail_auth::{AuthenticatedMessage, AuthenticationResults, MessageAuthenticator};

use crate::dns::Dns;

/// The `Authentication-Results` header (with CRLF) for `message`, or `None` when it carries
/// no DKIM signature.
pub async fn authentication_results(dns: &Dns, hostname: &str, message: &[u8]) -> Option<String> {
    if !has_signature(message) {
        return None;
    }
    let parsed = AuthenticatedMessage::parse(message)?;
    let authenticator = MessageAuthenticator(dns.resolver().clone());
    let outputs = authenticator.verify_dkim(&parsed).await;
    let from = parsed.from().rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    Some(
        AuthenticationResults::new(hostname)
            .with_dkim_results(&outputs, from)
            .to_header(),
    )
}

/// Whether the header block has a DKIM-Signature field.
fn has_signature(message: &[u8]) -> bool {
    heron_message::fields(message).any(|f| f.is("DKIM-Signature"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_signature_field_in_the_header_block_only() {
        assert!(has_signature(
            b"X: 1\r\ndkim-signature: v=1\r\n\r\nbody\r\n"
        ));
        assert!(!has_signature(
            b"X: 1\r\n\r\nDKIM-Signature: in the body\r\n"
        ));
        assert!(!has_signature(b"X: 1\r\n\r\n"));
    }
}
