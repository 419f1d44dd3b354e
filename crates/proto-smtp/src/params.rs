//! ESMTP parameters of MAIL (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3030
//! BINARYMIME, RFC 6531 SMTPUTF8, RFC 3461 RET/ENVID, RFC 4954 AUTH, RFC 8689
//! REQUIRETLS) and
//! RCPT (RFC 3461 NOTIFY/ORCPT).
//!
//! The parameter list is first scanned here: keyword grammar, the set this
//! server implements (anything else, including extensions the `smtp-proto`
//! parser knows but we do not advertise, is refused), duplicates, value
//! presence and value alphabet; SIZE is parsed here too. The other values
//! are then decoded by `smtp_proto::Request::parse` (BODY, RET, xtext of
//! ENVID/AUTH/ORCPT, NOTIFY lists).
//!
//! Invariants: every keyword appears at most once; decoded ENVID, AUTH and
//! ORCPT values are non-empty printable ASCII (no control characters, so
//! they are safe to copy into headers); NOTIFY=NEVER is never combined.

use smtp_proto::{
    Error as ProtoError, MAIL_BODY_7BIT, MAIL_BODY_8BITMIME, MAIL_BODY_BINARYMIME, MAIL_REQUIRETLS,
    MAIL_RET_FULL, MAIL_RET_HDRS, MAIL_SMTPUTF8, RCPT_NOTIFY_DELAY, RCPT_NOTIFY_FAILURE,
    RCPT_NOTIFY_NEVER, RCPT_NOTIFY_SUCCESS, Request,
};

use crate::ParseError;
use crate::error::sanitise;

pub(crate) const MAIL_USAGE: &str = "MAIL FROM:<address> [parameters]";
pub(crate) const RCPT_USAGE: &str = "RCPT TO:<address> [parameters]";

/// Parameters of MAIL FROM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MailParams {
    /// `SIZE=n`: the client's size estimate in octets (RFC 1870 §6).
    pub size: Option<u64>,
    /// `BODY=`: the body type (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8`: the transaction may use UTF-8 addresses and headers
    /// (RFC 6531 §3.4).
    pub smtputf8: bool,
    /// `REQUIRETLS`: the message must travel over verified TLS only (RFC 8689 §4).
    pub requiretls: bool,
    /// `RET=`: what a failure DSN returns (RFC 3461 §4.3).
    pub ret: Option<Ret>,
    /// `ENVID=`: the envelope id, xtext-decoded (RFC 3461 §4.4).
    pub envid: Option<String>,
    /// `AUTH=`: the authenticated submitter, xtext-decoded; `"<>"` if
    /// unknown (RFC 4954 §5).
    pub auth: Option<String>,
}

/// `BODY=` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BINARYMIME` (RFC 3030 §3); requires BDAT instead of DATA.
    BinaryMime,
}

/// `RET=` values (RFC 3461 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`: return the whole message.
    Full,
    /// `HDRS`: return the headers only.
    Hdrs,
}

/// Parameters of RCPT TO.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RcptParams {
    /// `NOTIFY=`: when to send a DSN (RFC 3461 §4.1), in the canonical
    /// order Success, Failure, Delay; `[Never]` stands alone.
    pub notify: Option<Vec<Notify>>,
    /// `ORCPT=rfc822;addr`: the original recipient, xtext-decoded, without
    /// the `rfc822;` type (RFC 3461 §4.2; other address types are refused).
    pub orcpt: Option<String>,
}

/// `NOTIFY=` values (RFC 3461 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NEVER`.
    Never,
    /// `SUCCESS`.
    Success,
    /// `FAILURE`.
    Failure,
    /// `DELAY`.
    Delay,
}

/// What a parameter's value must look like.
#[derive(Clone, Copy)]
enum Value {
    /// No value (`SMTPUTF8`).
    None,
    /// RFC 5321 §4.1.2 `esmtp-value`.
    Any,
    /// RFC 1870 §3: `1*20DIGIT`, within u64.
    Number,
    /// RFC 3461 §4 `xtext`.
    Xtext,
    /// `addr-type ";" xtext`.
    TypedXtext,
}

