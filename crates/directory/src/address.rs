//! Mail addresses as the directory sees them: `local@domain`, compared case-insensitively.
//!
//! Invariant: a [`Address`] has a non-empty local part and a syntactically valid domain, both
//! lower-cased; UTF-8 is allowed in both (RFC 6531) but control characters, spaces, `@` in the
//! local part and path syntax (`%`, `!`, source routes) are not.

use std::fmt;

/// A parsed, lower-cased address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    pub local: String,
    pub domain: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// Longest address accepted (RFC 5321 §4.5.3.1.3 path limit).
pub const MAX_ADDRESS: usize = 254;

impl Address {
    /// Parse `local@domain`; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.len() > MAX_ADDRESS {
            return Err(format!("address longer than {MAX_ADDRESS} characters"));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| format!("{s:?} is not an address (expected local@domain)"))?;
        check_local(local)?;
        let domain = normalise_domain(domain)?;
        Ok(Self {
            local: local.to_lowercase(),
            domain,
        })
    }
}

fn check_local(local: &str) -> Result<(), String> {
    if local.is_empty() || local.len() > 64 {
        return Err("the local part must be 1 to 64 characters".into());
    }
    if local
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "@%!\"\\:;<>(),[]".contains(c))
    {
        return Err(format!(
            "{local:?} contains characters not allowed in a local part"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(format!("{local:?}: dots may not lead, trail or repeat"));
    }
    Ok(())
}

/// Check and lower-case a domain name (UTF-8 labels allowed).
pub fn normalise_domain(domain: &str) -> Result<String, String> {
    let d = domain.trim().trim_end_matches('.').to_lowercase();
    if d.is_empty() || d.len() > 253 {
        return Err("a domain name must be 1 to 253 characters".into());
    }
    for label in d.split('.') {
        let ok_chars = label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if label.is_empty()
            || label.len() > 63
            || !ok_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!("{domain:?} is not a valid domain name"));
        }
    }
    Ok(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let a = Address::parse("Alice@Example.TEST").unwrap();
        assert_eq!(a.to_string(), "alice@example.test");
        assert_eq!(
            Address::parse("用户@例子.测试").unwrap().domain,
            "例子.测试"
        );
        for bad in [
            "",
            "a",
            "@x.test",
            "a@",
            "a b@x.test",
            "a%b@x.test",
            "a!b@x.test",
            "a@-x.test",
            "a@x..test",
            ".a@x.test",
            "a..b@x.test",
            "@a,@b:u@c.test",
            "a@x_y.test",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
