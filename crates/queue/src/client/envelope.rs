//! The envelope of one transaction and the MAIL and RCPT commands that carry it, with the
//! parameters the server's extensions allow: SIZE (RFC 1870), BODY=8BITMIME (RFC 6152),
//! SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461).
//!
//! Invariants: a command line never holds CR, LF or another control character, nor an
//! angle bracket inside the path; a parameter is only sent when its extension was offered;
//! ENVID and ORCPT are xtext-encoded here, so the envelope holds them decoded.

use super::Reply;
use super::data::Body;
use heron_proto_smtp::client::Extensions;
use heron_proto_smtp::client::reply::{
    BAD_ADDRESS_SYNTAX, EXCEEDED_STORAGE, NO_SMTPUTF8, REQUIRETLS_NOT_OFFERED,
};

/// The envelope of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path; `""` is the null sender (bounces).
    pub sender: String,
    /// The recipients, in the order results are returned.
    pub recipients: Vec<EnvelopeRcpt>,
    /// RFC 3461 RET: `FULL` or `HDRS`.
    pub ret: Option<String>,
    /// RFC 3461 ENVID, decoded (it is xtext-encoded when sent).
    pub envid: Option<String>,
    /// RFC 8689 REQUIRETLS: sent on MAIL; a server that does not offer it is refused the
    /// message (550 5.7.30).
    pub requiretls: bool,
}

/// One recipient of an [`Envelope`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvelopeRcpt {
    /// The forward path.
    pub address: String,
    /// RFC 3461 NOTIFY: `NEVER`, or a comma list of `SUCCESS`, `FAILURE`, `DELAY`.
    pub notify: Option<String>,
    /// RFC 3461 ORCPT, decoded: `rfc822;addr`, or just the address (type rfc822).
    pub orcpt: Option<String>,
}

/// `MAIL FROM:<sender> [params]` + CRLF, or the refusal of the whole transaction.
pub(crate) fn mail_command(env: &Envelope, ext: &Extensions, body: &Body) -> Result<String, Reply> {
    // RFC 1870 §6.1: do not send a message the server already said it will not take.
    if let Some(limit) = ext.size
        && limit > 0
        && body.size > limit
    {
        return Err(Reply::local(
            EXCEEDED_STORAGE,
            format!(
                "message size {} exceeds the server's fixed maximum of {limit}",
                body.size
            ),
        ));
    }
    check_path(&env.sender, ext).map_err(|r| Reply {
        text: format!("sender <{}>: {}", env.sender, r.text),
        ..r
    })?;
    // RFC 8689 §4.2.1: only to a server that offers REQUIRETLS (after STARTTLS).
    if env.requiretls && !ext.requiretls {
        return Err(Reply::local(
            REQUIRETLS_NOT_OFFERED,
            "REQUIRETLS support required: the server does not offer it",
        ));
    }
    let mut line = format!("MAIL FROM:<{}>", env.sender);
    if ext.size.is_some() {
        line.push_str(&format!(" SIZE={}", body.size));
    }
    if ext.eight_bit_mime && body.eight_bit {
        line.push_str(" BODY=8BITMIME");
    }
    let utf8 = !env.sender.is_ascii() || env.recipients.iter().any(|r| !r.address.is_ascii());
    if utf8 && ext.smtputf8 {
        line.push_str(" SMTPUTF8");
    }
    if ext.dsn {
        if let Some(ret) = env.ret.as_deref().and_then(ret_value) {
            line.push_str(&format!(" RET={ret}"));
        }
        if let Some(envid) = env.envid.as_deref().filter(|e| !e.is_empty()) {
            line.push_str(&format!(" ENVID={}", xtext(envid)));
        }
    }
    if env.requiretls {
        line.push_str(" REQUIRETLS");
    }
    line.push_str("\r\n");
    Ok(line)
}

