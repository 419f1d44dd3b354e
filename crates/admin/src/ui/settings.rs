//! Settings pages: one tab per group of keys (`pop`, `smtp_in`, ...), one form per setting,
//! each saved through `PUT /api/v1/settings/{key}`, so the API's validation speaks.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use heron_settings::Kind;
use heron_settings::defs::DEFS;

use crate::auth::Shared;
use crate::authz::Action;
use crate::ui::page::{Chrome, Viewer, html, not_found};

/// One setting as shown.
pub struct SettingRow {
    pub key: &'static str,
    /// What a person reads as the setting's name (`Max connections per IP`); the key stays
    /// beside it, small, for the CLI.
    pub label: String,
    pub value: String,
    pub default: String,
    pub set: bool,
    pub doc: &'static str,
    pub kind: &'static str,
    pub choices: &'static [&'static str],
}

/// Heading of a group of keys.
fn label(group: &str) -> String {
    let known = match group {
        "server" => "Server",
        "bind" => "Bindings",
        "tls" => "TLS",
        "pop" => "POP3",
        "imap" => "IMAP",
        "smtp_in" => "SMTP in",
        "smtp_out" => "SMTP out",
        "spool" => "Spool",
        "route" => "Routing",
        "priority" => "Priorities",
        "security" => "Security",
        "log" => "Logs",
        "dns" => "DNS",
        "admin" => "Admin",
        "domain_defaults" => "Domain defaults",
        "submission" => "Submission",
        "address" => "Addresses",
        "filter" => "Spam filter",
        "spamassassin" => "SpamAssassin",
        "antivirus" => "Anti-virus",
        "bayes" => "Bayesian filter",
        "dmarc" => "DMARC reports",
        "tlsrpt" => "TLS reports",
        "mta_sts" => "MTA-STS policy",
        "stats" => "Statistics",
        other => return words(other),
    };
    known.to_owned()
}

/// Words that are written in capitals or otherwise not as plain words.
const SPELLING: &[(&str, &str)] = &[
    ("ip", "IP"),
    ("ips", "IPs"),
    ("tls", "TLS"),
    ("acme", "ACME"),
    ("smtp", "SMTP"),
    ("dns", "DNS"),
    ("dkim", "DKIM"),
    ("spf", "SPF"),
    ("dmarc", "DMARC"),
    ("sts", "STS"),
    ("dane", "DANE"),
    ("ca", "CA"),
    ("arc", "ARC"),
    ("rbl", "RBL"),
    ("uribl", "URIBL"),
    ("spamassassin", "SpamAssassin"),
    ("clamav", "ClamAV"),
    ("permerror", "permerror"),
    ("temperror", "temperror"),
    ("mb", "MB"),
    ("kb", "KB"),
    ("mx", "MX"),
    ("imap", "IMAP"),
    ("pop", "POP"),
    ("ehlo", "EHLO"),
    ("helo", "HELO"),
    ("vrfy", "VRFY"),
    ("expn", "EXPN"),
    ("auth", "AUTH"),
    ("md5", "MD5"),
    ("cram", "CRAM"),
    ("ipv6", "IPv6"),
    ("url", "URL"),
    ("cert", "certificate"),
    ("max", "max."),
    ("min", "min."),
];

/// `max_connections_per_ip` → `Max. connections per IP`.
fn words(name: &str) -> String {
    let mut out: Vec<String> = name
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            SPELLING
                .iter()
                .find(|(k, _)| *k == w)
                .map_or_else(|| w.to_owned(), |(_, v)| (*v).to_owned())
        })
        .collect();
    if let Some(first) = out.first_mut() {
        let mut c = first.chars();
        if let Some(f) = c.next() {
            *first = f.to_uppercase().chain(c).collect();
        }
    }
    out.join(" ")
}

/// The label of a setting: its name after the group, in words, with the unit of a duration.
fn setting_label(key: &str, kind: &Kind) -> String {
    let name = key.split_once('.').map_or(key, |x| x.1);
    let mut label = words(name);
    if matches!(kind, Kind::Seconds) && !label.contains("seconds") {
        label.push_str(", seconds");
    }
    label
}

/// The groups in table order, each once: (group, heading).
pub fn groups() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for d in DEFS {
        let g = d.key.split_once('.').map_or(d.key, |x| x.0);
        if !out.iter().any(|(k, _)| *k == g) {
            out.push((g, label(g)));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    groups: Vec<(&'static str, String)>,
    group: String,
    group_label: String,
    rows: Vec<SettingRow>,
}

/// `/settings`: the first group.
pub async fn index(v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let first = groups().first().map_or("server", |g| g.0);
    Redirect::to(&format!("/settings/{first}")).into_response()
}

/// `/settings/{group}`.
pub async fn group(State(st): State<Shared>, v: Viewer, Path(group): Path<String>) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let s = st.dir.settings();
    let rows: Vec<SettingRow> = DEFS
        .iter()
        .filter(|d| d.key.split_once('.').is_some_and(|(g, _)| g == group))
        .map(|d| SettingRow {
            key: d.key,
            label: setting_label(d.key, &d.kind),
            value: s.raw(d.key).unwrap_or_default(),
            default: s.default_of(d.key).unwrap_or_else(|| d.default.to_owned()),
            set: s.is_set(d.key),
            doc: d.doc.trim(),
            kind: d.kind.name(),
            choices: match d.kind {
                Kind::Choice(c) => c,
                _ => &[],
            },
        })
        .collect();
    if rows.is_empty() {
        return not_found(&v, format!("There is no settings group {group}."));
    }
    html(&SettingsPage {
        chrome: v.chrome(if group == "security" {
            "security"
        } else {
            "settings"
        }),
        groups: groups(),
        group_label: label(&group),
        group,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_words() {
        assert_eq!(
            setting_label("pop.max_connections_per_ip", &Kind::Count),
            "Max. connections per IP"
        );
        assert_eq!(
            setting_label("smtp_in.command_timeout", &Kind::Seconds),
            "Command timeout, seconds"
        );
        assert_eq!(setting_label("tls.cert", &Kind::Text), "Certificate");
        assert_eq!(label("address"), "Addresses");
        assert_eq!(label("new_group"), "New group");
        for d in DEFS {
            let l = setting_label(d.key, &d.kind);
            assert!(!l.is_empty() && !l.contains('_'), "{}: {l}", d.key);
        }
    }
}
