//! The shared store's address as given (`postgres://user:password@host:port/db`), and the
//! form every message shows.
//!
//! Invariant: a `StoreUrl` is only ever displayed without its password (`Display` writes
//! `***` in its place), so errors, logs and the start-up report never reveal it.

use std::fmt;

/// A PostgreSQL URL naming the shared store.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// Check that `text` is a PostgreSQL URL (`postgres://` or `postgresql://`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            anyhow::bail!(
                "the store must be a PostgreSQL URL such as postgres://heron@db.example/heron \
                 (without one, the data directory's embedded store is used), not {}",
                Self(text.to_owned())
            );
        }
        Ok(Self(text.to_owned()))
    }

    /// The URL with its password, to connect with.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted(&self.0))
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

/// `url` with the password of its user part, and any `password=` parameter, replaced by `***`.
fn redacted(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return url.to_owned(),
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        let shown = |u: &str| StoreUrl::parse(u).expect("url").to_string();
        assert_eq!(
            shown("postgres://heron:s3cret@db:5432/heron"),
            "postgres://heron:***@db:5432/heron"
        );
        assert_eq!(
            shown("postgresql://heron@db/heron?sslmode=disable&password=x"),
            "postgresql://heron@db/heron?sslmode=disable&password=***"
        );
        assert_eq!(shown("postgres://db/heron"), "postgres://db/heron");
        assert_eq!(
            shown("postgres://a:b:c@d@db/x"),
            "postgres://a:***@db/x",
            "the last @ ends the user part"
        );
    }

    #[test]
    fn only_postgres_urls_are_stores() {
        let e = StoreUrl::parse("mysql://u:pw@h/db").expect_err("not postgres");
        let msg = format!("{e}");
        assert!(msg.contains("mysql://u:***@h/db"), "{msg}");
        assert!(!msg.contains("pw"), "{msg}");
    }
}