/// `RCPT TO:<address> [params]` + CRLF, or the refusal of this recipient.
pub(crate) fn rcpt_command(rcpt: &EnvelopeRcpt, ext: &Extensions) -> Result<String, Reply> {
    if rcpt.address.is_empty() {
        return Err(Reply::local(BAD_ADDRESS_SYNTAX, "empty recipient address"));
    }
    check_path(&rcpt.address, ext)?;
    let mut line = format!("RCPT TO:<{}>", rcpt.address);
    if ext.dsn {
        if let Some(notify) = rcpt.notify.as_deref().and_then(notify_value) {
            line.push_str(&format!(" NOTIFY={notify}"));
        }
        if let Some(orcpt) = rcpt.orcpt.as_deref().and_then(orcpt_value) {
            line.push_str(&format!(" ORCPT={orcpt}"));
        }
    }
    line.push_str("\r\n");
    Ok(line)
}

/// A path must not break the command line, and may be UTF-8 only with SMTPUTF8.
fn check_path(path: &str, ext: &Extensions) -> Result<(), Reply> {
    if path.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return Err(Reply::local(
            BAD_ADDRESS_SYNTAX,
            "address contains characters that cannot be sent",
        ));
    }
    // RFC 6531 §3.2: UTF-8 paths only to a server that offers SMTPUTF8.
    if !path.is_ascii() && !ext.smtputf8 {
        return Err(Reply::local(
            NO_SMTPUTF8,
            "UTF-8 address and the server does not offer SMTPUTF8",
        ));
    }
    Ok(())
}

/// RFC 3461 §4.3: `FULL` or `HDRS`.
fn ret_value(ret: &str) -> Option<&'static str> {
    match ret.trim().to_ascii_uppercase().as_str() {
        "FULL" => Some("FULL"),
        "HDRS" => Some("HDRS"),
        _ => None,
    }
}

/// RFC 3461 §4.1: `NEVER` alone, or a list of `SUCCESS`, `FAILURE`, `DELAY`.
fn notify_value(notify: &str) -> Option<String> {
    let mut items: Vec<String> = Vec::new();
    for item in notify.split(',') {
        let item = item.trim().to_ascii_uppercase();
        if !matches!(item.as_str(), "NEVER" | "SUCCESS" | "FAILURE" | "DELAY") {
            return None;
        }
        if !items.contains(&item) {
            items.push(item);
        }
    }
    if items.iter().any(|i| i == "NEVER") && items.len() > 1 {
        return None;
    }
    Some(items.join(","))
}

/// RFC 3461 §4.2: `addr-type ";" xtext`; a value without a type is an rfc822 address.
fn orcpt_value(orcpt: &str) -> Option<String> {
    let (kind, addr) = match orcpt.split_once(';') {
        Some((kind, addr))
            if !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            (kind, addr)
        }
        _ => ("rfc822", orcpt),
    };
    let addr = addr.trim();
    (!addr.is_empty()).then(|| format!("{kind};{}", xtext(addr)))
}

