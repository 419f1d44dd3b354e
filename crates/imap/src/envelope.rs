//! ENVELOPE (RFC 9051 §7.5.2): the envelope `heron_message::envelope` reads from a message,
//! in `imap-codec`'s types.
//!
//! Invariants: each field maps to the field of the same name, `None` to NIL, in the order
//! of the message; a group's markers keep their NIL fields (RFC 9051 §7.5.2); a source route
//! (`<@relay:user@host>`) is the adl field (RFC 3501 §7.4.2), NIL when there is none.

use heron_message::envelope::{self as plain, Address as PlainAddress};
use heron_message::mime::Entity;
use heron_proto_imap::wire::nstring;
use imap_codec::imap_types::envelope::{Address, Envelope};

/// The envelope of the message whose header is `e`'s (the root entity, or an encapsulated
/// message).
pub fn build(raw: &[u8], e: &Entity<'_>) -> Envelope<'static> {
    encode(plain::build(raw, e))
}

/// An envelope in the codec's types.
pub fn encode(env: plain::Envelope) -> Envelope<'static> {
    Envelope {
        date: nstring(env.date),
        subject: nstring(env.subject),
        from: addresses(env.from),
        sender: addresses(env.sender),
        reply_to: addresses(env.reply_to),
        to: addresses(env.to),
        cc: addresses(env.cc),
        bcc: addresses(env.bcc),
        in_reply_to: nstring(env.in_reply_to),
        message_id: nstring(env.message_id),
    }
}

fn addresses(list: Vec<PlainAddress>) -> Vec<Address<'static>> {
    list.into_iter()
        .map(|a| Address {
            name: nstring(a.name.map(String::into_bytes)),
            adl: nstring(a.route.map(String::into_bytes)),
            mailbox: nstring(a.mailbox.map(String::into_bytes)),
            host: nstring(a.host.map(String::into_bytes)),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_message::mime;
    use heron_proto_imap::response;
    use imap_codec::imap_types::core::Vec1;
    use imap_codec::imap_types::fetch::MessageDataItem;
    use imap_codec::imap_types::response::Data;

    #[test]
    fn addresses_and_groups_on_the_wire() {
        let raw = b"From: \"J\xc3\xbcrgen\" <j@example.test>\r\n\
                    To: Friends: a@x.test;, c@z.test\r\n\
                    Subject: Hi\r\n\r\n";
        let root = mime::parse(raw);
        let d = Data::Fetch {
            seq: std::num::NonZeroU32::MIN,
            items: Vec1::from(MessageDataItem::Envelope(build(raw, &root))),
        };
        assert_eq!(
            String::from_utf8(response::data(d)).unwrap(),
            "* 1 FETCH (ENVELOPE (NIL \"Hi\" \
             ((\"=?utf-8?b?SsO8cmdlbg==?=\" NIL \"j\" \"example.test\")) \
             ((\"=?utf-8?b?SsO8cmdlbg==?=\" NIL \"j\" \"example.test\")) \
             ((\"=?utf-8?b?SsO8cmdlbg==?=\" NIL \"j\" \"example.test\")) \
             ((NIL NIL \"Friends\" NIL)(NIL NIL \"a\" \"x.test\")(NIL NIL NIL NIL)(NIL NIL \"c\" \"z.test\")) \
             NIL NIL NIL NIL))\r\n"
        );
    }
}
