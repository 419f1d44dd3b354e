//! Folder auto-clean rules (OPS-6), as `autoclean.rules` holds them: entries
//! `FOLDER age=DAYS` (remove messages that arrived more than DAYS days ago) or
//! `FOLDER size=MB keep=MB` (once the folder holds more than `size` MB, remove its oldest
//! messages until it holds at most `keep` MB). FOLDER is a folder name (case-insensitive
//! for `INBOX` only, as IMAP names are) or a special use such as `\Trash` or `\Junk`
//! (RFC 6154), which matches whatever each user's folder of that use is called.
//!
//! Invariants: parsing is pure; `keep` is at most `size`; a rule names one folder and one
//! limit; an empty value has no rules.

use crate::kinds::split_list;

/// What a rule limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Messages older than this many days go.
    AgeDays(u32),
    /// Past `over` bytes, the oldest messages go until at most `keep` bytes are left.
    Size { over: u64, keep: u64 },
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

fn parse_rule(entry: &str) -> Result<Rule, String> {
    let words: Vec<&str> = entry.split_whitespace().collect();
    let Some((limits, folder)) = words.split_last().and_then(|_| {
        let at = words.iter().position(|w| w.contains('='))?;
        (at > 0).then(|| (&words[at..], words[..at].join(" ")))
    }) else {
        return Err(format!(
            "{entry:?}: expected FOLDER age=DAYS or FOLDER size=MB keep=MB"
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
        for bad in [
            "Trash",
            "age=3",
            "Trash age=0",
            "Trash age=x",
            "Trash size=10",
            "Trash size=10 keep=20",
            "Trash age=3 size=1 keep=1",
            "Trash color=red",
        ] {
            assert!(parse_rules(bad).is_err(), "{bad}");
        }
    }
}
