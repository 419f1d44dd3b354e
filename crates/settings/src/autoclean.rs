//! Folder auto-clean rules (OPS-6), as `autoclean.rules` holds them: entries
//! `FOLDER age=DAYS` (remove messages that arrived more than DAYS days ago) or
//! `FOLDER size=MB keep=MB` (once the folder holds more than `size` MB, remove its oldest
//! messages until it holds at most `keep` MB). FOLDER is a folder name (case-insensitive
//! for `INBOX` only, as IMAP names are) or a special use such as `\Trash` or `\Junk`
//! (RFC 6154), which matches whatever each user's folder of that use is called. `FOLDER off`
//! cleans nothing: at a domain or user level it keeps the rules of the levels below from
//! that folder.
//!
//! Rules come at three levels (OPS-6): the server's, a domain's and a user's. For each
//! folder, the most specific level allowed to override that has a rule matching the folder
//! wins, and its matching rules replace those of the levels below for that folder only
//! ([`Levels::effective`]). A domain's rules count when the server lets domains override
//! (`autoclean.domain_override`); a user's when, besides, the user's domain lets its users
//! override; a user's rules for INBOX only with `autoclean.user_inbox`.
//!
//! Invariants: parsing and the choice of rules are pure; `keep` is at most `size`; a rule
//! names one folder and one limit; an empty value has no rules.

use crate::kinds::split_list;

/// What a rule limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Messages older than this many days go.
    AgeDays(u32),
    /// Past `over` bytes, the oldest messages go until at most `keep` bytes are left.
    Size { over: u64, keep: u64 },
    /// Nothing goes (a level turning off the rules of the levels below for a folder).
    Off,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// A folder name, or a special use starting with `\`.
    pub folder: String,
    pub limit: Limit,
}

impl Rule {
    /// Whether the rule applies to a folder called `name` with special use `special`.
    pub fn matches(&self, name: &str, special: Option<&str>) -> bool {
        if self.folder.starts_with('\\') {
            return special.is_some_and(|s| s.eq_ignore_ascii_case(&self.folder));
        }
        if self.folder.eq_ignore_ascii_case("INBOX") {
            return name.eq_ignore_ascii_case("INBOX");
        }
        name == self.folder
    }
}

const MB: u64 = 1024 * 1024;

fn number(entry: &str, what: &str, v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{entry:?}: {what} must be a whole number above 0"))
}

/// Parse every rule of an `autoclean.rules` value.
pub fn parse_rules(v: &str) -> Result<Vec<Rule>, String> {
    split_list(v).iter().map(|e| parse_rule(e)).collect()
}

/// A domain's or user's rules as stored: checked, entries trimmed and joined with `, `.
pub fn check_rules(v: &str) -> Result<String, String> {
    parse_rules(v)?;
    Ok(split_list(v).join(", "))
}

fn parse_rule(entry: &str) -> Result<Rule, String> {
    let words: Vec<&str> = entry.split_whitespace().collect();
    if let Some((last, name)) = words.split_last()
        && last.eq_ignore_ascii_case("off")
        && !name.is_empty()
    {
        return Ok(Rule {
            folder: name.join(" "),
            limit: Limit::Off,
        });
    }
    let Some((limits, folder)) = words.split_last().and_then(|_| {
        let at = words.iter().position(|w| w.contains('='))?;
        (at > 0).then(|| (&words[at..], words[..at].join(" ")))
    }) else {
        return Err(format!(
            "{entry:?}: expected FOLDER age=DAYS, FOLDER size=MB keep=MB or FOLDER off"
        ));
    };
    let mut age = None;
    let mut size = None;
    let mut keep = None;
    for w in limits {
        match w.split_once('=') {
            Some(("age", v)) => age = Some(number(entry, "age", v)?),
            Some(("size", v)) => size = Some(number(entry, "size", v)?),
            Some(("keep", v)) => keep = Some(number(entry, "keep", v)?),
            _ => return Err(format!("{entry:?}: unexpected {w:?}")),
        }
    }
    let limit = match (age, size, keep) {
        (Some(d), None, None) => Limit::AgeDays(u32::try_from(d).unwrap_or(u32::MAX)),
        (None, Some(s), Some(k)) if k <= s => Limit::Size {
            over: s.saturating_mul(MB),
            keep: k.saturating_mul(MB),
        },
        (None, Some(_), Some(_)) => return Err(format!("{entry:?}: keep must not exceed size")),
        _ => {
            return Err(format!(
                "{entry:?}: give either age=DAYS, or size=MB with keep=MB"
            ));
        }
    };
    Ok(Rule { folder, limit })
}

/// The rules of the three levels for one user, with the permissions that say which count.
#[derive(Clone, Copy, Debug, Default)]
pub struct Levels<'a> {
    /// `autoclean.rules`.
    pub server: &'a [Rule],
    /// The user's domain's own rules.
    pub domain: &'a [Rule],
    /// The user's own rules.
    pub user: &'a [Rule],
    /// `autoclean.domain_override`: domains (and so their users) may override the server.
    pub domains_may_override: bool,
    /// The domain's switch: its users may override its rules (and the server's).
    pub users_may_override: bool,
    /// `autoclean.user_inbox`: a user's own rules may clean INBOX.
    pub user_inbox: bool,
}

/// The level a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Server,
    Domain,
    User,
}

impl Level {
    /// The level as the log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Server => "server",
            Level::Domain => "domain",
            Level::User => "user",
        }
    }
}