const MAIL_KEYWORDS: &[(&str, Value)] = &[
    ("SIZE", Value::Number),
    ("BODY", Value::Any),
    ("SMTPUTF8", Value::None),
    ("RET", Value::Any),
    ("ENVID", Value::Xtext),
    ("AUTH", Value::Xtext),
    ("REQUIRETLS", Value::None),
];

const RCPT_KEYWORDS: &[(&str, Value)] = &[("NOTIFY", Value::Any), ("ORCPT", Value::TypedXtext)];

/// Parses the text after `MAIL FROM:<...>`.
pub(crate) fn parse_mail_params(text: &str) -> Result<MailParams, ParseError> {
    let params = scan(text, MAIL_KEYWORDS, MAIL_USAGE)?;
    if params.is_empty() {
        return Ok(MailParams::default());
    }
    let from = match decode(b"MAIL FROM:<a@b>", text, MAIL_USAGE)? {
        Request::Mail { from } => from,
        _ => return Err(ParseError::Syntax(MAIL_USAGE)),
    };
    // Parsed here: smtp-proto 0.2.5 wraps an overflowing SIZE to a small
    // number instead of refusing it.
    let size = params
        .iter()
        .find(|(name, _)| *name == "SIZE")
        .and_then(|(_, value)| value.map(str::parse::<u64>))
        .transpose()
        .map_err(|_| ParseError::InvalidParameter("SIZE"))?;
    let flag = |bit: u64| from.flags & bit != 0;
    let body = [
        (MAIL_BODY_7BIT, Body::SevenBit),
        (MAIL_BODY_8BITMIME, Body::EightBitMime),
        (MAIL_BODY_BINARYMIME, Body::BinaryMime),
    ]
    .into_iter()
    .find_map(|(bit, body)| flag(bit).then_some(body));
    let ret = [(MAIL_RET_FULL, Ret::Full), (MAIL_RET_HDRS, Ret::Hdrs)]
        .into_iter()
        .find_map(|(bit, ret)| flag(bit).then_some(ret));
    Ok(MailParams {
        size,
        body,
        smtputf8: flag(MAIL_SMTPUTF8),
        ret,
        envid: printable(from.env_id, "ENVID")?,
        auth: printable(from.auth, "AUTH")?,
        requiretls: flag(MAIL_REQUIRETLS),
    })
}

/// Parses the text after `RCPT TO:<...>`.
pub(crate) fn parse_rcpt_params(text: &str) -> Result<RcptParams, ParseError> {
    let params = scan(text, RCPT_KEYWORDS, RCPT_USAGE)?;
    if params.is_empty() {
        return Ok(RcptParams::default());
    }
    let to = match decode(b"RCPT TO:<a@b>", text, RCPT_USAGE)? {
        Request::Rcpt { to } => to,
        _ => return Err(ParseError::Syntax(RCPT_USAGE)),
    };
    let notify = params.iter().any(|(name, _)| *name == "NOTIFY").then(|| {
        [
            (RCPT_NOTIFY_NEVER, Notify::Never),
            (RCPT_NOTIFY_SUCCESS, Notify::Success),
            (RCPT_NOTIFY_FAILURE, Notify::Failure),
            (RCPT_NOTIFY_DELAY, Notify::Delay),
        ]
        .into_iter()
        .filter_map(|(bit, notify)| (to.flags & bit != 0).then_some(notify))
        .collect::<Vec<_>>()
    });
    // RFC 3461 §4.1: NEVER must not be combined with other values.
    if let Some(list) = &notify
        && list.contains(&Notify::Never)
        && list.len() > 1
    {
        return Err(ParseError::InvalidParameter("NOTIFY"));
    }
    Ok(RcptParams {
        notify,
        orcpt: printable(to.orcpt, "ORCPT")?,
    })
}

