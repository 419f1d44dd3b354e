//! Trace fields (RFC 5321 §4.4) this server writes in front of a message: the Received
//! field when it accepts a message, the Return-Path at final delivery recording the envelope
//! sender. Built from plain values; the SMTP session gathers them.
//!
//! Invariants: pure; the result is one complete field ending with CRLF, folded with CRLF HT;
//! what a client chose (HELO name, envelope sender) is cleaned so it cannot end the field or
//! add another.

use std::net::IpAddr;

/// What a Received field records of one accepted message.
#[derive(Clone, Debug)]
pub struct Received<'a> {
    /// The name the client gave in HELO/EHLO, if any (`unknown` when none).
    pub helo: Option<&'a str>,
    /// The client's address.
    pub peer: IpAddr,
    /// This server's host name.
    pub hostname: &'a str,
    /// The protocol word (RFC 3848: `ESMTPSA` and the like).
    pub protocol: &'a str,
    /// The identifier this server gave the message.
    pub id: &'a str,
    /// The TLS version and cipher, when the session is encrypted.
    pub tls: Option<&'a str>,
    /// The recipient, recorded only when the message has exactly one.
    pub recipient: Option<&'a str>,
    /// When the message was accepted, as an RFC 5322 date-time.
    pub date: &'a str,
}

/// The Received field: `from` the client's HELO name (printable ASCII only, at most 255
/// characters) and address, `by` this server `with` the protocol and `id`, the TLS used, the
/// single recipient, then the date.
pub fn received(r: &Received<'_>) -> String {
    let helo: String = r
        .helo
        .unwrap_or("unknown")
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    let mut head = format!(
        "Received: from {helo} ([{}])\r\n\tby {} (Heron) with {} id {}",
        r.peer, r.hostname, r.protocol, r.id
    );
    if let Some(t) = r.tls {
        head.push_str(&format!("\r\n\t(using {t})"));
    }
    if let Some(one) = r.recipient {
        head.push_str(&format!("\r\n\tfor <{one}>"));
    }
    head.push_str(&format!(";\r\n\t{}\r\n", r.date));
    head
}

/// The Return-Path field; `<>` for the null sender. Characters that could break the field
/// are dropped.
pub fn return_path(sender: &str) -> String {
    let clean: String = sender
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>'))
        .collect();
    format!("Return-Path: <{clean}>\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_path_forms() {
        assert_eq!(return_path(""), "Return-Path: <>\r\n");
        assert_eq!(return_path("a@b.test"), "Return-Path: <a@b.test>\r\n");
        assert_eq!(return_path("a\r\nX: y@b>"), "Return-Path: <aX: y@b>\r\n");
    }

    #[test]
    fn received_forms() {
        let date = "Mon, 01 Jan 2024 10:00:00 +0000";
        let mut r = Received {
            helo: None,
            peer: IpAddr::from([192, 0, 2, 7]),
            hostname: "mx.example.test",
            protocol: "ESMTP",
            id: "abc123",
            tls: None,
            recipient: None,
            date,
        };
        assert_eq!(
            received(&r),
            "Received: from unknown ([192.0.2.7])\r\n\tby mx.example.test (Heron) with ESMTP \
             id abc123;\r\n\tMon, 01 Jan 2024 10:00:00 +0000\r\n"
        );
        let long = format!("cl ient\r\n.ex\u{e4}mple{}", "x".repeat(300));
        r.helo = Some(&long);
        r.peer = "2001:db8::1".parse().unwrap_or(r.peer);
        r.tls = Some("TLSv1.3 with TLS13_AES_256_GCM_SHA384");
        r.recipient = Some("bob@example.test");
        let got = received(&r);
        assert!(got.starts_with(&format!(
            "Received: from client.exmple{} ([2001:db8::1])\r\n",
            "x".repeat(255 - 13)
        )));
        assert!(got.ends_with(
            " id abc123\r\n\t(using TLSv1.3 with TLS13_AES_256_GCM_SHA384)\r\n\t\
             for <bob@example.test>;\r\n\tMon, 01 Jan 2024 10:00:00 +0000\r\n"
        ));
    }
}
