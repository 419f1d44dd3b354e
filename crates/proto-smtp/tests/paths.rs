//! Path parsing: mailbox syntax, address literals, relay-abuse forms and
//! the null and postmaster paths.

use heron_proto_smtp::{Command, Mailbox, ParseError, Path, parse_command};

fn rcpt(path: &str) -> Result<Path, ParseError> {
    match parse_command(format!("RCPT TO:<{path}>").as_bytes())? {
        Command::Rcpt { to, .. } => Ok(to),
        other => panic!("unexpected {other:?}"),
    }
}

fn mail(path: &str) -> Result<Path, ParseError> {
    match parse_command(format!("MAIL FROM:<{path}> SMTPUTF8").as_bytes())? {
        Command::Mail { from, .. } => Ok(from),
        other => panic!("unexpected {other:?}"),
    }
}

fn mailbox(path: &str) -> Mailbox {
    match rcpt(path) {
        Ok(Path::Mailbox(mailbox)) => mailbox,
        other => panic!("{path}: expected a mailbox, got {other:?}"),
    }
}

#[test]
fn valid_mailboxes() {
    // (path, local, domain, quoted)
    let cases = [
        ("user@example.org", "user", "example.org", false),
        ("First.Last@Example.ORG", "First.Last", "example.org", false),
        ("a+tag@sub.example.org", "a+tag", "sub.example.org", false),
        ("x-y_z=1@a-b.c", "x-y_z=1", "a-b.c", false),
        ("o'brien@example.ie", "o'brien", "example.ie", false),
        ("{weird}~`|#$&*/?^@e.x", "{weird}~`|#$&*/?^", "e.x", false),
        ("user@localhost", "user", "localhost", false),
        ("user@123.example", "user", "123.example", false),
        (
            "first..last@docomo.ne.jp",
            "first..last",
            "docomo.ne.jp",
            false,
        ),
        ("trailing.@docomo.ne.jp", "trailing.", "docomo.ne.jp", false),
        ("\"john doe\"@example.org", "john doe", "example.org", true),
        ("\"a\\\"b\"@example.org", "a\"b", "example.org", true),
        ("\"a\\\\b\"@example.org", "a\\b", "example.org", true),
        ("\"a>b\"@example.org", "a>b", "example.org", true),
        ("user@[192.0.2.1]", "user", "[192.0.2.1]", false),
        (
            "user@[IPv6:2001:DB8::1]",
            "user",
            "[IPv6:2001:db8::1]",
            false,
        ),
        ("user@[ipv6:0:0:0:0:0:0:0:1]", "user", "[IPv6:::1]", false),
        ("Ünïcode@Bücher.Example", "Ünïcode", "bücher.example", false),
    ];
    for (path, local, domain, quoted) in cases {
        let got = mailbox(path);
        assert_eq!(got.local, local, "{path}");
        assert_eq!(got.domain, domain, "{path}");
        assert_eq!(got.quoted, quoted, "{path}");
        assert!(!got.source_route, "{path}");
    }
}

#[test]
fn display_requotes_when_needed() {
    for (path, shown) in [
        ("user@example.org", "user@example.org"),
        ("\"john doe\"@example.org", "\"john doe\"@example.org"),
        ("\"plain\"@example.org", "plain@example.org"),
        ("\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org"),
        ("first..last@example.org", "\"first..last\"@example.org"),
    ] {
        assert_eq!(mailbox(path).to_string(), shown, "{path}");
    }
    assert_eq!(Path::Null.to_string(), "");
    assert_eq!(Path::Postmaster.to_string(), "postmaster");
}

