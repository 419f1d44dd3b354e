//! DOM-12 domain defaults: the `domain_defaults.*` settings give a new domain its DOM-4
//! limits and its "require SMTP AUTH" switch, and [`Directory::propagate_defaults`] pushes
//! chosen defaults to every existing domain.
//!
//! Invariants: the eight fields are named once, in [`DefaultField`], with the API's names
//! (those of the domain record as the API shows it); a default reaches an existing domain only
//! through [`DomainChange`], the one rule that changes a domain; propagation writes only the
//! domains whose record actually changes, so the count it returns is the number of domains
//! that differ afterwards from before.

use heron_settings::defs;
use heron_store::DomainLimits;

use crate::{Directory, DomainChange, Result};

/// A domain setting that has a server-wide default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultField {
    DiskMb,
    MaxUsers,
    MaxAliases,
    MaxDomainAliases,
    MaxMessageKb,
    MaxRecipients,
    MaxPopAccounts,
    RequireSmtpAuth,
}

impl DefaultField {
    /// Every field, in the order pages and messages list them.
    pub const ALL: [DefaultField; 8] = [
        DefaultField::DiskMb,
        DefaultField::MaxUsers,
        DefaultField::MaxAliases,
        DefaultField::MaxDomainAliases,
        DefaultField::MaxMessageKb,
        DefaultField::MaxRecipients,
        DefaultField::MaxPopAccounts,
        DefaultField::RequireSmtpAuth,
    ];

    /// The field's name in the API (and the last part of its setting key).
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultField::DiskMb => "disk_mb",
            DefaultField::MaxUsers => "max_users",
            DefaultField::MaxAliases => "max_aliases",
            DefaultField::MaxDomainAliases => "max_domain_aliases",
            DefaultField::MaxMessageKb => "max_message_kb",
            DefaultField::MaxRecipients => "max_recipients",
            DefaultField::MaxPopAccounts => "max_pop_accounts",
            DefaultField::RequireSmtpAuth => "require_smtp_auth",
        }
    }

    /// Inverse of [`DefaultField::as_str`] (exact, lower-case names).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The setting holding the field's default.
    pub fn setting_key(self) -> &'static str {
        match self {
            DefaultField::DiskMb => defs::DOMAIN_DEFAULTS_DISK_MB.name,
            DefaultField::MaxUsers => defs::DOMAIN_DEFAULTS_MAX_USERS.name,
            DefaultField::MaxAliases => defs::DOMAIN_DEFAULTS_MAX_ALIASES.name,
            DefaultField::MaxDomainAliases => defs::DOMAIN_DEFAULTS_MAX_DOMAIN_ALIASES.name,
            DefaultField::MaxMessageKb => defs::DOMAIN_DEFAULTS_MAX_MESSAGE_KB.name,
            DefaultField::MaxRecipients => defs::DOMAIN_DEFAULTS_MAX_RECIPIENTS.name,
            DefaultField::MaxPopAccounts => defs::DOMAIN_DEFAULTS_MAX_POP_ACCOUNTS.name,
            DefaultField::RequireSmtpAuth => defs::DOMAIN_DEFAULTS_REQUIRE_SMTP_AUTH.name,
        }
    }

    /// The API names of every field, comma-separated (for messages).
    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

