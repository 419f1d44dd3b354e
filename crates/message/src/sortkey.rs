//! What SORT compares of a message (RFC 5256 §3 "SORT", RFC 5957 "DISPLAYFROM",
//! "DISPLAYTO"), each in the form it is compared in, so sorting is plain comparison.
//!
//! - Address keys (FROM, TO, CC): the addr-mailbox of the first element of the IMAP address
//!   list (the group's name when the field opens with a group), i;ascii-casemap (ASCII
//!   upper-cased); empty when the field or address is missing.
//! - Display keys: the first element's display name as decoded, or its address when it has
//!   none (a group: its name), i;unicode-casemap (approximated by Unicode lower-casing).
//! - SUBJECT: the base subject ([`crate::base_subject`]), i;ascii-casemap.
//! - DATE: the Date field as an instant (UTC), or the internal date when the field is
//!   missing or unreadable (RFC 5256 §2.2).
//!
//! Invariants: pure and total; every key is computed from the parsed message alone (and the
//! internal date for DATE).

use mail_parser::{Addr, Address, Message};

use crate::base_subject::{base_subject, compare_key};
use crate::envelope::split_route;

/// The address fields SORT looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressField {
    From,
    To,
    Cc,
}

/// The first element of a field's IMAP address list, as its parts: the address list's
/// first element is a group's start marker when the field opens with a group (no name, the
/// group's name as mailbox, no host: RFC 9051 §7.5.2), else the first address. A bare word
/// without `@` or `<>` (`To: d`, which the parser reads as a name alone) is a mailbox
/// without a host.
#[derive(Debug, Default, PartialEq, Eq)]
struct First<'a> {
    name: Option<&'a str>,
    mailbox: &'a str,
    host: &'a str,
}

fn first<'a>(msg: &'a Message<'_>, field: AddressField) -> Option<First<'a>> {
    let list: &Address<'_> = match field {
        AddressField::From => msg.from(),
        AddressField::To => msg.to(),
        AddressField::Cc => msg.cc(),
    }?;
    match list {
        Address::List(list) => list.iter().find_map(address),
        Address::Group(groups) => groups.iter().find_map(|g| match g.name.as_deref() {
            Some(name) => Some(First {
                mailbox: name,
                ..First::default()
            }),
            None => g.addresses.iter().find_map(address),
        }),
    }
}

fn address<'a>(a: &'a Addr<'_>) -> Option<First<'a>> {
    let name = a.name.as_deref();
    let Some(addr) = a.address.as_deref() else {
        return name.map(|mailbox| First {
            mailbox,
            ..First::default()
        });
    };
    let (_, addr) = split_route(addr);
    let (mailbox, host) = addr.rsplit_once('@').unwrap_or((addr, ""));
    Some(First {
        name,
        mailbox,
        host,
    })
}

/// FROM, TO, CC (RFC 5256 §3): the addr-mailbox of the first element of the field's IMAP
/// address list, upper-cased (i;ascii-casemap). When the field opens with a group, that
/// element is the group's start marker, whose addr-mailbox is the group's name.
pub fn mailbox_key(msg: &Message<'_>, field: AddressField) -> String {
    first(msg, field)
        .map(|f| f.mailbox.trim().to_ascii_uppercase())
        .unwrap_or_default()
}

/// DISPLAYFROM, DISPLAYTO (RFC 5957 §3, the sort value of an IMAP address): the first
/// element's addr-name as decoded when not empty, else `mailbox@host`, else the mailbox
/// alone; lower-cased. The addr-name is what ENVELOPE sends: the display name, or the
/// comment of an address written `user@host (comment)`. A group's start marker has no
/// addr-name and no host, so a group sorts by its name.
pub fn display_key(msg: &Message<'_>, field: AddressField) -> String {
    let Some(f) = first(msg, field) else {
        return String::new();
    };
    let key = match (f.name.map(str::trim).filter(|n| !n.is_empty()), f.host) {
        (Some(name), _) => name.to_owned(),
        (None, "") => f.mailbox.to_owned(),
        (None, host) => format!("{}@{host}", f.mailbox),
    };
    key.trim().to_lowercase()
}

/// SUBJECT: the base subject in its comparison form.
pub fn subject_key(msg: &Message<'_>) -> String {
    compare_key(&base_subject(msg.subject().unwrap_or_default()).text)
}