/// A checked parameter: its canonical keyword and its value, if any.
type Param<'a> = (&'static str, Option<&'a str>);

/// Checks the parameter list and returns its parameters.
fn scan<'a>(
    text: &'a str,
    known: &[(&'static str, Value)],
    usage: &'static str,
) -> Result<Vec<Param<'a>>, ParseError> {
    let mut seen: Vec<Param<'a>> = Vec::new();
    for token in text.split(' ').filter(|t| !t.is_empty()) {
        let (key, value) = match token.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (token, None),
        };
        // RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
        let keyword_ok = key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !keyword_ok {
            return Err(ParseError::Syntax(usage));
        }
        let Some(&(name, shape)) = known.iter().find(|(n, _)| n.eq_ignore_ascii_case(key)) else {
            return Err(ParseError::UnsupportedParameter(sanitise(
                key.to_ascii_uppercase().as_bytes(),
            )));
        };
        // RFC 1869 §6: a parameter may appear only once.
        if seen.iter().any(|(seen, _)| *seen == name) {
            return Err(ParseError::DuplicateParameter(name.to_owned()));
        }
        if !value_ok(shape, value) {
            return Err(ParseError::InvalidParameter(name));
        }
        seen.push((name, value));
    }
    Ok(seen)
}

fn value_ok(shape: Value, value: Option<&str>) -> bool {
    match (shape, value) {
        (Value::None, None) => true,
        (Value::None, Some(_)) | (_, None) => false,
        // RFC 5321 §4.1.2: esmtp-value = 1*(%d33-60 / %d62-126)
        (Value::Any, Some(v)) => {
            !v.is_empty() && v.bytes().all(|b| matches!(b, 33..=60 | 62..=126))
        }
        (Value::Number, Some(v)) => {
            (1..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
        }
        (Value::Xtext, Some(v)) => is_xtext(v),
        (Value::TypedXtext, Some(v)) => v.split_once(';').is_some_and(|(kind, addr)| {
            !kind.is_empty()
                && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && is_xtext(addr)
        }),
    }
}

/// RFC 3461 §4: xchar is `!`..`~` except `+` and `=`; hexchar is `+` and
/// two hex digits. Non-empty.
fn is_xtext(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b'=' => return false,
            33..=126 => i += 1,
            _ => return false,
        }
    }
    !bytes.is_empty()
}

/// Runs `smtp_proto`'s parser on a stand-in path followed by the already
/// checked parameter text. The stand-in is used because that parser
/// rewrites paths (it strips source routes and quotes and maps
/// `<postmaster>` to the empty string), which [`crate::path`] must see
/// unaltered.
fn decode(prefix: &[u8], text: &str, usage: &'static str) -> Result<Request<String>, ParseError> {
    let mut line = Vec::with_capacity(prefix.len() + text.len() + 2);
    line.extend_from_slice(prefix);
    line.push(b' ');
    line.extend_from_slice(text.as_bytes());
    line.push(b'\n');
    match Request::parse(&mut line.iter()) {
        Ok(request) => Ok(request.into_owned()),
        Err(ProtoError::InvalidParameter { param }) => Err(ParseError::InvalidParameter(param)),
        Err(ProtoError::UnsupportedParameter { param }) => {
            Err(ParseError::UnsupportedParameter(sanitise(param.as_bytes())))
        }
        Err(_) => Err(ParseError::Syntax(usage)),
    }
}

/// Keeps a decoded value only if it is printable ASCII: xtext can encode
/// control characters, which must not reach headers or logs.
fn printable(value: Option<String>, name: &'static str) -> Result<Option<String>, ParseError> {
    match value {
        Some(v) if v.is_empty() || !v.chars().all(|c| matches!(c, ' '..='~')) => {
            Err(ParseError::InvalidParameter(name))
        }
        other => Ok(other),
    }
}
