//! Custom header rules (FILTER-2): `filter.header_rules` entries `HEADER WEIGHT PATTERN` add
//! their weight when a field of that name has a value matching the pattern.
//!
//! Patterns are case-insensitive and `*` matches any run of characters, so `*casino*` finds
//! the word anywhere and `*` alone matches any value (the field's presence). Invariant:
//! matching is linear in the value per pattern piece (no backtracking blow-up), and each rule
//! fires at most once per message.

use crate::pipeline::Ctx;
use crate::verdict::Verdict;
use heron_settings::defs;

/// One parsed rule.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub header: String,
    pub weight: i64,
    /// Lower-case pattern.
    pub pattern: String,
}

/// Parse an entry `HEADER WEIGHT PATTERN`; the pattern is the rest of the entry.
pub fn parse(entry: &str) -> Result<Rule, String> {
    let mut parts = entry.trim().splitn(3, char::is_whitespace);
    let header = parts.next().unwrap_or_default().trim_end_matches(':');
    let weight = parts.next().unwrap_or_default();
    let pattern = parts.next().unwrap_or_default().trim();
    if header.is_empty() || pattern.is_empty() {
        return Err(format!(
            "header rule {entry:?}: expected HEADER WEIGHT PATTERN"
        ));
    }
    let weight = weight
        .parse()
        .map_err(|_| format!("header rule {entry:?}: weight {weight:?} is not a whole number"))?;
    Ok(Rule {
        header: header.to_owned(),
        weight,
        pattern: pattern.to_lowercase(),
    })
}

/// The rules' hits on `ctx.message`.
pub fn check(ctx: &Ctx<'_>) -> Verdict {
    let mut v = Verdict::default();
    for entry in ctx.settings.get(defs::FILTER_HEADER_RULES) {
        let rule = match parse(&entry) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(target: "smtp", "{e}");
                continue;
            }
        };
        let hit = heron_message::fields(ctx.message)
            .filter(|f| f.is(&rule.header))
            .any(|f| matches(&rule.pattern, &f.unfolded().to_lowercase()));
        if hit {
            v.add(
                format!("header:{}", rule.header),
                rule.weight,
                format!("{} matches {}", rule.header, rule.pattern),
            );
        }
    }
    v
}

/// Whether `text` matches `pattern`, where `*` is any run of characters.
pub fn matches(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = pieces.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_and_refuses_bad_ones() {
        assert_eq!(
            parse("X-Mailer: 4 *bulk mailer*").unwrap(),
            Rule {
                header: "X-Mailer".into(),
                weight: 4,
                pattern: "*bulk mailer*".into()
            }
        );
        assert_eq!(parse("Subject -3 hello").unwrap().weight, -3);
        assert!(parse("Subject x y").is_err());
        assert!(parse("Subject 5").is_err());
    }

    #[test]
    fn wildcards_match_runs_and_anchors_hold() {
        assert!(matches("*", "anything"));
        assert!(matches("*casino*", "best casino deals"));
        assert!(matches("win*", "winner"));
        assert!(!matches("win*", "a winner"));
        assert!(matches("*.ru", "mail.example.ru"));
        assert!(!matches("*.ru", "example.rush"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("ab*ba", "aba"));
    }
}
