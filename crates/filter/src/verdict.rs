//! What the checks of one message found, and the header lines that report it.
//!
//! Invariants: a [`Hit`] is recorded only for a check that fired with a non-zero weight, so
//! the weight is always the sum of the hits; a check that gave no answer is listed in
//! [`Verdict::unanswered`] and adds nothing; header values never contain CR or LF (details
//! from DNS answers or daemons are cleaned before they are kept).

use heron_settings::{Settings, defs};

/// One check that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Short name of the check, as the headers show it (`spf-fail`, `rbl:spamhaus`).
    pub check: String,
    /// What it added to the spam weight (negative lowers it).
    pub weight: i64,
    /// Why, in a few words (for the log and the admin's "test a message" page).
    pub detail: String,
}

/// The From domain's DMARC policy for a message that fails DMARC, when it is honoured
/// (`filter.dmarc_enforce`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DmarcDisposition {
    /// Nothing to enforce: DMARC passed, has no policy, or enforcement is off.
    #[default]
    None,
    /// `p=quarantine`: into the recipient's Junk folder.
    Quarantine,
    /// `p=reject`: refused at DATA.
    Reject,
}

/// Everything the checks found about one message.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// The checks that fired, in the order they were merged.
    pub hits: Vec<Hit>,
    /// The `Authentication-Results` header line (RFC 8601, with CRLF) of the authentication
    /// checks, when they ran.
    pub authentication_results: Option<String>,
    /// Checks that gave no answer (timed out, daemon down): name and why.
    pub unanswered: Vec<(String, String)>,
    /// The name of the virus a scanner found, if one did.
    pub virus: Option<String>,
    /// What the From domain's DMARC policy asks for this message.
    pub dmarc: DmarcDisposition,
    /// The sender passed SPF (SEC-10: bounces and auto-replies may be limited to those).
    pub spf_pass: bool,
    /// The ARC set sealing the authentication results, for copies passed on to other servers.
    pub arc_seal: Option<String>,
    /// What the message adds to its From domain's DMARC aggregate report, when the domain
    /// asks for reports.
    pub dmarc_facts: Option<heron_mailauth::report::Facts>,
}

impl Verdict {
    /// Record that `check` fired with `weight` (nothing is recorded for weight 0).
    pub fn add(&mut self, check: impl Into<String>, weight: i64, detail: impl Into<String>) {
        if weight != 0 {
            self.hits.push(Hit {
                check: clean(&check.into()),
                weight,
                detail: clean(&detail.into()),
            });
        }
    }

    /// Record that `check` gave no answer, and why.
    pub fn unanswered(&mut self, check: impl Into<String>, why: impl Into<String>) {
        self.unanswered
            .push((clean(&check.into()), clean(&why.into())));
    }

    /// Take in what another check found.
    pub fn merge(&mut self, other: Verdict) {
        self.hits.extend(other.hits);
        self.unanswered.extend(other.unanswered);
        if self.authentication_results.is_none() {
            self.authentication_results = other.authentication_results;
        }
        if self.virus.is_none() {
            self.virus = other.virus;
        }
        if other.dmarc != DmarcDisposition::None {
            self.dmarc = other.dmarc;
        }
        self.spf_pass |= other.spf_pass;
        if self.arc_seal.is_none() {
            self.arc_seal = other.arc_seal;
        }
        if self.dmarc_facts.is_none() {
            self.dmarc_facts = other.dmarc_facts;
        }
    }

    /// The spam weight: the sum of the hits' weights (FILTER-1).
    pub fn weight(&self) -> i64 {
        self.hits.iter().map(|h| h.weight).sum()
    }

    /// The level the weight makes under `settings`' thresholds (FILTER-3).
    pub fn level(&self, settings: &Settings) -> Level {
        Level::of(self.weight(), settings)
    }

