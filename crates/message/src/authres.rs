//! RFC 8601 §5: Authentication-Results fields that claim to come from this server but arrive
//! with a message were written by someone else, so they are removed before the message is
//! stored or relayed (and before this server adds its own). Fields of other servers stay.
//!
//! Pure. Invariant: only fields of the header block are looked at ([`crate::fields`],
//! which also sees a name with white space before its colon), a removed field goes with its
//! folded continuation lines, and every other byte of the message is kept as it was.

/// The authserv-id of an Authentication-Results field value: its first token, before any
/// `;` (RFC 8601 §2.2), with comments and white space around it dropped, lower-cased.
pub fn authserv_id(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let first = text.split(';').next().unwrap_or("");
    let mut out = String::new();
    let mut depth = 0usize;
    for c in first.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 && !c.is_whitespace() => out.push(c),
            _ if depth == 0 && !out.is_empty() => break,
            _ => {}
        }
    }
    out.to_ascii_lowercase()
}

/// `message` without the Authentication-Results fields whose authserv-id is `hostname`.
pub fn strip_own(message: Vec<u8>, hostname: &str) -> Vec<u8> {
    const NAME: &str = "authentication-results";
    let own = hostname.trim_end_matches('.').to_ascii_lowercase();
    // Fields as [start, end) ranges, each with its continuation lines.
    let drop: Vec<(usize, usize)> = crate::fields(&message)
        .filter(|f| f.is(NAME) && authserv_id(f.value).trim_end_matches('.') == own)
        .map(|f| (f.range.start, f.range.end))
        .collect();
    if drop.is_empty() {
        return message;
    }
    let mut out = Vec::with_capacity(message.len());
    let mut at = 0;
    for (s, e) in drop {
        out.extend_from_slice(&message[at..s]);
        at = e;
    }
    out.extend_from_slice(&message[at..]);
    out
}

/// Whether the message's SPF result, as one of `own` (this server's names) recorded it in
/// an Authentication-Results field, is `pass`. Only fields of this server count: those of
/// other servers, or forged ones (which [`strip_own`] removed on arrival), say nothing.
pub fn spf_passed(message: &[u8], own: &[String]) -> bool {
    crate::fields(message)
        .filter(|f| f.is("authentication-results"))
        .filter(|f| {
            let id = authserv_id(f.value);
            let id = id.trim_end_matches('.');
            own.iter()
                .any(|o| o.trim_end_matches('.').eq_ignore_ascii_case(id))
        })
        .any(|f| {
            let text = String::from_utf8_lossy(f.value).to_ascii_lowercase();
            text.split(';')
                .skip(1)
                .any(|method| method.split_whitespace().next() == Some("spf=pass"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(m: &str) -> String {
        String::from_utf8(strip_own(m.as_bytes().to_vec(), "MX.Example.TEST")).unwrap_or_default()
    }

    #[test]
    fn spf_pass_counts_only_in_this_servers_fields() {
        let own = vec!["mx.example.test".to_owned()];
        let ours =
            b"Authentication-Results: MX.example.test;\r\n\tspf=pass smtp.mailfrom=a@b\r\n\r\nx";
        assert!(spf_passed(ours, &own));
        let theirs = b"Authentication-Results: other.test; spf=pass\r\n\r\nx";
        assert!(!spf_passed(theirs, &own));
        let failed = b"Authentication-Results: mx.example.test; spf=fail; dkim=pass\r\n\r\nx";
        assert!(!spf_passed(failed, &own));
        let in_body = b"X: 1\r\n\r\nAuthentication-Results: mx.example.test; spf=pass\r\n";
        assert!(!spf_passed(in_body, &own));
    }

    #[test]
    fn own_fields_go_others_stay() {
        let m = "Received: x\r\n\
                 Authentication-Results: mx.example.test; dkim=pass\r\n\
                 authentication-results: (forged) MX.EXAMPLE.TEST. ;\r\n\tspf=pass\r\n\
                 Authentication-Results: other.example; dkim=fail\r\n\
                 Authentication-Results: mx.example.test.evil; dkim=pass\r\n\
                 Subject: hi\r\n\r\n\
                 Authentication-Results: mx.example.test; body text stays\r\n";
        assert_eq!(
            strip(m),
            "Received: x\r\n\
             Authentication-Results: other.example; dkim=fail\r\n\
             Authentication-Results: mx.example.test.evil; dkim=pass\r\n\
             Subject: hi\r\n\r\n\
             Authentication-Results: mx.example.test; body text stays\r\n"
        );
    }

    #[test]
    fn white_space_before_the_colon_does_not_hide_a_field() {
        let m = "Authentication-Results : mx.example.test; dkim=pass\r\n\
                 authentication-results\t: mx.example.test; spf=pass\r\n\
                 Subject: x\r\n\r\nbody\r\n";
        assert_eq!(strip(m), "Subject: x\r\n\r\nbody\r\n");
    }

    #[test]
    fn untouched_without_own_fields() {
        for m in [
            "",
            "Subject: x\r\n\r\nbody",
            "Authentication-Results: other; none\r\n\r\n",
            "Authentication-Results:\r\n\r\n",
            "no header block at all",
        ] {
            assert_eq!(strip(m), m);
        }
        assert_eq!(strip("Authentication-Results: mx.example.test"), "");
        assert_eq!(authserv_id(b" (c) host.example (x); a=b"), "host.example");
        assert_eq!(authserv_id(b" host.example 1 ; a=b"), "host.example");
    }
}
