//! SpamAssassin through its daemon, spamd (FILTER-2): the message is sent with a `SYMBOLS`
//! request of the spamd protocol (SPAMC/1.5), and the score spamd answers puts it in a band
//! (low, medium, high probability of spam) whose weight the check adds.
//!
//! The bands are set relative to spamd's own threshold (the `/ 5.0` of its `Spam:` line), so an
//! administrator who tunes SpamAssassin's `required_score` moves Heron's bands with it.
//!
//! Invariants: a message over `spamassassin.max_size` is never sent; at most
//! [`MAX_REPLY`] bytes of an answer are read; every attempt has its own deadline and at most
//! `spamassassin.max_attempts` are made, after which the check is reported unanswered.

use std::time::Duration;

use heron_settings::{Settings, defs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::Error;
use crate::pipeline::Ctx;
use crate::verdict::Verdict;

/// The check's name in the headers.
pub const NAME: &str = "spamassassin";

/// Longest answer read from spamd (the headers and the list of rules that hit).
pub const MAX_REPLY: u64 = 64 * 1024;

/// What spamd said about a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// spamd's own judgement: the score reached its threshold.
    pub spam: bool,
    /// The message's score.
    pub score: f64,
    /// spamd's threshold (`required_score`).
    pub threshold: f64,
    /// The names of the rules that hit (empty for a `CHECK` request).
    pub symbols: Vec<String>,
}

/// The bytes of a `SYMBOLS` request for `message`.
pub fn request(message: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "SYMBOLS SPAMC/1.5\r\nContent-length: {}\r\n\r\n",
        message.len()
    )
    .into_bytes();
    out.extend_from_slice(message);
    out
}

/// Parse spamd's whole answer: `SPAMD/1.x 0 EX_OK`, header lines up to an empty line (one
/// of them `Spam: True ; 1003.3 / 5.0`), then, for `SYMBOLS`, the rule names separated by
/// commas. A non-zero status is [`Error::Refused`] with spamd's text.
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, Error> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    parse_status(status)?;
    let mut spam = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("spam")
        {
            spam = Some(parse_spam_header(value).ok_or_else(|| bad(line))?);
        }
    }
    let (spam, score, threshold) = spam.ok_or_else(|| bad("no Spam header"))?;
    let symbols = body
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Reply {
        spam,
        score,
        threshold,
        symbols,
    })
}

/// Check the status line `SPAMD/1.x CODE MESSAGE`: code 0 is success.
fn parse_status(line: &str) -> Result<(), Error> {
    let mut words = line.split_whitespace();
    let proto = words.next().unwrap_or_default();
    if !proto.starts_with("SPAMD/1.") {
        return Err(bad(line));
    }
    let code: u32 = words
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad(line))?;
    if code != 0 {
        let why: Vec<&str> = words.collect();
        return Err(Error::Refused(format!("spamd {code} {}", why.join(" "))));
    }
    Ok(())
}

/// The value of a `Spam:` header, ` True ; 1003.3 / 5.0`: (is spam, score, threshold).
pub fn parse_spam_header(value: &str) -> Option<(bool, f64, f64)> {
    let (flag, scores) = value.split_once(';')?;
    let spam = match flag.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => true,
        "false" | "no" => false,
        _ => return None,
    };
    let (score, threshold) = scores.split_once('/')?;
    let score: f64 = score.trim().parse().ok()?;
    let threshold: f64 = threshold.trim().parse().ok()?;
    (score.is_finite() && threshold.is_finite()).then_some((spam, score, threshold))
}

/// SpamAssassin's probability of spam, by score band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    None,
    Low,
    Medium,
    High,
}

/// The band of `score` when the bands start at `from` = (low, medium, high) percent of
/// `threshold`. A threshold of 0 or less (an unusual spamd set-up) counts as 5.0, its default.
pub fn band(score: f64, threshold: f64, from: (u64, u64, u64)) -> Band {
    let threshold = if threshold > 0.0 { threshold } else { 5.0 };
    let reaches = |percent: u64| score >= threshold * percent as f64 / 100.0;
    if reaches(from.2) {
        Band::High
    } else if reaches(from.1) {
        Band::Medium
    } else if reaches(from.0) {
        Band::Low
    } else {
        Band::None
    }
}

/// The weight `settings` give `band`, and the band's name.
fn weight_of(band: Band, settings: &Settings) -> (i64, &'static str) {
    match band {
        Band::None => (0, "none"),
        Band::Low => (settings.get(defs::SPAMASSASSIN_WEIGHT_LOW), "low"),
        Band::Medium => (settings.get(defs::SPAMASSASSIN_WEIGHT_MEDIUM), "medium"),
        Band::High => (settings.get(defs::SPAMASSASSIN_WEIGHT_HIGH), "high"),
    }
}

