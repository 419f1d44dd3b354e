//! MTA-STS (RFC 8461) texts: the `_mta-sts` TXT record and the policy file, parsed without
//! I/O, and the MX-pattern match.
//!
//! Invariants: a policy is only built from a file that names version `STSv1`, a known mode
//! and a `max_age` (clamped to the RFC's one-year maximum); `enforce` and `testing` policies
//! have at least one `mx` pattern; patterns are stored lower-case without a trailing dot.

use std::fmt;

/// RFC 8461 §3.2: `max_age` is at most 31557600 seconds (about a year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;
/// Bytes of a policy file we read (RFC 8461 §3.3 suggests a 64 KiB limit).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// What a policy asks of senders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Deliver only to matching MX hosts over verified TLS.
    Enforce,
    /// Deliver as usual, report what enforcement would have refused.
    Testing,
    /// No policy (a domain withdrawing one).
    None,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        })
    }
}

/// A parsed policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The mode.
    pub mode: Mode,
    /// MX patterns: `mx.example.com` or `*.example.com` (one leftmost label).
    pub mx: Vec<String>,
    /// Seconds the policy may be cached.
    pub max_age: u64,
}

impl Policy {
    /// Whether MX host `host` is allowed by the policy (RFC 8461 §4.1).
    pub fn matches(&self, host: &str) -> bool {
        let host = normal(host);
        self.mx.iter().any(|p| match p.strip_prefix("*.") {
            // The wildcard stands for exactly one whole label.
            Some(parent) => host
                .split_once('.')
                .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
            None => *p == host,
        })
    }

    /// The policy as the lines of a TLS-RPT `policy-string` (RFC 8460 §4.3).
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec!["version: STSv1".to_owned(), format!("mode: {}", self.mode)];
        lines.extend(self.mx.iter().map(|m| format!("mx: {m}")));
        lines.push(format!("max_age: {}", self.max_age));
        lines
    }
}

/// Why a record or a policy file is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// More than one `v=STSv1` TXT record (RFC 8461 §3.1: then there is no policy).
    #[error("more than one MTA-STS TXT record")]
    SeveralRecords,
    /// The record or the file breaks the syntax.
    #[error("invalid: {0}")]
    Invalid(String),
}

/// The `id` of the domain's MTA-STS TXT record among `texts` (the TXT strings of
/// `_mta-sts.DOMAIN`); `None` when no record starts with `v=STSv1`.
pub fn parse_txt(texts: &[String]) -> Result<Option<String>, StsError> {
    let records: Vec<&String> = texts
        .iter()
        .filter(|t| t.trim_start().starts_with("v=STSv1"))
        .collect();
    let record = match records.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(StsError::SeveralRecords),
    };
    let mut id = None;
    for field in record.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        let (key, value) = field
            .split_once('=')
            .ok_or_else(|| StsError::Invalid(format!("field without '=': {field}")))?;
        match key.trim() {
            "v" if value.trim() == "STSv1" => {}
            "v" => return Err(StsError::Invalid(format!("version {value}"))),
            "id" => {
                let value = value.trim();
                // RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
                if value.is_empty()
                    || value.len() > 32
                    || !value.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(StsError::Invalid(format!("id {value:?}")));
                }
                id = Some(value.to_owned());
            }
            _ => {} // RFC 8461 §3.1: unknown fields are ignored.
        }
    }
    id.map(Some)
        .ok_or_else(|| StsError::Invalid("no id".into()))
}

/// Parses a policy file (RFC 8461 §3.2): `key: value` lines, CRLF or LF.
pub fn parse_policy(text: &str) -> Result<Policy, StsError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(StsError::Invalid("policy file too large".into()));
    }
    let (mut version, mut mode, mut max_age) = (None, None, None);
    let mut mx = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            return Err(StsError::Invalid(format!("line without ':': {line}")));
        };
        let value = value.trim();
        match key.trim() {
            "version" => version = Some(value.to_owned()),
            "mode" => {
                mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    other => return Err(StsError::Invalid(format!("mode {other:?}"))),
                })
            }
            "max_age" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| StsError::Invalid(format!("max_age {value:?}")))?;
                max_age = Some(secs.min(MAX_AGE_LIMIT));
            }
            "mx" => {
                let p = normal(value);
                if p.is_empty() || p.contains(char::is_whitespace) {
                    return Err(StsError::Invalid(format!("mx {value:?}")));
                }
                mx.push(p);
            }
            _ => {} // RFC 8461 §3.2: unknown keys are ignored.
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err(StsError::Invalid("version is not STSv1".into()));
    }
    let mode = mode.ok_or_else(|| StsError::Invalid("no mode".into()))?;
    let max_age = max_age.ok_or_else(|| StsError::Invalid("no max_age".into()))?;
    if mode != Mode::None && mx.is_empty() {
        return Err(StsError::Invalid("no mx".into()));
    }
    Ok(Policy { mode, mx, max_age })
}

/// A host name or pattern lower-case, without the trailing dot.
fn normal(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn txt(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn txt_records() {
        assert_eq!(
            parse_txt(&txt(&["v=STSv1; id=20160831085700Z;"])).unwrap(),
            Some("20160831085700Z".into())
        );
        assert_eq!(parse_txt(&txt(&["v=spf1 -all"])).unwrap(), None);
        assert_eq!(
            parse_txt(&txt(&["v=STSv1; id=a", "v=STSv1; id=b"])),
            Err(StsError::SeveralRecords)
        );
        assert!(parse_txt(&txt(&["v=STSv1;"])).is_err());
        assert!(parse_txt(&txt(&["v=STSv1; id=bad-id"])).is_err());
        assert_eq!(
            parse_txt(&txt(&["v=STSv1; id=x1; ext=1"])).unwrap(),
            Some("x1".into())
        );
    }

    #[test]
    fn policy_file() {
        let p = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
        )
        .unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.max_age, 604_800);
        assert!(p.matches("MAIL.example.com."));
        assert!(p.matches("a.example.net"));
        assert!(!p.matches("a.b.example.net"));
        assert!(!p.matches("example.net"));
        assert!(!p.matches("other.example.com"));
        assert_eq!(p.lines()[1], "mode: enforce");
    }

    #[test]
    fn policy_errors() {
        assert!(parse_policy("mode: enforce\nmx: a\nmax_age: 1\n").is_err());
        assert!(parse_policy("version: STSv1\nmode: enforce\nmax_age: 1\n").is_err());
        assert!(parse_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n").is_err());
        assert!(parse_policy("version: STSv1\nmode: testing\nmx: a\n").is_err());
        assert!(parse_policy("version: STSv1\nmode: testing\nmx: a\nmax_age: x\n").is_err());
        let none = parse_policy("version: STSv1\nmode: none\nmax_age: 99999999999\n").unwrap();
        assert_eq!(none.mode, Mode::None);
        assert_eq!(none.max_age, MAX_AGE_LIMIT);
    }
}
