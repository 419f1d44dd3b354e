//! ClamAV through its daemon, clamd (FILTER-6): the message is streamed with `zINSTREAM`
//! (chunks of a 4-byte big-endian length and the bytes, a zero length at the end) and clamd
//! answers `stream: OK` or `stream: NAME FOUND`. A virus sets [`Verdict::virus`]; it adds no
//! spam weight (the SMTP service applies `antivirus.action`).
//!
//! A [`Breaker`] keeps a clamd that is down from slowing every message: after
//! `antivirus.clamav_failures_before_reconnect` failures in a row, clamd is not asked for
//! [`BACK_OFF`], then connected to again.
//!
//! Invariants: at most [`MAX_REPLY`] bytes of an answer are read; a failure, a refusal
//! (`INSTREAM size limit exceeded`) or a skipped scan is reported unanswered, never as clean.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use heron_settings::defs;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::Error;
use crate::pipeline::Ctx;
use crate::verdict::Verdict;

/// The check's name in the headers.
pub const NAME: &str = "clamav";

/// Longest answer read from clamd.
pub const MAX_REPLY: u64 = 4096;

/// Bytes per INSTREAM chunk.
const CHUNK: usize = 64 * 1024;

/// How long clamd is left alone once the breaker opens.
pub const BACK_OFF: Duration = Duration::from_secs(30);

/// What clamd found in a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scan {
    Clean,
    /// The signature's name, e.g. `Eicar-Test-Signature`.
    Virus(String),
}

/// Write `message` to `out` as an INSTREAM request, chunk by chunk (no copy of the message).
pub async fn send<W: AsyncWrite + Unpin>(out: &mut W, message: &[u8]) -> std::io::Result<()> {
    out.write_all(b"zINSTREAM\0").await?;
    for chunk in message.chunks(CHUNK) {
        // Chunks are at most CHUNK long, far below u32::MAX.
        out.write_all(&(chunk.len() as u32).to_be_bytes()).await?;
        out.write_all(chunk).await?;
    }
    // A zero length ends the stream.
    out.write_all(&0u32.to_be_bytes()).await?;
    out.flush().await
}

/// Parse clamd's answer to INSTREAM (NUL- or newline-terminated): `stream: OK`,
/// `stream: NAME FOUND`, or an error such as `INSTREAM size limit exceeded. ERROR`.
pub fn parse_reply(bytes: &[u8]) -> Result<Scan, Error> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.trim_end_matches(['\0', '\n', '\r']).trim();
    if line.is_empty() {
        return Err(Error::Protocol("no answer".into()));
    }
    let Some(result) = line.strip_prefix("stream:") else {
        return Err(refusal(line));
    };
    let result = result.trim();
    if result == "OK" {
        return Ok(Scan::Clean);
    }
    match result.strip_suffix(" FOUND") {
        Some(name) if !name.trim().is_empty() => Ok(Scan::Virus(name.trim().to_owned())),
        _ => Err(refusal(result)),
    }
}

fn refusal(text: &str) -> Error {
    Error::Refused(crate::verdict::clean(
        text.strip_suffix("ERROR")
            .unwrap_or(text)
            .trim()
            .trim_end_matches('.'),
    ))
}

/// Consecutive failures of one daemon, and when it may be asked again.
#[derive(Debug, Default)]
pub struct Breaker {
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    failures: u64,
    open_until: Option<Instant>,
}