    /// The header lines reporting the verdict (each with CRLF): Authentication-Results, then
    /// `X-Spam-Weight`, `X-Spam-Level`, `X-Spam-Checks` (the checks that fired, with their
    /// weights) and `X-Spam-Unanswered` when a check gave no answer.
    pub fn header_lines(&self, level: Level) -> String {
        let mut out = self.authentication_results.clone().unwrap_or_default();
        out.push_str(&format!("X-Spam-Weight: {}\r\n", self.weight()));
        out.push_str(&format!("X-Spam-Level: {}\r\n", level.name()));
        if !self.hits.is_empty() {
            let list: Vec<String> = self
                .hits
                .iter()
                .map(|h| format!("{}={}", h.check, h.weight))
                .collect();
            out.push_str(&format!("X-Spam-Checks: {}\r\n", list.join(", ")));
        }
        if !self.unanswered.is_empty() {
            let list: Vec<String> = self
                .unanswered
                .iter()
                .map(|(c, why)| format!("{c} ({why})"))
                .collect();
            out.push_str(&format!("X-Spam-Unanswered: {}\r\n", list.join(", ")));
        }
        out
    }

    /// One line for the log: weight, level and what fired.
    pub fn summary(&self, level: Level) -> String {
        let hits: Vec<String> = self
            .hits
            .iter()
            .map(|h| format!("{}={} ({})", h.check, h.weight, h.detail))
            .collect();
        let mut s = format!("spam weight {} ({})", self.weight(), level.name());
        if !hits.is_empty() {
            s.push_str(": ");
            s.push_str(&hits.join(", "));
        }
        if let Some(v) = &self.virus {
            s.push_str(&format!("; virus {v}"));
        }
        for (c, why) in &self.unanswered {
            s.push_str(&format!("; {c} unanswered: {why}"));
        }
        s
    }
}

/// The four spam levels (FILTER-3), by weight threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Low,
    Medium,
    High,
}

impl Level {
    /// The level of `weight` under the server's thresholds.
    pub fn of(weight: i64, settings: &Settings) -> Level {
        Level::at(
            weight,
            [
                settings.get(defs::FILTER_LEVEL_LOW),
                settings.get(defs::FILTER_LEVEL_MEDIUM),
                settings.get(defs::FILTER_LEVEL_HIGH),
            ],
        )
    }

    /// The level of `weight` under the low, medium and high thresholds: the highest whose
    /// threshold it reaches.
    pub fn at(weight: i64, [low, medium, high]: [i64; 3]) -> Level {
        if weight >= high {
            Level::High
        } else if weight >= medium {
            Level::Medium
        } else if weight >= low {
            Level::Low
        } else {
            Level::None
        }
    }

    /// The level's name in headers and settings.
    pub fn name(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// `s` as one header-safe line: control characters become spaces, at most 200 characters.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn weight_is_the_sum_of_the_hits_and_zero_weights_are_not_kept() {
        let mut v = Verdict::default();
        v.add("spf-fail", 10, "1.2.3.4 not allowed");
        v.add("spf-pass", 0, "ignored");
        v.add("dkim-pass", -2, "a signature verified");
        assert_eq!(v.weight(), 8);
        assert_eq!(v.hits.len(), 2);
    }

    #[test]
    fn header_lines_report_weight_level_checks_and_silence() {
        let mut v = Verdict::default();
        v.add("rbl:test", 7, "listed\r\nInjected: yes");
        v.unanswered("spamassassin", "timed out");
        let h = v.header_lines(Level::Low);
        assert_eq!(
            h,
            "X-Spam-Weight: 7\r\nX-Spam-Level: low\r\nX-Spam-Checks: rbl:test=7\r\n\
             X-Spam-Unanswered: spamassassin (timed out)\r\n"
        );
        assert_eq!(v.hits[0].detail, "listed  Injected: yes");
    }

    #[test]
    fn merge_keeps_the_first_results_and_any_virus() {
        let mut a = Verdict {
            authentication_results: Some("Authentication-Results: x; none\r\n".into()),
            ..Default::default()
        };
        let b = Verdict {
            virus: Some("Eicar-Test-Signature".into()),
            dmarc: DmarcDisposition::Reject,
            ..Default::default()
        };
        a.merge(b);
        assert_eq!(a.virus.as_deref(), Some("Eicar-Test-Signature"));
        assert_eq!(a.dmarc, DmarcDisposition::Reject);
        assert!(a.authentication_results.is_some());
    }
}
