//! What SORT compares of a message (RFC 5256 §3 "SORT", RFC 5957 "DISPLAYFROM",
//! "DISPLAYTO"), each in the form it is compared in, so sorting is plain comparison.
//!
//! - Address keys (FROM, TO, CC): the mailbox (local part) of the first address,
//!   i;ascii-casemap (ASCII upper-cased); empty when the field or address is missing.
//! - Display keys: the first address's display name as decoded, or its address when it has
//!   none, i;unicode-casemap (approximated by Unicode lower-casing).
//! - SUBJECT: the base subject ([`crate::base_subject`]), i;ascii-casemap.
//! - DATE: the Date field as an instant (UTC), or the internal date when the field is
//!   missing or unreadable (RFC 5256 §2.2).
//!
//! Invariants: pure and total; every key is computed from the parsed message alone (and the
//! internal date for DATE).

use mail_parser::{Address, Message};

use crate::base_subject::{base_subject, compare_key};

/// The address fields SORT looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressField {
    From,
    To,
    Cc,
}

fn address<'a>(msg: &'a Message<'_>, field: AddressField) -> Option<&'a mail_parser::Addr<'a>> {
    let list: Option<&Address<'_>> = match field {
        AddressField::From => msg.from(),
        AddressField::To => msg.to(),
        AddressField::Cc => msg.cc(),
    };
    list.and_then(Address::first)
}

/// FROM, TO, CC: the first address's mailbox, upper-cased (i;ascii-casemap).
pub fn mailbox_key(msg: &Message<'_>, field: AddressField) -> String {
    let Some(addr) = address(msg, field).and_then(|a| a.address.as_deref()) else {
        return String::new();
    };
    let local = addr.rsplit_once('@').map_or(addr, |(l, _)| l);
    local.trim().to_ascii_uppercase()
}

/// DISPLAYFROM, DISPLAYTO (RFC 5957 §2): the first address's display name, or its address
/// when the name is missing or empty, lower-cased.
pub fn display_key(msg: &Message<'_>, field: AddressField) -> String {
    let Some(a) = address(msg, field) else {
        return String::new();
    };
    let name = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    name.or(a.address.as_deref())
        .unwrap_or_default()
        .trim()
        .to_lowercase()
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
        assert_eq!(mailbox_key(&m, AddressField::To), "CAROL");
        assert_eq!(display_key(&m, AddressField::From), "zed");
        assert_eq!(display_key(&m, AddressField::To), "carol");
        let m = parse("From: <Bob@Example.test>\r\nTo: =?utf-8?q?=C3=89mile?= <e@x>\r\n\r\n");
        assert_eq!(mailbox_key(&m, AddressField::From), "BOB");
        assert_eq!(display_key(&m, AddressField::From), "bob@example.test");
        assert_eq!(display_key(&m, AddressField::To), "émile");
        assert_eq!(mailbox_key(&m, AddressField::Cc), "");
        assert_eq!(display_key(&m, AddressField::Cc), "");
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