/// A 64-bit setting as a 32-bit limit; the settings refuse larger values, so saturating
/// only matters for a value edited by hand.
fn count32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl Directory {
    /// A change that sets `fields` to their current defaults and leaves the rest alone.
    pub fn defaults_change(&self, fields: &[DefaultField]) -> DomainChange {
        let s = &self.settings;
        let mut c = DomainChange::default();
        for f in fields {
            match f {
                DefaultField::DiskMb => c.disk_mb = Some(s.get(defs::DOMAIN_DEFAULTS_DISK_MB)),
                DefaultField::MaxUsers => {
                    c.max_users = Some(count32(s.get(defs::DOMAIN_DEFAULTS_MAX_USERS)));
                }
                DefaultField::MaxAliases => {
                    c.max_aliases = Some(count32(s.get(defs::DOMAIN_DEFAULTS_MAX_ALIASES)));
                }
                DefaultField::MaxDomainAliases => {
                    c.max_domain_aliases =
                        Some(count32(s.get(defs::DOMAIN_DEFAULTS_MAX_DOMAIN_ALIASES)));
                }
                DefaultField::MaxMessageKb => {
                    c.max_message_kb = Some(s.get(defs::DOMAIN_DEFAULTS_MAX_MESSAGE_KB));
                }
                DefaultField::MaxRecipients => {
                    c.max_recipients = Some(count32(s.get(defs::DOMAIN_DEFAULTS_MAX_RECIPIENTS)));
                }
                DefaultField::MaxPopAccounts => {
                    c.max_pop_accounts =
                        Some(count32(s.get(defs::DOMAIN_DEFAULTS_MAX_POP_ACCOUNTS)));
                }
                DefaultField::RequireSmtpAuth => {
                    c.require_smtp_auth = Some(s.get(defs::DOMAIN_DEFAULTS_REQUIRE_SMTP_AUTH));
                }
            }
        }
        c
    }

    /// The DOM-4 limits a new domain gets: the defaults for the seven limits with a setting,
    /// the built-in defaults for the rest.
    pub fn default_limits(&self) -> DomainLimits {
        let c = self.defaults_change(&DefaultField::ALL);
        let mut l = DomainLimits::default();
        l.disk_mb = c.disk_mb.unwrap_or(l.disk_mb);
        l.users = c.max_users.unwrap_or(l.users);
        l.user_aliases = c.max_aliases.unwrap_or(l.user_aliases);
        l.domain_aliases = c.max_domain_aliases.unwrap_or(l.domain_aliases);
        l.max_message_kb = c.max_message_kb.unwrap_or(l.max_message_kb);
        l.recipients_per_message = c.max_recipients.unwrap_or(l.recipients_per_message);
        l.pop_retrieval_accounts = c.max_pop_accounts.unwrap_or(l.pop_retrieval_accounts);
        l
    }

    /// Set `fields` of every existing domain to their current defaults; the number of
    /// domains that changed. Other fields, and domains already at the defaults, stay as
    /// they are.
    pub async fn propagate_defaults(&self, fields: &[DefaultField]) -> Result<usize> {
        let change = self.defaults_change(fields);
        let mut changed = 0;
        for before in self.store.list_domains().await? {
            let mut d = before.clone();
            change.apply(&mut d);
            if d != before {
                self.store.update_domain(&d).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_settings() {
        for f in DefaultField::ALL {
            assert_eq!(DefaultField::parse(f.as_str()), Some(f));
            assert_eq!(
                f.setting_key(),
                format!("domain_defaults.{}", f.as_str()),
                "{f:?}"
            );
            assert!(defs::find(f.setting_key()).is_some(), "{f:?}");
        }
        assert_eq!(DefaultField::parse("Max_Users"), None);
        assert_eq!(DefaultField::parse("catch_all"), None);
        assert_eq!(DefaultField::parse(""), None);
    }

    #[test]
    fn setting_defaults_match_the_built_in_limits() {
        let l = DomainLimits::default();
        let want = [
            (DefaultField::DiskMb, l.disk_mb.to_string()),
            (DefaultField::MaxUsers, l.users.to_string()),
            (DefaultField::MaxAliases, l.user_aliases.to_string()),
            (DefaultField::MaxDomainAliases, l.domain_aliases.to_string()),
            (DefaultField::MaxMessageKb, l.max_message_kb.to_string()),
            (
                DefaultField::MaxRecipients,
                l.recipients_per_message.to_string(),
            ),
            (DefaultField::RequireSmtpAuth, "false".to_owned()),
        ];
        for (f, v) in want {
            let def = defs::find(f.setting_key()).map(|d| d.default);
            assert_eq!(def, Some(v.as_str()), "{f:?}");
        }
    }

    #[test]
    fn count32_saturates() {
        assert_eq!(count32(7), 7);
        assert_eq!(count32(u64::MAX), u32::MAX);
    }
}
