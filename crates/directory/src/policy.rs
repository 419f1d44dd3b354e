//! Password policy (SEC-9): which passwords an account may be given.
//!
//! Role: check a candidate password against a configurable set of rules and
//! report every rule it breaks, so a user interface can list them all next to
//! the password field at once.
//!
//! Invariants:
//! - Length is counted in Unicode scalar values (`char`s), not bytes.
//! - Character classes follow Unicode: a digit is any numeric character, an
//!   upper- or lower-case letter is one with that case property, and a symbol
//!   is any character that is neither a letter nor a number (punctuation,
//!   symbols, spaces).
//! - Violations are reported in a fixed order: length, digit, upper, lower,
//!   symbol, user name.
//! - A policy with every rule off (`PasswordPolicy::default()`) accepts any
//!   password; refusing the empty password is up to the credential code.

/// The rules a new password must follow. Every rule is off by default.
#[derive(Clone, Debug, Default)]
pub struct PasswordPolicy {
    /// Minimum number of characters; 0 means no minimum.
    pub min_length: usize,
    /// Require at least one digit.
    pub require_digit: bool,
    /// Require at least one upper-case letter.
    pub require_upper: bool,
    /// Require at least one lower-case letter.
    pub require_lower: bool,
    /// Require at least one character that is neither a letter nor a digit.
    pub require_symbol: bool,
    /// Refuse passwords equal to, or containing, the user name (see [`check`]).
    pub not_username: bool,
}

/// One rule a password breaks. `Display` gives a short human message meant to
/// follow "Password ..." or stand alone next to a form field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// Fewer than `min` characters.
    #[error("must be at least {min} characters")]
    TooShort {
        /// The policy's minimum length.
        min: usize,
    },
    /// No digit.
    #[error("must contain a digit")]
    NoDigit,
    /// No upper-case letter.
    #[error("must contain an upper-case letter")]
    NoUpper,
    /// No lower-case letter.
    #[error("must contain a lower-case letter")]
    NoLower,
    /// No character other than letters and digits.
    #[error("must contain a symbol (a character that is not a letter or digit)")]
    NoSymbol,
    /// Equal to, or contains, the user name.
    #[error("must not be or contain the user name")]
    ContainsUsername,
}

/// Returns every rule the password breaks, each with a human message ("must
/// be at least 8 characters", ...), so a UI can show them next to the field.
///
/// `username` is the local part or full address; "not the user name" compares
/// case-insensitively against both the local part and the full address, and
/// also rejects a password that contains the local part when it is ≥ 3 chars.
/// An empty `username` never matches.
pub fn check(policy: &PasswordPolicy, username: &str, password: &str) -> Vec<PolicyViolation> {
    let mut violations = Vec::new();
    if password.chars().count() < policy.min_length {
        violations.push(PolicyViolation::TooShort {
            min: policy.min_length,
        });
    }
    let rules: [ClassRule; 4] = [
        (
            policy.require_digit,
            char::is_numeric,
            PolicyViolation::NoDigit,
        ),
        (
            policy.require_upper,
            char::is_uppercase,
            PolicyViolation::NoUpper,
        ),
        (
            policy.require_lower,
            char::is_lowercase,
            PolicyViolation::NoLower,
        ),
        (policy.require_symbol, is_symbol, PolicyViolation::NoSymbol),
    ];
    for (required, class, violation) in rules {
        if required && !password.chars().any(class) {
            violations.push(violation);
        }
    }
    if policy.not_username && resembles_username(username, password) {
        violations.push(PolicyViolation::ContainsUsername);
    }
    violations
}

/// A character-class rule: enabled?, the class test, what to report.
type ClassRule = (bool, fn(char) -> bool, PolicyViolation);

/// Anything that is not a letter or a number counts as a symbol.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric()
}

