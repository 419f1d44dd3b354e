//! Naming rules for keys the store compares: what makes two names the same record.
//!
//! Invariant: a DKIM key is stored and looked up under its domain in ASCII lower case, so
//! `Example.COM` and `example.com` name one key (domain names compare case-insensitively,
//! RFC 4343).

/// The key a domain's DKIM record is stored and looked up under.
pub fn dkim_domain(domain: &str) -> String {
    domain.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dkim_domains_compare_ignoring_ascii_case() {
        assert_eq!(super::dkim_domain("Mail.Example.COM"), "mail.example.com");
    }
}
