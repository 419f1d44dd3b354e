//! Apple configuration profile (`.mobileconfig`) for one user: an unsigned XML property list
//! holding one `com.apple.mail.managed` payload with the domain's best incoming server
//! (IMAP, else POP3) and its best submission server.
//!
//! Invariants: no password is put in the profile (the device asks for it); the payload
//! identifiers and UUIDs are derived from the address and host name, so downloading the
//! profile again replaces the installed one instead of adding a second account.

use sha2::{Digest, Sha256};

use crate::endpoints::{ClientSetup, Security, Service};
use crate::xml::escape;

/// The profile's media type.
pub const CONTENT_TYPE: &str = "application/x-apple-aspen-config";

/// A UUID-shaped identifier derived from `seed`.
fn uuid(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn string(key: &str, value: &str) -> String {
    format!(
        "\t\t\t<key>{key}</key>\n\t\t\t<string>{}</string>\n",
        escape(value)
    )
}

fn integer(key: &str, value: u16) -> String {
    format!("\t\t\t<key>{key}</key>\n\t\t\t<integer>{value}</integer>\n")
}

fn boolean(key: &str, value: bool) -> String {
    let v = if value { "<true/>" } else { "<false/>" };
    format!("\t\t\t<key>{key}</key>\n\t\t\t{v}\n")
}

/// The profile for `address` (display name `name`), or `None` when the domain has no
/// incoming or no submission server to configure.
pub fn render(setup: &ClientSetup, address: &str, name: &str) -> Option<String> {
    let (incoming, kind) = match setup.of(Service::Imap).next() {
        Some(e) => (e, "EmailTypeIMAP"),
        None => (setup.of(Service::Pop3).next()?, "EmailTypePOP"),
    };
    let outgoing = setup.of(Service::Submission).next()?;
    let reverse: Vec<&str> = setup.hostname.rsplit('.').collect();
    let ident = format!(
        "{}.heron.mail.{}",
        reverse.join("."),
        address.replace('@', ".")
    );
    let seed = format!("{address}/{}", setup.hostname);
    let mut mail = String::from("\t\t<dict>\n");
    mail.push_str(&string("EmailAccountDescription", address));
    mail.push_str(&string("EmailAccountName", name));
    mail.push_str(&string("EmailAccountType", kind));
    mail.push_str(&string("EmailAddress", address));
    mail.push_str(&string(
        "IncomingMailServerAuthentication",
        "EmailAuthPassword",
    ));
    mail.push_str(&string("IncomingMailServerHostName", &setup.hostname));
    mail.push_str(&integer("IncomingMailServerPortNumber", incoming.port));
    mail.push_str(&boolean(
        "IncomingMailServerUseSSL",
        incoming.security != Security::None,
    ));
    mail.push_str(&string("IncomingMailServerUsername", address));
    mail.push_str(&string(
        "OutgoingMailServerAuthentication",
        "EmailAuthPassword",
    ));
    mail.push_str(&string("OutgoingMailServerHostName", &setup.hostname));
    mail.push_str(&integer("OutgoingMailServerPortNumber", outgoing.port));
    mail.push_str(&boolean(
        "OutgoingMailServerUseSSL",
        outgoing.security != Security::None,
    ));
    mail.push_str(&string("OutgoingMailServerUsername", address));
    mail.push_str(&boolean("OutgoingPasswordSameAsIncomingPassword", true));
    mail.push_str(&string("PayloadDescription", "Mail account"));
    mail.push_str(&string("PayloadDisplayName", address));
    mail.push_str(&string("PayloadIdentifier", &format!("{ident}.account")));
    mail.push_str(&string("PayloadType", "com.apple.mail.managed"));
    mail.push_str(&string("PayloadUUID", &uuid(&format!("{seed}/account"))));
    mail.push_str(&integer("PayloadVersion", 1));
    mail.push_str("\t\t</dict>\n");
    let top = |s: String| s.replacen("\t\t\t", "\t", 2);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \
\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>PayloadContent</key>\n\t<array>\n",
    );
    out.push_str(&mail);
    out.push_str("\t</array>\n");
    out.push_str(&top(string(
        "PayloadDescription",
        &format!("Mail settings for {address}"),
    )));
    out.push_str(&top(string(
        "PayloadDisplayName",
        &format!("Mail: {address}"),
    )));
    out.push_str(&top(string("PayloadIdentifier", &ident)));
    out.push_str(&top(boolean("PayloadRemovalDisallowed", false)));
    out.push_str(&top(string("PayloadType", "Configuration")));
    out.push_str(&top(string("PayloadUUID", &uuid(&seed))));
    out.push_str(&top(integer("PayloadVersion", 1)));
    out.push_str("</dict>\n</plist>\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_mail_payload() {
        let p = super::render(&crate::endpoints::sample(), "ann@example.test", "Ann <A&B>")
            .unwrap_or_default();
        assert!(p.contains("<string>com.apple.mail.managed</string>"));
        assert!(
            p.contains("<key>IncomingMailServerPortNumber</key>\n\t\t\t<integer>993</integer>")
        );
        assert!(p.contains("Ann &lt;A&amp;B&gt;"));
        assert!(p.contains("\t<key>PayloadType</key>\n\t<string>Configuration</string>"));
    }

    #[test]
    fn stable_uuids() {
        assert_eq!(super::uuid("x"), super::uuid("x"));
        assert_eq!(super::uuid("x").len(), 36);
    }
}