#[test]
fn invalid_mailboxes() {
    use ParseError::{BadAddress, ControlCharacter, Syntax};
    let cases: &[(&str, ParseError)] = &[
        ("user", BadAddress("missing domain")),
        ("user@", BadAddress("bad domain")),
        ("@example.org", BadAddress("bad source route")),
        ("user@remote@local", BadAddress("more than one @")),
        ("a@b@c@d", BadAddress("more than one @")),
        (
            "us er@example.org",
            BadAddress("bad character in local part"),
        ),
        (
            "us(er)@example.org",
            BadAddress("bad character in local part"),
        ),
        (
            "us,er@example.org",
            BadAddress("bad character in local part"),
        ),
        (
            "\"unterminated@example.org",
            Syntax("RCPT TO:<address> [parameters]"),
        ),
        ("\"bad\u{1}\"@example.org", ControlCharacter),
        (
            "\"bad\\\u{e9}\"@example.org",
            BadAddress("bad quoted local part"),
        ),
        ("\"\"@example.org", BadAddress("empty local part")),
        ("\"a\"b@example.org", BadAddress("missing domain")),
        ("user@-example.org", BadAddress("bad domain")),
        ("user@example-.org", BadAddress("bad domain")),
        ("user@exa_mple.org", BadAddress("bad domain")),
        ("user@example..org", BadAddress("bad domain")),
        ("user@example.org.", BadAddress("bad domain")),
        ("user@[192.0.2.256]", BadAddress("bad address literal")),
        ("user@[IPv6:zz::1]", BadAddress("bad address literal")),
        ("user@[x-tag:stuff]", BadAddress("bad address literal")),
        ("user@[192.0.2.1", BadAddress("bad address literal")),
        ("@a.b:user", BadAddress("missing domain")),
        ("@a_b:user@c.d", BadAddress("bad source route")),
        ("a.b:user@c.d", BadAddress("bad character in local part")),
        ("", BadAddress("empty recipient")),
    ];
    for (path, expected) in cases {
        assert_eq!(rcpt(path).as_ref(), Err(expected), "{path}");
    }
    let label = "a".repeat(64);
    assert_eq!(
        rcpt(&format!("user@{label}.org")),
        Err(BadAddress("bad domain"))
    );
    let long = format!("{}@example.org", "a".repeat(250));
    assert_eq!(rcpt(&long), Err(BadAddress("address too long")));
}

#[test]
fn relay_abuse_forms_are_named() {
    let cases = [
        ("@relay.example:user@victim.example", Some("source route")),
        ("@a.example,@b.example:user@c.example", Some("source route")),
        (
            "\"user@remote.example\"@local.example",
            Some("quoted at-sign"),
        ),
        ("user%remote.example@local.example", Some("percent hack")),
        ("remote.example!user@local.example", Some("bang path")),
        ("plain.user@local.example", None),
    ];
    for (path, expected) in cases {
        let path_value = rcpt(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(path_value.suspicious(), expected, "{path}");
    }
    // The route is dropped; relay decisions use the final mailbox.
    let routed = mailbox("@relay.example:user@victim.example");
    assert_eq!(
        (routed.local.as_str(), routed.domain.as_str()),
        ("user", "victim.example")
    );
    assert!(routed.source_route);
    let quoted = mailbox("\"user@remote.example\"@local.example");
    assert_eq!(quoted.local, "user@remote.example");
    assert_eq!(quoted.domain, "local.example");
    assert_eq!(Path::Null.suspicious(), None);
    assert_eq!(Path::Postmaster.suspicious(), None);
}

#[test]
fn null_and_postmaster() {
    assert_eq!(mail(""), Ok(Path::Null));
    assert!(Path::Null.is_null());
    assert_eq!(rcpt(""), Err(ParseError::BadAddress("empty recipient")));
    assert_eq!(rcpt("postmaster"), Ok(Path::Postmaster));
    assert_eq!(rcpt("POSTMASTER"), Ok(Path::Postmaster));
    assert_eq!(
        mail("postmaster"),
        Err(ParseError::BadAddress("missing domain"))
    );
    // Postmaster with a domain is an ordinary mailbox.
    assert_eq!(mailbox("Postmaster@example.org").local, "Postmaster");
    assert_eq!(Path::Postmaster.mailbox(), None);
}

#[test]
fn domain_literal_and_ascii_helpers() {
    let literal = mailbox("user@[192.0.2.1]");
    assert!(literal.is_domain_literal());
    assert!(literal.is_ascii());
    let plain = mailbox("user@example.org");
    assert!(!plain.is_domain_literal());
    let utf8 = mailbox("josé@example.org");
    assert!(!utf8.is_ascii());
}
