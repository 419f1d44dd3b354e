//! Outlook autodiscover, the plain-old-XML ("POX") form: a POST of an `Autodiscover` request
//! naming an `EMailAddress` is answered with the settings for it in the
//! `http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a` schema,
//! one `Protocol` each for IMAP, POP3 and SMTP (the best endpoint of each service).
//!
//! Invariants: the request is never parsed as general XML (no DTDs, no entities): only the
//! text of its `EMailAddress` element is taken, and only if it looks like an address; the
//! caller bounds the body ([`MAX_REQUEST`]).

use crate::endpoints::{ClientSetup, Security, Service};
use crate::xml::escape;

/// The document's media type.
pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";
/// Largest request body read.
pub const MAX_REQUEST: usize = 16 * 1024;
/// The response envelope's namespace.
pub const RESPONSE_NS: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
/// The Outlook response schema.
pub const OUTLOOK_NS: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// The address a request asks about, if it names one.
pub fn requested_address(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let lower = text.to_ascii_lowercase();
    // The opening tag, with or without a namespace prefix: `<EMailAddress>` or `<a:EMailAddress>`.
    let at = lower.find("emailaddress>")?;
    let open_start = lower[..at].rfind('<')?;
    if lower[open_start..at].contains(['/', ' ', '>']) {
        return None;
    }
    let start = at + "emailaddress>".len();
    let end = start + text[start..].find('<')?;
    let address = text[start..end].trim();
    let (local, domain) = address.rsplit_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && address.len() <= 254
        && !address.contains(|c: char| c.is_whitespace() || c.is_control() || "<>&\"'".contains(c));
    ok.then(|| address.to_owned())
}

fn protocol(ty: &str, host: &str, port: u16, security: Security, login: &str) -> String {
    let (ssl, encryption) = match security {
        Security::Tls => ("on", "SSL"),
        Security::StartTls => ("on", "TLS"),
        Security::None => ("off", "None"),
    };
    format!(
        "      <Protocol>\n        <Type>{ty}</Type>\n        <Server>{host}</Server>\n        \
<Port>{port}</Port>\n        <DomainRequired>off</DomainRequired>\n        <LoginName>{login}</LoginName>\n        \
<SPA>off</SPA>\n        <SSL>{ssl}</SSL>\n        <Encryption>{encryption}</Encryption>\n        \
<AuthRequired>on</AuthRequired>\n      </Protocol>\n"
    )
}

/// The settings for `address`, a user of the domain of `setup`.
pub fn render(setup: &ClientSetup, address: &str) -> String {
    let host = escape(&setup.hostname);
    let login = escape(address);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"{RESPONSE_NS}\">\n  \
<Response xmlns=\"{OUTLOOK_NS}\">\n    <User>\n      <DisplayName>{login}</DisplayName>\n    </User>\n    \
<Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n"
    );
    for (service, ty) in [
        (Service::Imap, "IMAP"),
        (Service::Pop3, "POP3"),
        (Service::Submission, "SMTP"),
    ] {
        if let Some(e) = setup.of(service).next() {
            out.push_str(&protocol(ty, &host, e.port, e.security, &login));
        }
    }
    out.push_str("    </Account>\n  </Response>\n</Autodiscover>\n");
    out
}

/// An error response (code 600, "Invalid Request", as Exchange answers a request it cannot
/// serve).
pub fn error(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"{RESPONSE_NS}\">\n  <Response>\n    \
<Error Id=\"0\">\n      <ErrorCode>600</ErrorCode>\n      <Message>{}</Message>\n      <DebugData />\n    \
</Error>\n  </Response>\n</Autodiscover>\n",
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address() {
        let req = br#"<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress> ann@Example.test </EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#;
        assert_eq!(requested_address(req).as_deref(), Some("ann@Example.test"));
        assert_eq!(
            requested_address(b"<a:EMailAddress>b@c.test</a:EMailAddress>").as_deref(),
            Some("b@c.test")
        );
        assert_eq!(
            requested_address(b"<EMailAddress>not an address</EMailAddress>"),
            None
        );
        assert_eq!(requested_address(b"<Request/>"), None);
        assert_eq!(requested_address(&[0xff, 0xfe]), None);
    }

    #[test]
    fn one_protocol_per_service() {
        let x = render(&crate::endpoints::sample(), "ann@example.test");
        assert_eq!(x.matches("<Protocol>").count(), 3);
        assert!(x.contains("<Type>IMAP</Type>\n        <Server>mail.example.test</Server>\n        <Port>993</Port>"));
        assert!(x.contains("<Type>SMTP</Type>\n        <Server>mail.example.test</Server>\n        <Port>465</Port>"));
    }
}
