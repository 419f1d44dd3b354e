//! The service extensions a server lists in its EHLO reply (RFC 5321 §4.1.1.1), as the
//! outbound client uses them.
//!
//! Invariant: unknown keywords are ignored; a SIZE without a usable number counts as offered
//! without a fixed limit; AUTH mechanisms are kept once each, upper case.

/// The extensions a server offered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    /// RFC 2920 PIPELINING.
    pub pipelining: bool,
    /// RFC 3207 STARTTLS.
    pub starttls: bool,
    /// RFC 1870 SIZE: `Some(0)` when offered without a fixed limit.
    pub size: Option<u64>,
    /// RFC 3461 DSN.
    pub dsn: bool,
    /// RFC 6152 8BITMIME.
    pub eight_bit_mime: bool,
    /// RFC 6531 SMTPUTF8.
    pub smtputf8: bool,
    /// RFC 2034 ENHANCEDSTATUSCODES.
    pub enhanced_status_codes: bool,
    /// RFC 4954 AUTH mechanisms, upper case.
    pub auth: Vec<String>,
    /// RFC 8689 REQUIRETLS.
    pub requiretls: bool,
}

impl Extensions {
    /// Reads the extension lines of an EHLO reply (every line after the first).
    pub fn parse(lines: &[String]) -> Extensions {
        let mut ext = Extensions::default();
        for line in lines {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            let keyword = keyword.to_ascii_uppercase();
            // Some old servers write "AUTH=LOGIN PLAIN"; the mechanisms are the same.
            let (keyword, first_param) = match keyword.split_once('=') {
                Some((k, p)) if k == "AUTH" => (k.to_owned(), Some(p.to_owned())),
                _ => (keyword, None),
            };
            match keyword.as_str() {
                "PIPELINING" => ext.pipelining = true,
                "STARTTLS" => ext.starttls = true,
                "SIZE" => ext.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "DSN" => ext.dsn = true,
                "8BITMIME" => ext.eight_bit_mime = true,
                "SMTPUTF8" => ext.smtputf8 = true,
                "ENHANCEDSTATUSCODES" => ext.enhanced_status_codes = true,
                "REQUIRETLS" => ext.requiretls = true,
                "AUTH" => {
                    for mech in first_param.into_iter().chain(words.map(str::to_owned)) {
                        let mech = mech.to_ascii_uppercase();
                        if !mech.is_empty() && !ext.auth.contains(&mech) {
                            ext.auth.push(mech);
                        }
                    }
                }
                _ => {}
            }
        }
        ext
    }

    /// Whether the server offers the SASL mechanism `name` (upper case).
    pub fn has_auth(&self, name: &str) -> bool {
        self.auth.iter().any(|m| m == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Extensions {
        Extensions::parse(&lines.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn extensions() {
        let ext = parse(&[
            "pipelining",
            "SIZE 35882577",
            "8BITMIME",
            "STARTTLS",
            "ENHANCEDSTATUSCODES",
            "DSN",
            "SMTPUTF8",
            "REQUIRETLS",
            "AUTH LOGIN plain",
            "AUTH=LOGIN XOAUTH2",
            "X-UNKNOWN foo",
        ]);
        assert_eq!(
            ext,
            Extensions {
                pipelining: true,
                starttls: true,
                size: Some(35_882_577),
                dsn: true,
                eight_bit_mime: true,
                smtputf8: true,
                enhanced_status_codes: true,
                auth: vec!["LOGIN".into(), "PLAIN".into(), "XOAUTH2".into()],
                requiretls: true,
            }
        );
        assert!(ext.has_auth("PLAIN"));
        assert!(!ext.has_auth("CRAM-MD5"));
    }

    #[test]
    fn size_without_limit_and_nothing_offered() {
        assert_eq!(parse(&["SIZE"]).size, Some(0));
        assert_eq!(parse(&["SIZE lots"]).size, Some(0));
        assert_eq!(parse(&[]), Extensions::default());
        assert_eq!(parse(&["", "   "]), Extensions::default());
    }
}
