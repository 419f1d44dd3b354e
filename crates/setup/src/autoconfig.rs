//! Thunderbird autoconfiguration (`config-v1.1.xml`, the "clientConfig" format of
//! Mozilla's ISPDB, served at `/.well-known/autoconfig/mail/config-v1.1.xml` and at
//! `autoconfig.DOMAIN/mail/config-v1.1.xml`): one `emailProvider` with an `incomingServer`
//! per IMAP and POP3 endpoint and an `outgoingServer` per submission endpoint.
//!
//! Invariants: the user name is the full address (`%EMAILADDRESS%`), as Heron's logins are;
//! password authentication is always over the socket type listed (never downgraded).

use crate::endpoints::{ClientSetup, Security, Service};
use crate::xml::escape;

/// The document's media type.
pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";

fn socket_type(s: Security) -> &'static str {
    match s {
        Security::Tls => "SSL",
        Security::StartTls => "STARTTLS",
        Security::None => "plain",
    }
}

fn server(tag: &str, ty: &str, host: &str, port: u16, s: Security) -> String {
    format!(
        "    <{tag} type=\"{ty}\">\n      <hostname>{host}</hostname>\n      <port>{port}</port>\n      \
<socketType>{}</socketType>\n      <authentication>password-cleartext</authentication>\n      \
<username>%EMAILADDRESS%</username>\n    </{tag}>\n",
        socket_type(s)
    )
}

/// The `clientConfig` document for a domain's clients.
pub fn render(setup: &ClientSetup) -> String {
    let domain = escape(&setup.domain);
    let host = escape(&setup.hostname);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n",
    );
    out.push_str(&format!(
        "  <emailProvider id=\"{domain}\">\n    <domain>{domain}</domain>\n    \
<displayName>{domain}</displayName>\n    <displayShortName>{domain}</displayShortName>\n"
    ));
    for (service, ty) in [(Service::Imap, "imap"), (Service::Pop3, "pop3")] {
        for e in setup.of(service) {
            out.push_str(&server("incomingServer", ty, &host, e.port, e.security));
        }
    }
    for e in setup.of(Service::Submission) {
        out.push_str(&server("outgoingServer", "smtp", &host, e.port, e.security));
    }
    out.push_str("  </emailProvider>\n</clientConfig>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_endpoint() {
        let x = super::render(&crate::endpoints::sample());
        assert_eq!(x.matches("<incomingServer type=\"imap\">").count(), 2);
        assert_eq!(x.matches("<incomingServer type=\"pop3\">").count(), 1);
        assert_eq!(x.matches("<outgoingServer type=\"smtp\">").count(), 2);
        assert!(x.contains("<port>993</port>\n      <socketType>SSL</socketType>"));
        assert!(x.contains("<port>587</port>\n      <socketType>STARTTLS</socketType>"));
    }
}
