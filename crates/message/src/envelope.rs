//! The envelope of a message (what IMAP calls ENVELOPE, RFC 9051 §7.5.2): its date, subject,
//! address lists, In-Reply-To and Message-ID, as plain data.
//!
//! Date, subject, In-Reply-To and Message-ID are the raw field values, unfolded; addresses
//! come from `mail-parser`, with display names and group names re-encoded as RFC 2047 words
//! when they are not printable ASCII, so every text stays 7-bit as in a header. Sender and
//! Reply-To are From when absent (RFC 9051 §7.5.2). A group is a start marker (only
//! `mailbox`, the group's name), its members, then an end marker (all fields `None`).
//!
//! Invariants: pure; every address but a group marker has a mailbox and a host (empty when
//! the address has no `@`); a source route is taken off the address into `route`; the
//! lists keep the order of the message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use mail_parser::{Addr, HeaderName, HeaderValue};

use crate::mime::{Entity, unfold};

/// The envelope of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The Date field, unfolded.
    pub date: Option<Vec<u8>>,
    /// The Subject field, unfolded.
    pub subject: Option<Vec<u8>>,
    /// From.
    pub from: Vec<Address>,
    /// Sender, else From.
    pub sender: Vec<Address>,
    /// Reply-To, else From.
    pub reply_to: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc.
    pub bcc: Vec<Address>,
    /// The In-Reply-To field, unfolded.
    pub in_reply_to: Option<Vec<u8>>,
    /// The Message-ID field, unfolded.
    pub message_id: Option<Vec<u8>>,
}

/// One address of an address list, or a group marker (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// The display name (RFC 2047 encoded when not printable ASCII).
    pub name: Option<String>,
    /// The source route (RFC 5322 obs-route, `@relay1,@relay2`) of an address written
    /// `<@relay1,@relay2:user@host>`; the IMAP adl field (RFC 3501 §7.4.2).
    pub route: Option<String>,
    /// What stands before the last `@`, the whole address without one; a group's name in a
    /// group's start marker.
    pub mailbox: Option<String>,
    /// What stands after the last `@`.
    pub host: Option<String>,
}

/// The envelope of the message whose header is `e`'s (the root entity, or an encapsulated
/// message).
pub fn build(raw: &[u8], e: &Entity<'_>) -> Envelope {
    let text = |name: &str| e.raw_field(raw, name).map(unfold);
    let from = addresses(e.field(HeaderName::From));
    let sender = addresses(e.field(HeaderName::Sender));
    let reply_to = addresses(e.field(HeaderName::ReplyTo));
    Envelope {
        date: text("Date"),
        subject: text("Subject"),
        sender: if sender.is_empty() {
            from.clone()
        } else {
            sender
        },
        reply_to: if reply_to.is_empty() {
            from.clone()
        } else {
            reply_to
        },
        from,
        to: addresses(e.field(HeaderName::To)),
        cc: addresses(e.field(HeaderName::Cc)),
        bcc: addresses(e.field(HeaderName::Bcc)),
        in_reply_to: text("In-Reply-To"),
        message_id: text("Message-ID"),
    }
}

