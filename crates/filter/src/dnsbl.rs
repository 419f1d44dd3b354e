//! Blocklist checks (FILTER-2): the judged IP in each DNS blocklist of `filter.rbl_lists`, and
//! the sender's domain, the From domain and the domains of links in the message in each domain
//! list of `filter.uribl_lists`. Entries are `NAME WEIGHT ZONE [DESCRIPTION]`; a listing adds
//! the list's weight once per list.
//!
//! Invariants: all lookups of one message run concurrently; at most [`MAX_LINK_DOMAINS`] link
//! domains are looked up, found in the first [`LINK_SCAN_BYTES`] of the message; a lookup that
//! fails is reported as unanswered, never as a listing.

use std::collections::BTreeSet;

use heron_mailauth::dnsbl;
use heron_settings::defs;

use crate::pipeline::Ctx;
use crate::verdict::Verdict;

/// Link domains looked up per message.
pub const MAX_LINK_DOMAINS: usize = 20;
/// How much of a message is searched for links.
pub const LINK_SCAN_BYTES: usize = 1024 * 1024;

/// One configured list.
#[derive(Debug, PartialEq, Eq)]
pub struct List {
    pub name: String,
    pub weight: i64,
    pub zone: String,
    pub description: String,
}

/// Parse an entry `NAME WEIGHT ZONE [DESCRIPTION]`.
pub fn parse(entry: &str) -> Result<List, String> {
    let mut parts = entry.split_whitespace();
    let (Some(name), Some(weight), Some(zone)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "blocklist {entry:?}: expected NAME WEIGHT ZONE [DESCRIPTION]"
        ));
    };
    let weight = weight
        .parse()
        .map_err(|_| format!("blocklist {entry:?}: weight {weight:?} is not a whole number"))?;
    Ok(List {
        name: name.to_owned(),
        weight,
        zone: zone.trim_matches('.').to_owned(),
        description: parts.collect::<Vec<_>>().join(" "),
    })
}

/// Parse every entry of a list setting, logging the bad ones.
fn lists(entries: Vec<String>) -> Vec<List> {
    entries
        .iter()
        .filter_map(|e| {
            parse(e)
                .map_err(|why| tracing::warn!(target: "smtp", "{why}"))
                .ok()
        })
        .collect()
}

/// The judged IP in every DNS blocklist.
pub async fn check_ip(ctx: &Ctx<'_>) -> Verdict {
    let lists = lists(ctx.settings.get(defs::FILTER_RBL_LISTS));
    let mut v = Verdict::default();
    if lists.is_empty() {
        return v;
    }
    let Some(dns) = ctx.dns.as_ref() else {
        v.unanswered("rbl", "no resolver");
        return v;
    };
    let names: Vec<String> = lists
        .iter()
        .map(|l| dnsbl::ip_query(ctx.ip, &l.zone))
        .collect();
    let answers = futures::future::join_all(names.iter().map(|n| dnsbl::lookup(dns, n))).await;
    for (list, answer) in lists.iter().zip(answers) {
        match answer {
            Ok(Some(code)) => v.add(
                format!("rbl:{}", list.name),
                list.weight,
                format!(
                    "{} listed in {} ({code}) {}",
                    ctx.ip, list.zone, list.description
                ),
            ),
            Ok(None) => {}
            Err(e) => v.unanswered(format!("rbl:{}", list.name), e.to_string()),
        }
    }
    v
}

/// The sender, From and link domains in every domain list.
pub async fn check_domains(ctx: &Ctx<'_>) -> Verdict {
    let lists = lists(ctx.settings.get(defs::FILTER_URIBL_LISTS));
    let mut v = Verdict::default();
    if lists.is_empty() {
        return v;
    }
    let Some(dns) = ctx.dns.as_ref() else {
        v.unanswered("uribl", "no resolver");
        return v;
    };
    let domains = domains_of(ctx.env.sender, ctx.message);
    let queries: Vec<(&List, &String)> = lists
        .iter()
        .flat_map(|l| domains.iter().map(move |d| (l, d)))
        .collect();
    let names: Vec<String> = queries
        .iter()
        .map(|(l, d)| dnsbl::domain_query(d, &l.zone))
        .collect();
    let answers = futures::future::join_all(names.iter().map(|n| dnsbl::lookup(dns, n))).await;
    let mut fired = BTreeSet::new();
    for ((list, domain), answer) in queries.iter().zip(answers) {
        match answer {
            Ok(Some(code)) if fired.insert(list.name.clone()) => v.add(
                format!("uribl:{}", list.name),
                list.weight,
                format!(
                    "{domain} listed in {} ({code}) {}",
                    list.zone, list.description
                ),
            ),
            Ok(_) => {}
            Err(e) => {
                if fired.insert(format!("?{}", list.name)) {
                    v.unanswered(format!("uribl:{}", list.name), e.to_string());
                }
            }
        }
    }
    v
}

/// The domains a message names: the sender's, the From field's and its links' (at most
/// [`MAX_LINK_DOMAINS`] of those), lower-case, each once.
pub fn domains_of(sender: &str, message: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some((_, d)) = sender.rsplit_once('@') {
        out.insert(d.to_ascii_lowercase());
    }
    if let Some(from) = heron_message::fields(message).find(|f| f.is("From")) {
        let text = from.unfolded();
        let addr = text
            .rsplit_once('<')
            .map_or(text.as_str(), |(_, a)| a.trim_end_matches('>'));
        if let Some((_, d)) = addr.rsplit_once('@') {
            let d = d.trim().trim_end_matches('>').to_ascii_lowercase();
            if !d.is_empty() {
                out.insert(d);
            }
        }
    }
    let scan = &message[..message.len().min(LINK_SCAN_BYTES)];
    let text = String::from_utf8_lossy(scan).to_ascii_lowercase();
    let mut links = 0;
    for scheme in ["http://", "https://"] {
        for (i, _) in text.match_indices(scheme) {
            if links >= MAX_LINK_DOMAINS {
                break;
            }
            let rest = &text[i + scheme.len()..];
            let host: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            let host = host.trim_matches('.');
            if host.contains('.') && out.insert(host.to_owned()) {
                links += 1;
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_entries() {
        assert_eq!(
            parse("spamhaus 10 zen.spamhaus.org. Spamhaus ZEN").unwrap(),
            List {
                name: "spamhaus".into(),
                weight: 10,
                zone: "zen.spamhaus.org".into(),
                description: "Spamhaus ZEN".into()
            }
        );
        assert!(parse("x ten zone").is_err());
        assert!(parse("x 10").is_err());
    }

    #[test]
    fn finds_sender_from_and_link_domains() {
        let m = b"From: \"Shop\" <offers@Shop.Example>\r\nSubject: hi\r\n\r\n\
                  Visit HTTPS://Deals.Example.net/x?y and http://deals.example.net/again\r\n\
                  or http://localhost/ and https://a.b.example.org.\r\n";
        let d = domains_of("bounce@mailer.example", m);
        let d: Vec<&str> = d.iter().map(String::as_str).collect();
        assert_eq!(
            d,
            [
                "a.b.example.org",
                "deals.example.net",
                "mailer.example",
                "shop.example"
            ]
        );
    }
}
