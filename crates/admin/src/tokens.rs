//! API bearer tokens: naming and making one, shared by the API (`routes/tokens.rs`) and the
//! `heron token` command, so both store the same thing the same way.
//!
//! Invariants: a secret is 32 random bytes in hex after [`PREFIX`], shown once to its maker;
//! only its SHA-256 ([`crate::auth::token_hash`]) is stored.

use heron_directory::Directory;
use heron_store::{ApiToken, StoreError};

use crate::auth::token_hash;
use crate::sessions::random_hex;

/// Prefix of every token secret, so secret scanners can recognise them.
pub const PREFIX: &str = "heron_";

/// What a token name must be, as told to whoever gave a bad one.
pub const NAME_RULE: &str = "a token name is 1 to 100 printable characters";

/// The name trimmed, if it is a valid token name.
pub fn valid_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let ok = !name.is_empty() && name.chars().count() <= 100 && !name.chars().any(char::is_control);
    ok.then_some(name)
}

/// Make a token named `name` (already checked by [`valid_name`]): store its hash and return
/// the stored token with its secret.
pub async fn create(dir: &Directory, name: &str) -> Result<(ApiToken, String), StoreError> {
    let secret = format!("{PREFIX}{}", random_hex(32));
    let t = dir
        .store()
        .create_token(name, &token_hash(&secret), chrono::Utc::now().timestamp())
        .await?;
    Ok((t, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_printable_and_bounded() {
        assert_eq!(valid_name("  ci deploy "), Some("ci deploy"));
        assert_eq!(valid_name("   "), None);
        assert_eq!(valid_name("a\nb"), None);
        assert_eq!(valid_name(&"x".repeat(100)).map(str::len), Some(100));
        assert_eq!(valid_name(&"x".repeat(101)), None);
    }
}
