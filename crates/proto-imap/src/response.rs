//! Encoding server responses (RFC 9051 §7) with `imap-codec`.
//!
//! Invariants: every response ends with CRLF; status texts pass through [`wire::text`], so no
//! client-supplied or stored text can break a response line; the few responses
//! `imap-types` cannot express (ESEARCH, LIST extended data) are written by
//! [`raw_line`] from already-quoted parts.

use imap_codec::ResponseCodec;
use imap_codec::encode::Encoder;
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::{
    Code, CodeOther, CommandContinuationRequest, Data, Response, Status, StatusBody, StatusKind,
    Tagged,
};

use crate::wire;

/// Encode a response.
pub fn encode(r: &Response<'_>) -> Vec<u8> {
    ResponseCodec::default().encode(r).dump()
}

/// An untagged data response (`* ...`).
pub fn data(d: Data<'_>) -> Vec<u8> {
    encode(&Response::Data(d))
}

/// An untagged status response (`* OK [code] text`).
pub fn untagged(kind: StatusKind, code: Option<Code<'_>>, text: &str) -> Vec<u8> {
    encode(&Response::Status(Status::Untagged(StatusBody {
        kind,
        code,
        text: wire::text(text),
    })))
}

/// A tagged status response.
pub fn tagged(tag: &Tag<'_>, kind: StatusKind, code: Option<Code<'_>>, text: &str) -> Vec<u8> {
    encode(&Response::Status(Status::Tagged(Tagged {
        tag: tag.clone(),
        body: StatusBody {
            kind,
            code,
            text: wire::text(text),
        },
    })))
}

/// `* BYE text`.
pub fn bye(text: &str) -> Vec<u8> {
    encode(&Response::Status(Status::Bye(
        imap_codec::imap_types::response::Bye {
            code: None,
            text: wire::text(text),
        },
    )))
}

/// A `+ text` continuation request.
pub fn continuation(text: &str) -> Vec<u8> {
    match CommandContinuationRequest::basic(None, wire::text(text)) {
        Ok(c) => encode(&Response::CommandContinuationRequest(c)),
        Err(_) => b"+ \r\n".to_vec(),
    }
}

/// A `+ base64` continuation carrying SASL data (`+ ` alone when empty).
pub fn continuation_data(data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    format!(
        "+ {}\r\n",
        base64::engine::general_purpose::STANDARD.encode(data)
    )
    .into_bytes()
}

/// A response code without a type in `imap-types` (RFC 5530 and others), by name.
pub fn code(name: &'static str) -> Code<'static> {
    Code::Other(CodeOther::unvalidated(name.as_bytes()))
}

/// An untagged line from parts the caller has already made safe (atoms, numbers, quoted
/// strings).
pub fn raw_line(parts: &str) -> Vec<u8> {
    let clean: String = parts
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    format!("* {clean}\r\n").into_bytes()
}

/// A string quoted for a raw line (only used for tags and ASCII names).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        if !matches!(c, '\r' | '\n' | '\0') {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let tag = Tag::try_from("a1").unwrap();
        assert_eq!(
            tagged(
                &tag,
                StatusKind::No,
                Some(code("NONEXISTENT")),
                "no such\r\nmailbox"
            ),
            b"a1 NO [NONEXISTENT] no such??mailbox\r\n"
        );
        assert_eq!(bye("bye"), b"* BYE bye\r\n");
        assert_eq!(continuation("go ahead"), b"+ go ahead\r\n");
        assert_eq!(continuation_data(b""), b"+ \r\n");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(data(Data::Exists(3)), b"* 3 EXISTS\r\n");
    }
}