impl<'a> Levels<'a> {
    /// The rules that clean the folder called `name` with special use `special`: those of
    /// the most specific level allowed to override that has any rule for it (none of them
    /// `off`).
    pub fn effective(&self, name: &str, special: Option<&str>) -> Vec<&'a Rule> {
        self.choose(name, special).map_or_else(Vec::new, |(_, r)| r)
    }

    /// [`Self::effective`] with the level the rules come from; `None` when no level has a
    /// rule for the folder.
    pub fn choose(&self, name: &str, special: Option<&str>) -> Option<(Level, Vec<&'a Rule>)> {
        let user_ok = self.domains_may_override && self.users_may_override;
        let inbox = |r: &Rule| self.user_inbox || !r.matches("INBOX", None);
        let user: Vec<&'a Rule> = self.user.iter().filter(|r| inbox(r)).collect();
        let domain: Vec<&'a Rule> = self.domain.iter().collect();
        let server: Vec<&'a Rule> = self.server.iter().collect();
        let levels = [
            (Level::User, user_ok, user),
            (Level::Domain, self.domains_may_override, domain),
            (Level::Server, true, server),
        ];
        for (level, allowed, rules) in levels {
            if !allowed {
                continue;
            }
            let matching: Vec<&'a Rule> = rules
                .into_iter()
                .filter(|r| r.matches(name, special))
                .collect();
            if !matching.is_empty() {
                let on = matching
                    .into_iter()
                    .filter(|r| r.limit != Limit::Off)
                    .collect();
                return Some((level, on));
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn levels_override_per_folder_when_allowed() {
        let server = parse_rules("\\Trash age=30, \\Junk age=7").unwrap();
        let domain = parse_rules("\\Trash age=10, Archive off").unwrap();
        let user = parse_rules("\\Trash age=2, \\Junk off, INBOX age=99").unwrap();
        let mut l = Levels {
            server: &server,
            domain: &domain,
            user: &user,
            domains_may_override: true,
            users_may_override: true,
            user_inbox: false,
        };
        let limits = |l: &Levels<'_>, name: &str, special: Option<&str>| -> Vec<Limit> {
            l.effective(name, special).iter().map(|r| r.limit).collect()
        };
        // The user's rules win where they name the folder; `off` turns cleaning off.
        assert_eq!(limits(&l, "Trash", Some("\\Trash")), [Limit::AgeDays(2)]);
        assert!(limits(&l, "Junk", Some("\\Junk")).is_empty());
        // INBOX rules of users count only with autoclean.user_inbox.
        assert!(limits(&l, "INBOX", None).is_empty());
        l.user_inbox = true;
        assert_eq!(limits(&l, "INBOX", None), [Limit::AgeDays(99)]);
        // The domain forbids its users: the domain's rule for Trash, the server's for Junk.
        l.users_may_override = false;
        assert_eq!(limits(&l, "Trash", Some("\\Trash")), [Limit::AgeDays(10)]);
        assert_eq!(limits(&l, "Junk", Some("\\Junk")), [Limit::AgeDays(7)]);
        assert!(limits(&l, "INBOX", None).is_empty());
        // The server locks everything: only its own rules count, whatever the domain says.
        l.users_may_override = true;
        l.domains_may_override = false;
        assert_eq!(limits(&l, "Trash", Some("\\Trash")), [Limit::AgeDays(30)]);
        assert_eq!(limits(&l, "Junk", Some("\\Junk")), [Limit::AgeDays(7)]);
        assert!(limits(&l, "Archive", None).is_empty());
        // Without any rule for a folder nothing cleans it.
        assert!(limits(&l, "Sent", Some("\\Sent")).is_empty());
        assert!(l.choose("Sent", Some("\\Sent")).is_none());
        assert_eq!(l.choose("Trash", Some("\\Trash")).unwrap().0, Level::Server);
        l.domains_may_override = true;
        assert_eq!(l.choose("Trash", Some("\\Trash")).unwrap().0, Level::User);
        assert_eq!(l.choose("Archive", None).unwrap(), (Level::Domain, vec![]));
    }

    #[test]
    fn rules() {
        let r = parse_rules("\\Trash age=30, Old Mail size=100 keep=80, INBOX age=365").unwrap();
        assert_eq!(r[0].folder, "\\Trash");
        assert_eq!(r[0].limit, Limit::AgeDays(30));
        assert_eq!(r[1].folder, "Old Mail");
        assert_eq!(
            r[1].limit,
            Limit::Size {
                over: 100 * MB,
                keep: 80 * MB
            }
        );
        assert!(r[0].matches("Deleted Items", Some("\\trash")));
        assert!(!r[0].matches("Trash", None));
        assert!(r[2].matches("inbox", None) && !r[1].matches("old mail", None));
        assert!(parse_rules("").unwrap().is_empty());
        assert_eq!(parse_rules("Old Mail off").unwrap()[0].limit, Limit::Off);
        assert_eq!(parse_rules("Old Mail off").unwrap()[0].folder, "Old Mail");
        for bad in [
            "Trash",
            "age=3",
            "Trash age=0",
            "Trash age=x",
            "Trash size=10",
            "Trash size=10 keep=20",
            "Trash age=3 size=1 keep=1",
            "Trash color=red",
            "off",
        ] {
            assert!(parse_rules(bad).is_err(), "{bad}");
        }
    }
}