/// DATE: the sent date in Unix seconds: the Date field when readable, else `internal`.
pub fn sent_date(msg: Option<&Message<'_>>, internal: i64) -> i64 {
    msg.and_then(Message::date)
        .filter(|d| d.is_valid())
        .map_or(internal, |d| d.to_timestamp())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn parse(raw: &str) -> Message<'_> {
        MessageParser::default().parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn address_keys() {
        let m = parse(
            "From: \"Zed\" <alice@example.test>, bob@example.test\r\n\
             To: Team: Carol <carol@x.test>, dan@x.test;\r\n\
             Cc: undisclosed\r\n\r\nx\r\n",
        );
        assert_eq!(mailbox_key(&m, AddressField::From), "ALICE");
        assert_eq!(
            mailbox_key(&m, AddressField::To),
            "TEAM",
            "a group sorts by its name"
        );
        assert_eq!(display_key(&m, AddressField::From), "zed");
        assert_eq!(display_key(&m, AddressField::To), "team");
        let m = parse("From: <Bob@Example.test>\r\nTo: =?utf-8?q?=C3=89mile?= <e@x>\r\n\r\n");
        assert_eq!(mailbox_key(&m, AddressField::From), "BOB");
        assert_eq!(display_key(&m, AddressField::From), "bob@example.test");
        assert_eq!(display_key(&m, AddressField::To), "émile");
        assert_eq!(mailbox_key(&m, AddressField::Cc), "");
        assert_eq!(display_key(&m, AddressField::Cc), "");
    }

    #[test]
    fn groups_comments_and_bare_names() {
        let m = parse(
            "From: user2@domain2.org (foo bar)\r\n\
             To: user2: blah@domain1.org;\r\n\
             Cc: empty:;, x@y.test\r\n\
             Bcc: d\r\n\r\n",
        );
        assert_eq!(mailbox_key(&m, AddressField::From), "USER2");
        assert_eq!(
            display_key(&m, AddressField::From),
            "foo bar",
            "the comment"
        );
        assert_eq!(
            mailbox_key(&m, AddressField::To),
            "USER2",
            "the group's name"
        );
        assert_eq!(display_key(&m, AddressField::To), "user2");
        assert_eq!(mailbox_key(&m, AddressField::Cc), "EMPTY", "an empty group");
        assert_eq!(display_key(&m, AddressField::Cc), "empty");
        let m = parse(
            "From: x@y.test, g: a@b.test;\r\n\
             To: d\r\n\
             Cc: <@relay.test:Route@Host.test>\r\n\r\n",
        );
        assert_eq!(
            mailbox_key(&m, AddressField::From),
            "X",
            "an address before a group"
        );
        assert_eq!(display_key(&m, AddressField::From), "x@y.test");
        assert_eq!(mailbox_key(&m, AddressField::To), "D");
        assert_eq!(
            display_key(&m, AddressField::To),
            "d",
            "no host: the mailbox alone"
        );
        assert_eq!(
            mailbox_key(&m, AddressField::Cc),
            "ROUTE",
            "the route left out"
        );
        assert_eq!(display_key(&m, AddressField::Cc), "route@host.test");
    }

    #[test]
    fn subject_keys() {
        let m = parse("Subject: Re: [list] =?utf-8?q?Gr=C3=BC=C3=9Fe?= (fwd)\r\n\r\n");
        assert_eq!(subject_key(&m), "GRüßE");
        let m = parse("From: a@b\r\n\r\n");
        assert_eq!(subject_key(&m), "");
    }

    #[test]
    fn sent_dates() {
        let m = parse("Date: Mon, 02 Mar 2026 23:30:00 -0800\r\n\r\n");
        // 2026-03-03 07:30:00 UTC.
        assert_eq!(sent_date(Some(&m), 5), 1_772_523_000);
        let m = parse("Date: Tue, 03 Mar 2026 07:30:00 +0000\r\n\r\n");
        assert_eq!(sent_date(Some(&m), 5), 1_772_523_000);
        let m = parse("Date: not a date at all\r\n\r\n");
        assert_eq!(sent_date(Some(&m), 5), 5);
        let m = parse("Subject: no date\r\n\r\n");
        assert_eq!(sent_date(Some(&m), 7), 7);
        assert_eq!(sent_date(None, 9), 9);
    }
}
