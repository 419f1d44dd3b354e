//! The spam policy of one recipient (FILTER-3, DOM-3): the server's level thresholds, actions
//! and texts, overridden by what the recipient's domain set for itself (while
//! `filter.domain_overrides` is on), then by what the user set (while `filter.user_overrides`
//! is on), and the domain's content-filtering switch.
//!
//! Invariants: only the names of [`OVERRIDABLE`] and [`SWITCH`] are read from overrides, each
//! validated as the `filter.` setting of that name; a stored value that no longer validates is
//! skipped (the server's value applies), so a bad row never stops delivery. The switch is the
//! server administrator's: it applies whatever `filter.domain_overrides` says, and a user has
//! none.

use heron_settings::{FromSetting, Settings, defs};
use heron_store::FilterOverrides;

use crate::verdict::Level;

/// Names a domain or a user may set for itself: the thresholds, actions and texts of the
/// three levels.
pub const OVERRIDABLE: &[&str] = &[
    "level_low",
    "level_medium",
    "level_high",
    "action_low",
    "action_medium",
    "action_high",
    "text_low",
    "text_medium",
    "text_high",
];

/// The domain's content-filtering switch (DOM-3): `false` turns filtering off for mail to the
/// domain's users.
pub const SWITCH: &str = "enabled";

/// How mail to one recipient is filtered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Filtering applies at all (the domain's switch).
    pub enabled: bool,
    /// Weights from which the low, medium and high levels start.
    pub thresholds: [i64; 3],
    /// Action of the low, medium and high levels (`deliver`, `subject`, `header`, `junk`,
    /// `delete`, `bounce`).
    pub actions: [String; 3],
    /// Text of the low, medium and high levels' actions.
    pub texts: [String; 3],
}

impl Policy {
    /// The server's own policy.
    pub fn server(settings: &Settings) -> Self {
        Self {
            enabled: true,
            thresholds: [
                settings.get(defs::FILTER_LEVEL_LOW),
                settings.get(defs::FILTER_LEVEL_MEDIUM),
                settings.get(defs::FILTER_LEVEL_HIGH),
            ],
            actions: [
                settings.get(defs::FILTER_ACTION_LOW),
                settings.get(defs::FILTER_ACTION_MEDIUM),
                settings.get(defs::FILTER_ACTION_HIGH),
            ],
            texts: [
                settings.get(defs::FILTER_TEXT_LOW),
                settings.get(defs::FILTER_TEXT_MEDIUM),
                settings.get(defs::FILTER_TEXT_HIGH),
            ],
        }
    }

    /// The policy for a user of a domain with these overrides.
    pub fn of(settings: &Settings, domain: &FilterOverrides, user: &FilterOverrides) -> Self {
        let mut p = Self::server(settings);
        if let Some(on) = domain.0.get(SWITCH).and_then(|v| bool::from_setting(v)) {
            p.enabled = on;
        }
        if settings.get(defs::FILTER_DOMAIN_OVERRIDES) {
            p.apply(domain);
        }
        if settings.get(defs::FILTER_USER_OVERRIDES) {
            p.apply(user);
        }
        p
    }

    fn apply(&mut self, o: &FilterOverrides) {
        for (name, value) in &o.0 {
            let Ok(value) = validate(name, value) else {
                continue;
            };
            let Some((what, level)) = name.split_once('_') else {
                continue;
            };
            let i = match level {
                "low" => 0,
                "medium" => 1,
                "high" => 2,
                _ => continue,
            };
            match what {
                "level" => {
                    if let Some(w) = i64::from_setting(&value) {
                        self.thresholds[i] = w;
                    }
                }
                "action" => self.actions[i] = value,
                "text" => self.texts[i] = value,
                _ => {}
            }
        }
    }

    /// The level `weight` reaches: the highest whose threshold it reaches.
    pub fn level(&self, weight: i64) -> Level {
        Level::at(weight, self.thresholds)
    }

    /// The action and text of `level` (`deliver` and no text at level none).
    pub fn action(&self, level: Level) -> (&str, &str) {
        let i = match level {
            Level::None => return ("deliver", ""),
            Level::Low => 0,
            Level::Medium => 1,
            Level::High => 2,
        };
        (&self.actions[i], &self.texts[i])
    }
}

/// Check and normalise one override: `name` must be one of [`OVERRIDABLE`] or [`SWITCH`], and
/// `value` valid for the `filter.` setting of that name. The reason when it is not.
pub fn validate(name: &str, value: &str) -> Result<String, String> {
    if name != SWITCH && !OVERRIDABLE.contains(&name) {
        return Err(format!(
            "{name} is not a filter setting a domain or user may set (one of: {}, {SWITCH})",
            OVERRIDABLE.join(", ")
        ));
    }
    heron_settings::validate(&format!("filter.{name}"), value).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn o(pairs: &[(&str, &str)]) -> FilterOverrides {
        FilterOverrides(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn names_and_values_are_checked_as_settings() {
        assert_eq!(validate("level_medium", " 8 ").unwrap(), "8");
        assert_eq!(validate("action_high", "delete").unwrap(), "delete");
        assert!(validate("action_high", "explode").is_err());
        assert!(validate("level_low", "many").is_err());
        assert!(validate("reject_incoming", "5").is_err());
        assert!(validate("enabled", "maybe").is_err());
        assert_eq!(validate("enabled", "false").unwrap(), "false");
    }

    #[test]
    fn levels_follow_the_thresholds_given() {
        let p = Policy {
            enabled: true,
            thresholds: [3, 6, 9],
            actions: ["header".into(), "subject".into(), "junk".into()],
            texts: ["a".into(), "b".into(), "c".into()],
        };
        assert_eq!(p.level(2), Level::None);
        assert_eq!(p.level(3), Level::Low);
        assert_eq!(p.level(8), Level::Medium);
        assert_eq!(p.level(40), Level::High);
        assert_eq!(p.action(Level::Medium), ("subject", "b"));
        assert_eq!(p.action(Level::None), ("deliver", ""));
        let mut q = p.clone();
        q.apply(&o(&[
            ("level_medium", "4"),
            ("action_low", "bogus"),
            ("text_high", "X"),
        ]));
        assert_eq!(q.thresholds, [3, 4, 9]);
        assert_eq!(q.actions[0], "header", "an invalid stored value is skipped");
        assert_eq!(q.texts[2], "X");
        let mut r = p.clone();
        r.apply(&o(&[("enabled", "false"), ("bayes", "1")]));
        assert_eq!(r, p, "the switch and unknown names are not level settings");
    }
}