/// The check: ask spamd about the message (when enabled and the message is small enough) and
/// add the weight of the band its score falls in.
pub async fn check(ctx: &Ctx<'_>) -> Verdict {
    let s = ctx.settings;
    let mut v = Verdict::default();
    if !s.get(defs::SPAMASSASSIN_ENABLED) {
        return v;
    }
    let max = s.get(defs::SPAMASSASSIN_MAX_SIZE).saturating_mul(1024);
    if ctx.message.len() as u64 > max {
        tracing::debug!(target: "smtp", "message of {} bytes not sent to spamd", ctx.message.len());
        return v;
    }
    let addresses = s.get(defs::SPAMASSASSIN_ADDRESS);
    if addresses.is_empty() {
        v.unanswered(NAME, "no spamd address set");
        return v;
    }
    let limit = s
        .get(defs::SPAMASSASSIN_TIMEOUT)
        .max(Duration::from_secs(1));
    let attempts = s.get(defs::SPAMASSASSIN_MAX_ATTEMPTS).max(1);
    let mut last = Error::Timeout;
    for n in 0..attempts {
        let address = &addresses[(n as usize) % addresses.len()];
        match ask(address, ctx.message, limit).await {
            Ok(reply) => {
                let from = (
                    s.get(defs::SPAMASSASSIN_LOW_FROM),
                    s.get(defs::SPAMASSASSIN_MEDIUM_FROM),
                    s.get(defs::SPAMASSASSIN_HIGH_FROM),
                );
                let (weight, name) = weight_of(band(reply.score, reply.threshold, from), s);
                let detail = format!(
                    "score {} / {} ({name}): {}",
                    reply.score,
                    reply.threshold,
                    reply.symbols.join(",")
                );
                v.add(NAME, weight, detail);
                return v;
            }
            Err(e) => {
                tracing::info!(target: "smtp", "spamd {address} attempt {}: {e}", n + 1);
                last = e;
            }
        }
    }
    v.unanswered(NAME, format!("{last} after {attempts} attempts"));
    v
}

/// One attempt: send `message` to spamd at `address` and read its whole answer, within `limit`.
pub async fn ask(address: &str, message: &[u8], limit: Duration) -> Result<Reply, Error> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        stream.write_all(&request(message)).await?;
        stream.shutdown().await?;
        let mut answer = Vec::new();
        (&mut stream)
            .take(MAX_REPLY)
            .read_to_end(&mut answer)
            .await?;
        Ok::<_, Error>(answer)
    };
    let answer = tokio::time::timeout(limit, exchange)
        .await
        .map_err(|_| Error::Timeout)??;
    parse_reply(&answer)
}

fn bad(what: &str) -> Error {
    Error::Protocol(crate::verdict::clean(what))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_carries_the_length_of_the_message() {
        assert_eq!(
            request(b"Subject: x\r\n\r\nhi\r\n"),
            b"SYMBOLS SPAMC/1.5\r\nContent-length: 18\r\n\r\nSubject: x\r\n\r\nhi\r\n"
        );
    }

    #[test]
    fn symbols_answer_is_parsed() {
        let r = parse_reply(
            b"SPAMD/1.1 0 EX_OK\r\nContent-length: 20\r\nSpam: True ; 1003.3 / 5.0\r\n\r\n\
              GTUBE,MISSING_DATE",
        )
        .expect("parses");
        assert_eq!(
            r,
            Reply {
                spam: true,
                score: 1003.3,
                threshold: 5.0,
                symbols: vec!["GTUBE".into(), "MISSING_DATE".into()],
            }
        );
    }

    #[test]
    fn check_answer_and_negative_score_are_parsed() {
        let r =
            parse_reply(b"SPAMD/1.5 0 EX_OK\r\nSpam: False ; -1.2 / 6.5\r\n\r\n").expect("parses");
        assert!(!r.spam);
        assert_eq!((r.score, r.threshold), (-1.2, 6.5));
        assert!(r.symbols.is_empty());
    }

    #[test]
    fn errors_and_garbage_are_refused() {
        assert!(matches!(
            parse_reply(b"SPAMD/1.0 76 Bad header line: x\r\n\r\n"),
            Err(Error::Refused(m)) if m == "spamd 76 Bad header line: x"
        ));
        assert!(matches!(
            parse_reply(b"HTTP/1.1 200 OK\r\n\r\n"),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            parse_reply(b"SPAMD/1.1 0 EX_OK\r\n\r\n"),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            parse_reply(b"SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1 / 5\r\n\r\n"),
            Err(Error::Protocol(_))
        ));
        assert!(parse_spam_header(" True ; NaN / 5.0").is_none());
        assert!(parse_spam_header(" True ; 5.0").is_none());
        assert!(parse_reply(b"").is_err());
    }

    #[test]
    fn bands_follow_spamd_threshold() {
        let from = (50, 100, 200);
        assert_eq!(band(2.4, 5.0, from), Band::None);
        assert_eq!(band(2.5, 5.0, from), Band::Low);
        assert_eq!(band(5.0, 5.0, from), Band::Medium);
        assert_eq!(band(9.9, 5.0, from), Band::Medium);
        assert_eq!(band(10.0, 5.0, from), Band::High);
        assert_eq!(band(1000.0, 5.0, from), Band::High);
        assert_eq!(band(-3.0, 5.0, from), Band::None);
        // A higher spamd threshold moves the bands with it.
        assert_eq!(band(5.0, 8.0, from), Band::Low);
        // A threshold of 0 counts as spamd's default 5.0.
        assert_eq!(band(4.0, 0.0, from), Band::Low);
    }

    #[test]
    fn default_weights_put_gtube_at_the_medium_level() {
        let default =
            |key: &str| -> i64 { defs::find(key).map(|d| d.default.parse().unwrap()).unwrap() };
        let from = (
            default("spamassassin.low_from") as u64,
            default("spamassassin.medium_from") as u64,
            default("spamassassin.high_from") as u64,
        );
        // GTUBE scores 1000 against spamd's default threshold 5.0.
        assert_eq!(band(1000.0, 5.0, from), Band::High);
        let weight = default("spamassassin.weight_high");
        assert!(weight >= default("filter.level_medium"));
        assert!(weight < default("filter.level_high"));
    }
}