/// RFC 3461 §4: octets outside `!`..`~`, and `+` and `=`, become `+XX`.
pub(crate) fn xtext(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::data::encode;

    fn rcpt(address: &str, notify: Option<&str>, orcpt: Option<&str>) -> EnvelopeRcpt {
        EnvelopeRcpt {
            address: address.into(),
            notify: notify.map(Into::into),
            orcpt: orcpt.map(Into::into),
        }
    }

    fn env(sender: &str) -> Envelope {
        Envelope {
            sender: sender.into(),
            recipients: vec![rcpt(
                "b@y.test",
                Some("success,failure"),
                Some("rfc822;b@y.test"),
            )],
            ret: Some("hdrs".into()),
            envid: Some("id+1=2 x".into()),
            requiretls: false,
        }
    }

    #[test]
    fn plain_server_gets_no_parameters() {
        let body = encode("Subject: é\r\n".as_bytes());
        let ext = Extensions::default();
        assert_eq!(
            mail_command(&env("a@x.test"), &ext, &body),
            Ok("MAIL FROM:<a@x.test>\r\n".into())
        );
        assert_eq!(
            mail_command(&env(""), &ext, &body),
            Ok("MAIL FROM:<>\r\n".into())
        );
        let r = rcpt("b@y.test", Some("SUCCESS"), Some("rfc822;b@y.test"));
        assert_eq!(rcpt_command(&r, &ext), Ok("RCPT TO:<b@y.test>\r\n".into()));
    }

    #[test]
    fn parameters_follow_extensions() {
        let body = encode("Subject: é\r\n".as_bytes());
        let ext = Extensions {
            size: Some(0),
            dsn: true,
            eight_bit_mime: true,
            ..Extensions::default()
        };
        assert_eq!(
            mail_command(&env("a@x.test"), &ext, &body),
            Ok(format!(
                "MAIL FROM:<a@x.test> SIZE={} BODY=8BITMIME RET=HDRS ENVID=id+2B1+3D2+20x\r\n",
                body.size
            ))
        );
        let r = rcpt(
            "b@y.test",
            Some("success, FAILURE"),
            Some("rfc822;b+tag@y.test"),
        );
        assert_eq!(
            rcpt_command(&r, &ext),
            Ok("RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Btag@y.test\r\n".into())
        );
        // Stored without a type: rfc822 is assumed. Invalid NOTIFY is left out.
        let r = rcpt("b@y.test", Some("NEVER,SUCCESS"), Some("b@y.test"));
        assert_eq!(
            rcpt_command(&r, &ext),
            Ok("RCPT TO:<b@y.test> ORCPT=rfc822;b@y.test\r\n".into())
        );
        let r = rcpt("b@y.test", Some("never"), Some("x-local;weird"));
        assert_eq!(
            rcpt_command(&r, &ext),
            Ok("RCPT TO:<b@y.test> NOTIFY=NEVER ORCPT=x-local;weird\r\n".into())
        );
    }

    #[test]
    fn size_limit() {
        let body = encode(&[b'a'; 200]);
        let ext = Extensions {
            size: Some(100),
            ..Extensions::default()
        };
        let refused = mail_command(&env("a@x.test"), &ext, &body).expect_err("too big");
        assert_eq!((refused.code, refused.esc.as_deref()), (552, Some("5.3.4")));
        let ext = Extensions {
            size: Some(1000),
            ..Extensions::default()
        };
        assert_eq!(
            mail_command(&env("a@x.test"), &ext, &body),
            Ok("MAIL FROM:<a@x.test> SIZE=202\r\n".into())
        );
    }

    #[test]
    fn unsendable_paths() {
        let body = encode(b"x");
        let ext = Extensions::default();
        for bad in ["a@x.test>\r\nRSET", "a<b@x.test", "a\0@x.test"] {
            let err = mail_command(&env(bad), &ext, &body).expect_err(bad);
            assert_eq!(err.code, 553);
            assert!(rcpt_command(&rcpt(bad, None, None), &ext).is_err());
        }
        assert!(rcpt_command(&rcpt("", None, None), &ext).is_err());
    }

    #[test]
    fn utf8_needs_smtputf8() {
        let body = encode(b"x");
        let mut e = env("a@x.test");
        e.recipients = vec![rcpt("jöran@y.test", None, None)];
        let plain = Extensions::default();
        let err = rcpt_command(&e.recipients[0], &plain).expect_err("no SMTPUTF8");
        assert_eq!(err.esc.as_deref(), Some("5.6.7"));
        assert!(mail_command(&env("jöran@x.test"), &plain, &body).is_err());
        let utf8 = Extensions {
            smtputf8: true,
            ..Extensions::default()
        };
        assert_eq!(
            mail_command(&e, &utf8, &body),
            Ok("MAIL FROM:<a@x.test> SMTPUTF8\r\n".into())
        );
        assert_eq!(
            rcpt_command(&e.recipients[0], &utf8),
            Ok("RCPT TO:<jöran@y.test>\r\n".into())
        );
    }

    #[test]
    fn xtext_encoding() {
        assert_eq!(xtext("plain@x.test"), "plain@x.test");
        assert_eq!(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(xtext("é"), "+C3+A9");
    }
}