fn addresses(v: Option<&HeaderValue<'_>>) -> Vec<Address> {
    match v {
        Some(HeaderValue::Address(mail_parser::Address::List(list))) => {
            list.iter().filter_map(address).collect()
        }
        Some(HeaderValue::Address(mail_parser::Address::Group(groups))) => {
            let mut out = Vec::new();
            for g in groups {
                match &g.name {
                    // RFC 9051 §7.5.2: group start (NIL NIL name NIL) ... end (NIL NIL NIL NIL).
                    Some(name) => {
                        out.push(Address {
                            mailbox: Some(encode_word(name)),
                            ..Address::default()
                        });
                        out.extend(g.addresses.iter().filter_map(address));
                        out.push(Address::default());
                    }
                    None => out.extend(g.addresses.iter().filter_map(address)),
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

fn address(a: &Addr<'_>) -> Option<Address> {
    let addr = a.address.as_deref()?;
    let (route, addr) = split_route(addr);
    let (mailbox, host) = match addr.rsplit_once('@') {
        Some((m, h)) => (m, h),
        None => (addr, ""),
    };
    let name = a.name.as_deref().filter(|n| !n.is_empty()).map(encode_word);
    Some(Address {
        name,
        route: route.map(str::to_owned),
        mailbox: Some(mailbox.to_owned()),
        host: Some(host.to_owned()),
    })
}

/// The source route of an address and the address without it: `@a,@b:user@host` is
/// (`@a,@b`, `user@host`) (RFC 5322 §4.4 obs-angle-addr: obs-route is `obs-domain-list ":"`,
/// each domain after an `@`); an address that does not start with `@` has none.
pub fn split_route(addr: &str) -> (Option<&str>, &str) {
    match addr.split_once(':') {
        Some((route, rest)) if route.starts_with('@') && !rest.is_empty() => (Some(route), rest),
        _ => (None, addr),
    }
}

/// Text as is when it is printable ASCII, else one RFC 2047 "B" encoded word.
pub fn encode_word(s: &str) -> String {
    if s.chars().all(|c| (' '..='~').contains(&c)) {
        s.to_owned()
    } else {
        format!("=?utf-8?b?{}?=", B64.encode(s.as_bytes()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mime::{self, Kind};
    use crate::testdata::{MULTI, SIMPLE};

    fn s(n: &Option<impl AsRef<[u8]>>) -> Option<String> {
        n.as_ref()
            .map(|i| String::from_utf8_lossy(i.as_ref()).into_owned())
    }

    #[test]
    fn simple_envelope() {
        let e = mime::parse(SIMPLE);
        let env = build(SIMPLE, &e);
        assert_eq!(s(&env.subject).as_deref(), Some("Hello there"));
        assert_eq!(
            s(&env.date).as_deref(),
            Some("Mon, 01 Jan 2024 10:00:00 +0100")
        );
        assert_eq!(
            s(&env.message_id).as_deref(),
            Some("<simple.1@example.test>")
        );
        assert_eq!(env.in_reply_to, None);
        assert_eq!(env.from.len(), 1);
        assert_eq!(s(&env.from[0].name).as_deref(), Some("Alice Example"));
        assert_eq!(s(&env.from[0].mailbox).as_deref(), Some("alice"));
        assert_eq!(s(&env.from[0].host).as_deref(), Some("example.test"));
        assert_eq!(env.sender, env.from);
        assert_eq!(env.reply_to, env.from);
        assert_eq!(env.to.len(), 2);
        assert_eq!(s(&env.to[1].name).as_deref(), Some("Carol C."));
        assert!(env.cc.is_empty() && env.bcc.is_empty());
    }

    #[test]
    fn source_routes_go_to_their_own_field() {
        assert_eq!(
            split_route("@route:user@domain"),
            (Some("@route"), "user@domain")
        );
        assert_eq!(split_route("@a,@b:u@h"), (Some("@a,@b"), "u@h"));
        assert_eq!(split_route("user@domain"), (None, "user@domain"));
        assert_eq!(split_route("a:b@c"), (None, "a:b@c"));
        let raw = b"From: <@route:user@domain>\r\nSubject: x\r\n\r\nbody\r\n";
        let env = build(raw, &mime::parse(raw));
        assert_eq!(s(&env.from[0].route).as_deref(), Some("@route"));
        assert_eq!(s(&env.from[0].mailbox).as_deref(), Some("user"));
        assert_eq!(s(&env.from[0].host).as_deref(), Some("domain"));
    }

    #[test]
    fn encoded_names_and_nested_messages() {
        let e = mime::parse(MULTI);
        let env = build(MULTI, &e);
        assert_eq!(
            s(&env.subject).as_deref(),
            Some("=?utf-8?b?R3LDvMOfZQ==?= report")
        );
        assert_eq!(
            s(&env.from[0].name).as_deref(),
            Some("=?utf-8?b?SsO8cmdlbg==?=")
        );
        assert_eq!(
            s(&env.in_reply_to).as_deref(),
            Some("<simple.1@example.test>")
        );
        let Kind::Multipart(parts) = &e.kind else {
            panic!()
        };
        let Kind::Message(inner) = &parts[2].kind else {
            panic!()
        };
        let env = build(MULTI, inner);
        assert_eq!(s(&env.subject).as_deref(), Some("Inner message"));
        assert_eq!(env.date, None);
    }

    #[test]
    fn groups() {
        let raw = b"To: Friends: a@x.test, b@y.test;, c@z.test\r\n\r\n";
        let e = mime::parse(raw);
        let env = build(raw, &e);
        let hosts: Vec<Option<String>> = env.to.iter().map(|a| s(&a.host)).collect();
        assert_eq!(hosts[0], None, "group start");
        assert!(hosts.contains(&Some("y.test".into())));
    }
}