/// Case-insensitive comparison with the full address and its local part, and
/// containment of a local part of at least 3 characters.
fn resembles_username(username: &str, password: &str) -> bool {
    if username.is_empty() {
        return false;
    }
    let full = username.to_lowercase();
    // The local part is everything before the last '@' (a quoted local part
    // may itself contain '@').
    let local = match full.rsplit_once('@') {
        Some((local, _domain)) => local,
        None => full.as_str(),
    };
    let password = password.to_lowercase();
    password == full
        || (!local.is_empty() && password == local)
        || (local.chars().count() >= 3 && password.contains(local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(f: impl FnOnce(&mut PasswordPolicy)) -> PasswordPolicy {
        let mut policy = PasswordPolicy::default();
        f(&mut policy);
        policy
    }

    #[test]
    fn default_policy_accepts_anything() {
        assert!(check(&PasswordPolicy::default(), "alice", "").is_empty());
        assert!(check(&PasswordPolicy::default(), "alice", "alice").is_empty());
    }

    #[test]
    fn min_length_counts_characters_not_bytes() {
        let policy = only(|p| p.min_length = 4);
        assert_eq!(
            check(&policy, "", "abc"),
            vec![PolicyViolation::TooShort { min: 4 }]
        );
        assert!(check(&policy, "", "abcd").is_empty());
        // Four characters, twelve bytes.
        assert!(check(&policy, "", "äöüß").is_empty());
        assert!(check(&policy, "", "日本語").len() == 1);
        assert!(check(&policy, "", "日本語!").is_empty());
    }

    #[test]
    fn each_class_rule_alone() {
        let cases: [(PasswordPolicy, PolicyViolation, &str, &str); 4] = [
            (
                only(|p| p.require_digit = true),
                PolicyViolation::NoDigit,
                "abc",
                "abc1",
            ),
            (
                only(|p| p.require_upper = true),
                PolicyViolation::NoUpper,
                "abc",
                "aBc",
            ),
            (
                only(|p| p.require_lower = true),
                PolicyViolation::NoLower,
                "ABC",
                "AbC",
            ),
            (
                only(|p| p.require_symbol = true),
                PolicyViolation::NoSymbol,
                "aB1",
                "aB 1",
            ),
        ];
        for (policy, violation, bad, good) in cases {
            assert_eq!(check(&policy, "", bad), vec![violation.clone()], "{bad}");
            assert!(check(&policy, "", good).is_empty(), "{good}");
        }
    }

    #[test]
    fn unicode_character_classes() {
        let policy = only(|p| {
            p.require_upper = true;
            p.require_lower = true;
            p.require_symbol = true;
        });
        assert!(check(&policy, "", "Ärger€").is_empty());
        assert_eq!(
            check(&policy, "", "ärger"),
            vec![PolicyViolation::NoUpper, PolicyViolation::NoSymbol]
        );
    }

    #[test]
    fn username_rule() {
        let policy = only(|p| p.not_username = true);
        let hit = vec![PolicyViolation::ContainsUsername];
        assert_eq!(check(&policy, "Alice@Example.org", "alice"), hit);
        assert_eq!(
            check(&policy, "alice@example.org", "ALICE@EXAMPLE.ORG"),
            hit
        );
        assert_eq!(check(&policy, "alice@example.org", "xxAliCe2024"), hit);
        assert_eq!(check(&policy, "alice", "alice"), hit);
        assert_eq!(check(&policy, "alice", "my-alice!"), hit);
        // Short local parts only match exactly.
        assert_eq!(check(&policy, "al@example.org", "AL"), hit);
        assert!(check(&policy, "al@example.org", "always").is_empty());
        assert!(check(&policy, "alice@example.org", "bob").is_empty());
        assert!(check(&policy, "", "anything").is_empty());
    }

    #[test]
    fn combined_rules_report_everything_in_order() {
        let policy = PasswordPolicy {
            min_length: 8,
            require_digit: true,
            require_upper: true,
            require_lower: true,
            require_symbol: true,
            not_username: true,
        };
        assert_eq!(
            check(&policy, "bob@example.org", "bob"),
            vec![
                PolicyViolation::TooShort { min: 8 },
                PolicyViolation::NoDigit,
                PolicyViolation::NoUpper,
                PolicyViolation::NoSymbol,
                PolicyViolation::ContainsUsername,
            ]
        );
        assert!(check(&policy, "bob@example.org", "Tr0ub4dor&3").is_empty());
    }

    #[test]
    fn messages_read_well() {
        assert_eq!(
            PolicyViolation::TooShort { min: 8 }.to_string(),
            "must be at least 8 characters"
        );
        assert_eq!(PolicyViolation::NoDigit.to_string(), "must contain a digit");
        assert_eq!(
            PolicyViolation::ContainsUsername.to_string(),
            "must not be or contain the user name"
        );
    }
}