impl Breaker {
    /// Whether the daemon may be asked now; `Err` says how long it is still left alone.
    pub fn admit(&self, now: Instant) -> Result<(), Duration> {
        let Ok(mut s) = self.state.lock() else {
            return Ok(());
        };
        match s.open_until {
            Some(until) if now < until => Err(until - now),
            Some(_) => {
                s.open_until = None;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Record an answer: the failures in a row start again from zero.
    pub fn success(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.failures = 0;
            s.open_until = None;
        }
    }

    /// Record a failure; opens the breaker (true) when `limit` failures are in a row
    /// (0 = never). The count is kept until an answer, so once the back-off has passed one
    /// more failure opens it again.
    pub fn failure(&self, now: Instant, limit: u64) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        s.failures = s.failures.saturating_add(1);
        if limit > 0 && s.failures >= limit {
            s.open_until = Some(now + BACK_OFF);
            return true;
        }
        false
    }
}

/// The check: stream the message to clamd (when enabled and the breaker lets it) and record
/// the virus it names.
pub async fn check(ctx: &Ctx<'_>, breaker: &Breaker) -> Verdict {
    let s = ctx.settings;
    let mut v = Verdict::default();
    if !s.get(defs::ANTIVIRUS_CLAMAV_ENABLED) {
        return v;
    }
    if let Err(left) = breaker.admit(Instant::now()) {
        v.unanswered(
            NAME,
            format!("not asked for {} s after failures", left.as_secs() + 1),
        );
        return v;
    }
    let address = s.get(defs::ANTIVIRUS_CLAMAV_ADDRESS);
    let limit = s
        .get(defs::ANTIVIRUS_CLAMAV_TIMEOUT)
        .max(Duration::from_secs(1));
    match scan(&address, ctx.message, limit).await {
        Ok(found) => {
            breaker.success();
            if let Scan::Virus(name) = found {
                v.virus = Some(crate::verdict::clean(&name));
            }
        }
        Err(e) => {
            let failures = s.get(defs::ANTIVIRUS_CLAMAV_FAILURES_BEFORE_RECONNECT);
            if breaker.failure(Instant::now(), failures) {
                tracing::warn!(target: "smtp",
                    "clamd {address} failed {failures} times in a row ({e}); not asked for {} s",
                    BACK_OFF.as_secs());
            } else {
                tracing::info!(target: "smtp", "clamd {address}: {e}");
            }
            v.unanswered(NAME, e.to_string());
        }
    }
    v
}

/// Stream `message` to clamd at `address` and read its verdict, within `limit`.
pub async fn scan(address: &str, message: &[u8], limit: Duration) -> Result<Scan, Error> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        // clamd stops reading and answers as soon as the stream passes its StreamMaxLength,
        // so a failed write may still be followed by that answer.
        let sent = send(&mut stream, message).await;
        let mut answer = Vec::new();
        let read = (&mut stream).take(MAX_REPLY).read_to_end(&mut answer).await;
        if answer.is_empty() {
            sent?;
            read?;
        }
        Ok::<_, Error>(answer)
    };
    let answer = tokio::time::timeout(limit, exchange)
        .await
        .map_err(|_| Error::Timeout)??;
    parse_reply(&answer)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn request(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        send(&mut out, message).await.unwrap();
        out
    }

    #[tokio::test]
    async fn request_is_chunked_and_ends_with_a_zero_length() {
        assert_eq!(request(b"").await, b"zINSTREAM\0\0\0\0\0");
        assert_eq!(request(b"abc").await, b"zINSTREAM\0\0\0\0\x03abc\0\0\0\0");
        let big = vec![b'x'; CHUNK + 1];
        let r = request(&big).await;
        assert_eq!(&r[10..14], &(CHUNK as u32).to_be_bytes());
        assert_eq!(&r[14 + CHUNK..18 + CHUNK], &1u32.to_be_bytes());
        assert_eq!(&r[r.len() - 4..], &[0, 0, 0, 0]);
        assert_eq!(r.len(), 10 + 4 + CHUNK + 4 + 1 + 4);
    }

    #[test]
    fn answers_are_parsed() {
        assert_eq!(parse_reply(b"stream: OK\0").unwrap(), Scan::Clean);
        assert_eq!(
            parse_reply(b"stream: Eicar-Test-Signature FOUND\0").unwrap(),
            Scan::Virus("Eicar-Test-Signature".into())
        );
        assert_eq!(
            parse_reply(b"stream: Heron-Test.UNOFFICIAL FOUND\n").unwrap(),
            Scan::Virus("Heron-Test.UNOFFICIAL".into())
        );
        assert!(matches!(
            parse_reply(b"INSTREAM size limit exceeded. ERROR\0"),
            Err(Error::Refused(m)) if m == "INSTREAM size limit exceeded"
        ));
        assert!(matches!(
            parse_reply(b"stream: Can't allocate memory ERROR\0"),
            Err(Error::Refused(_))
        ));
        assert!(matches!(
            parse_reply(b"stream:  FOUND\0"),
            Err(Error::Refused(_))
        ));
        assert!(matches!(parse_reply(b""), Err(Error::Protocol(_))));
    }

    #[test]
    fn breaker_opens_after_the_limit_and_closes_after_the_back_off() {
        let b = Breaker::default();
        let t = Instant::now();
        assert!(b.admit(t).is_ok());
        assert!(!b.failure(t, 3));
        assert!(!b.failure(t, 3));
        b.success();
        assert!(!b.failure(t, 3));
        assert!(!b.failure(t, 3));
        assert!(b.failure(t, 3));
        assert!(b.admit(t + Duration::from_secs(1)).is_err());
        assert!(b.admit(t + BACK_OFF).is_ok());
        // Asked again and failing once more: left alone again at once.
        assert!(b.failure(t + BACK_OFF, 3));
        assert!(b.admit(t + BACK_OFF).is_err());
        // An answer after the next back-off starts the count afresh.
        assert!(b.admit(t + BACK_OFF * 2).is_ok());
        b.success();
        assert!(!b.failure(t + BACK_OFF * 2, 3));
        assert!(b.admit(t + BACK_OFF * 2).is_ok());
    }

    #[test]
    fn breaker_with_limit_zero_never_opens() {
        let b = Breaker::default();
        let t = Instant::now();
        for _ in 0..100 {
            assert!(!b.failure(t, 0));
        }
        assert!(b.admit(t).is_ok());
    }
}
