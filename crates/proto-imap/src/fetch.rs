//! What a FETCH asks for (RFC 9051 §6.4.5): the data item names with macros expanded, and
//! what answering them needs (the message bytes or only its metadata, whether it sets
//! \Seen).
//!
//! Invariants: the items keep the order asked; UID is added to UID FETCH requests (RFC 9051
//! §6.4.9) and MODSEQ when CHANGEDSINCE was used (RFC 7162 §3.1.4.1). A partial BINARY
//! fetch is planned like any other item; its answer, which `imap-types` cannot write, is
//! encoded by [`crate::fetch_response`].

use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName};

/// What a FETCH asks for.
#[derive(Debug)]
pub struct Plan {
    /// The items, macros expanded, in the order asked (UID first when added).
    pub items: Vec<MessageDataItemName<'static>>,
    /// The message bytes are needed.
    pub needs_body: bool,
    /// The stored metadata (size, internal date, where the bytes are) is needed.
    pub needs_meta: bool,
    /// Fetching sets \Seen (BODY[...] without PEEK, RFC822, RFC822.TEXT).
    pub sets_seen: bool,
}

/// Plan a FETCH: expand macros, add UID for UID FETCH and MODSEQ when asked for.
pub fn plan(what: MacroOrMessageDataItemNames<'_>, uid: bool, modseq: bool) -> Plan {
    let mut items: Vec<MessageDataItemName<'static>> = match what {
        MacroOrMessageDataItemNames::Macro(m) => m
            .expand()
            .into_iter()
            .map(IntoStatic::into_static)
            .collect(),
        MacroOrMessageDataItemNames::MessageDataItemNames(v) => {
            v.into_iter().map(IntoStatic::into_static).collect()
        }
    };
    use MessageDataItemName as N;
    if uid && !items.contains(&N::Uid) {
        items.insert(0, N::Uid);
    }
    if modseq && !items.contains(&N::ModSeq) {
        items.push(N::ModSeq);
    }
    let needs_body = items.iter().any(|i| {
        matches!(
            i,
            N::Body
                | N::BodyExt { .. }
                | N::BodyStructure
                | N::Envelope
                | N::Rfc822
                | N::Rfc822Header
                | N::Rfc822Text
                | N::Binary { .. }
                | N::BinarySize { .. }
        )
    });
    let needs_meta = needs_body
        || items
            .iter()
            .any(|i| matches!(i, N::Rfc822Size | N::InternalDate));
    let sets_seen = items.iter().any(|i| {
        matches!(
            i,
            N::BodyExt { peek: false, .. }
                | N::Rfc822
                | N::Rfc822Text
                | N::Binary { peek: false, .. }
        )
    });
    Plan {
        items,
        needs_body,
        needs_meta,
        sets_seen,
    }
}

/// Whether a plan asks for MODSEQ (which enables CONDSTORE, RFC 7162 §3.1).
pub fn wants_modseq(p: &Plan) -> bool {
    p.items.contains(&MessageDataItemName::ModSeq)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use imap_codec::CommandCodec;
    use imap_codec::decode::Decoder;
    use imap_codec::imap_types::command::CommandBody;

    fn plan_of(line: &str, uid: bool) -> Plan {
        let l = format!("t FETCH 1 {line}\r\n");
        let (_, c) = CommandCodec::default().decode(l.as_bytes()).unwrap();
        let CommandBody::Fetch {
            macro_or_item_names,
            ..
        } = c.body
        else {
            panic!()
        };
        plan(macro_or_item_names, uid, false)
    }

    #[test]
    fn plans() {
        let p = plan_of("FAST", true);
        assert!(!p.needs_body && !p.sets_seen && p.needs_meta);
        let p = plan_of("(FLAGS MODSEQ)", true);
        assert!(!p.needs_meta, "the view has these");
        assert_eq!(p.items[0], MessageDataItemName::Uid);
        let p = plan_of("(BODY.PEEK[1])", false);
        assert!(p.needs_body && !p.sets_seen);
        assert!(plan_of("(BODY[TEXT])", false).sets_seen);
        assert!(plan_of("RFC822", false).sets_seen);
        assert!(!plan_of("RFC822.HEADER", false).sets_seen);
        let p = plan_of("(BINARY.PEEK[1]<0.10>)", false);
        assert!(p.needs_body && !p.sets_seen);
        assert!(plan_of("(BINARY[1]<5.10>)", false).sets_seen);
    }
}
