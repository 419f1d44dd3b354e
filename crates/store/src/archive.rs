//! Message archiving (OPS-5): a copy of every message a domain receives or sends, by rule,
//! kept for compliance apart from the mailboxes.
//!
//! Storage: an archived message is its own blob, written when it is archived, with one
//! reference held by its `archive` row. Sharing the mailbox copy's blob instead (one more
//! reference) would save the bytes, but ties the archive to the delivery transaction (which
//! would have to hand back blob ids) and to every path that copies, moves or drops message
//! references; an own blob follows the rules every other blob follows — nothing a user does
//! to a mailbox (EXPUNGE, folder or account deletion) touches it, `heron store copy` and
//! `heron backup` carry it like any other blob, and the orphan sweep keeps it because its
//! row refers to it. The price is a second copy of each archived message's bytes.
//!
//! Invariants: an archive row names the domain by name, not by id, so the archive outlives
//! the domain's deletion (archives go only by retention, [`ArchiveStore::archive_prune`]);
//! rows are never changed once written; a row and its blob are added, and removed, in one
//! transaction. Searches are newest first (by id, which grows with time).
//!
//! [`ArchiveStore::archive_prune`]: crate::traits::ArchiveStore::archive_prune

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::traits::Store;

/// Which messages of a domain are archived (`archive.rule`, or the domain's own rule).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchiveRule {
    #[default]
    None,
    All,
    Incoming,
    Outgoing,
}

impl ArchiveRule {
    /// Every rule's name, as settings and domain records spell it.
    pub const NAMES: &'static [&'static str] = &["none", "all", "incoming", "outgoing"];

    /// The rule's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::All => "all",
            Self::Incoming => "incoming",
            Self::Outgoing => "outgoing",
        }
    }

    /// The rule of a name (case-insensitive); `None` for an unknown name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "all" => Some(Self::All),
            "incoming" => Some(Self::Incoming),
            "outgoing" => Some(Self::Outgoing),
            _ => None,
        }
    }

    /// Whether a message going `direction` is archived under this rule.
    pub fn covers(self, direction: Direction) -> bool {
        matches!(
            (self, direction),
            (Self::All, _)
                | (Self::Incoming, Direction::Incoming)
                | (Self::Outgoing, Direction::Outgoing)
        )
    }
}

/// Which way an archived message went, seen from its domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Delivered to local mailboxes of the domain.
    Incoming,
    /// Submitted by an authenticated user of the domain.
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incoming => "incoming",
            Self::Outgoing => "outgoing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "incoming" => Some(Self::Incoming),
            "outgoing" => Some(Self::Outgoing),
            _ => None,
        }
    }
}

/// What is recorded with a message being archived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewArchived {
    /// The domain (lower-case name) whose traffic it is.
    pub domain: String,
    pub direction: Direction,
    /// The envelope sender (empty for the null sender).
    pub sender: String,
    /// The envelope recipients it is archived for: the domain's local recipients of an
    /// incoming message, every recipient of an outgoing one.
    pub recipients: Vec<String>,
    /// Unix seconds.
    pub archived_at: i64,
}

/// An archived message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archived {
    pub id: i64,
    pub domain: String,
    pub direction: Direction,
    pub sender: String,
    pub recipients: Vec<String>,
    /// The Subject field as written (unfolded, not decoded); empty when there is none.
    pub subject: String,
    pub archived_at: i64,
    pub size: u64,
    pub blob: crate::model::BlobId,
}

/// What an archive search asks; every field given must match. Text fields match as
/// case-insensitive substrings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveQuery {
    /// Only this domain's archive (lower-case name).
    pub domain: Option<String>,
    pub direction: Option<Direction>,
    pub sender: Option<String>,
    /// Any of the recorded recipients.
    pub recipient: Option<String>,
    pub subject: Option<String>,
    /// Anywhere in the kept header block (at most [`MAX_KEPT_HEAD`] bytes).
    pub header: Option<String>,
    /// Archived at or after (Unix seconds).
    pub since: Option<i64>,
    /// Archived before (Unix seconds).
    pub until: Option<i64>,
}

impl ArchiveQuery {
    /// The query with NUL characters taken out of its texts: kept text never holds one
    /// ([`describe`]), and not every backend takes one as a parameter.
    pub fn without_nul(&self) -> Self {
        let clean = |v: &Option<String>| v.as_ref().map(|s| s.replace('\0', ""));
        Self {
            domain: clean(&self.domain),
            sender: clean(&self.sender),
            recipient: clean(&self.recipient),
            subject: clean(&self.subject),
            header: clean(&self.header),
            ..self.clone()
        }
    }
}

/// Longest header block kept in an archive row for searches; longer ones are cut.
pub const MAX_KEPT_HEAD: usize = 64 * 1024;

/// Most messages one body-text search reads ([`search_text`]).
pub const MAX_TEXT_SCAN: usize = 2000;

/// The searchable parts of a message's header block: the block as text (cut at
/// [`MAX_KEPT_HEAD`], invalid UTF-8 replaced) and its Subject field unfolded, both without
/// NUL characters (which no text column of every backend takes).
pub fn describe(head: &[u8]) -> (String, String) {
    let cut = head.get(..MAX_KEPT_HEAD).unwrap_or(head);
    let text = String::from_utf8_lossy(cut).replace('\0', "");
    let subject = heron_message::header::fields(head)
        .find(|f| f.is("subject"))
        .map(|f| f.unfolded().trim().replace('\0', ""))
        .unwrap_or_default();
    (text, subject)
}

/// Recipients as kept in one text column: lower-cased, one per line.
pub fn recipients_text(rcpts: &[String]) -> String {
    rcpts
        .iter()
        .map(|r| r.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The recipients of [`recipients_text`].
pub fn recipients_from_text(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A search time given as Unix seconds, RFC 3339 or `YYYY-MM-DD` (UTC midnight; with `end`,
/// the next midnight, so a day given as the end is included); `None` when unreadable.
pub fn parse_time(v: &str, end: bool) -> Option<i64> {
    let v = v.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp());
    }
    let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp();
    Some(if end { day + 86_400 } else { day })
}

/// Whether `needle` occurs in `hay`, ASCII letters compared without case.
pub fn contains_folded(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a message holds `needle`, case aside: in its bytes as written, or in its decoded
/// header fields and text parts as IMAP SEARCH reads them (`heron_message::searchtext`), so
/// encoded words, quoted-printable and base64 text parts are found too.
pub fn text_matches(raw: &[u8], needle: &str) -> bool {
    if contains_folded(raw, needle.as_bytes()) {
        return true;
    }
    let n = heron_message::search::needle(needle.as_bytes());
    let t = heron_message::searchtext::of_message(raw);
    t.head.contains(&n) || t.body.contains(&n)
}

/// One page of a body-text search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextPage {
    pub hits: Vec<Archived>,
    /// Messages read.
    pub scanned: usize,
    /// False when the scan stopped at [`MAX_TEXT_SCAN`] messages before the archive's end:
    /// more matches may exist.
    pub complete: bool,
}

/// The messages matching `q` whose text holds `needle` ([`text_matches`]), newest first: the page `offset..offset+limit` of
/// them. A bounded scan: it reads matching messages one at a time (never more than one in
/// memory) and stops after [`MAX_TEXT_SCAN`].
pub async fn search_text(
    store: &dyn Store,
    q: &ArchiveQuery,
    needle: &str,
    limit: usize,
    offset: usize,
) -> Result<TextPage> {
    const BATCH: u64 = 100;
    let mut page = TextPage::default();
    if limit == 0 {
        page.complete = true;
        return Ok(page);
    }
    let (mut at, mut skipped) = (0u64, 0usize);
    loop {
        let (_, rows) = store.archive_search(q, BATCH, at).await?;
        if rows.is_empty() {
            page.complete = true;
            return Ok(page);
        }
        at += rows.len() as u64;
        for row in rows {
            if page.scanned >= MAX_TEXT_SCAN {
                return Ok(page);
            }
            page.scanned += 1;
            let bytes = match store.archive_read(&row).await {
                Ok(b) => b,
                Err(crate::StoreError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if !text_matches(&bytes, needle) {
                continue;
            }
            if skipped < offset {
                skipped += 1;
                continue;
            }
            page.hits.push(row);
            if page.hits.len() >= limit {
                // Complete only as far as this page goes; the caller asks for the next one.
                page.complete = true;
                return Ok(page);
            }
        }
    }
}

/// How often a running server prunes archived messages past their retention.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Records removed per prune transaction; a prune goes on until none is left.
const PRUNE_BATCH: u64 = 500;

/// Remove every archived message older than `days` days at `now` (none when `days` is 0),
/// in bounded transactions; returns how many went.
pub async fn prune(store: &dyn Store, days: u64, now: i64) -> Result<u64> {
    if days == 0 {
        return Ok(0);
    }
    let before = now.saturating_sub(i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX));
    let mut total = 0;
    loop {
        let n = store.archive_prune(before, PRUNE_BATCH).await?;
        total += n;
        if n < PRUNE_BATCH {
            return Ok(total);
        }
    }
}

/// Prune now, then every `every`, with the retention `days()` says at each run, until the
/// task is aborted. Several nodes may prune at once; each record goes once.
pub fn start_pruner(
    store: std::sync::Arc<dyn Store>,
    every: std::time::Duration,
    days: impl Fn() -> u64 + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match prune(&*store, days(), crate::rules::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(target: "events", "pruned {n} archived messages"),
                Err(e) => tracing::warn!(target: "events", "pruning the archive failed: {e}"),
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rules_cover_their_directions() {
        use Direction::*;
        assert!(ArchiveRule::All.covers(Incoming) && ArchiveRule::All.covers(Outgoing));
        assert!(ArchiveRule::Incoming.covers(Incoming) && !ArchiveRule::Incoming.covers(Outgoing));
        assert!(ArchiveRule::Outgoing.covers(Outgoing) && !ArchiveRule::Outgoing.covers(Incoming));
        assert!(!ArchiveRule::None.covers(Incoming) && !ArchiveRule::None.covers(Outgoing));
        for n in ArchiveRule::NAMES {
            assert_eq!(ArchiveRule::parse(n).unwrap().as_str(), *n);
        }
        assert_eq!(ArchiveRule::parse(" ALL "), Some(ArchiveRule::All));
        assert_eq!(ArchiveRule::parse("some"), None);
    }

    #[test]
    fn describes_subject_and_head() {
        let head = b"From: a@x\r\nSubject: Quarterly\r\n  report\r\n\r\n";
        let (text, subject) = describe(head);
        assert_eq!(subject, "Quarterly report");
        assert!(text.starts_with("From: a@x"));
        assert_eq!(describe(b"From: a@x\r\n\r\n").1, "");
        let (text, subject) = describe(b"Subject: a\0b\r\nX: \0\r\n\r\n");
        assert_eq!(subject, "ab");
        assert!(!text.contains('\0'));
    }

    #[test]
    fn recipients_round_trip_and_fold() {
        let r = vec!["Bob@Example.com".to_string(), "c@example.com".to_string()];
        assert_eq!(
            recipients_from_text(&recipients_text(&r)),
            vec!["bob@example.com", "c@example.com"]
        );
        assert!(recipients_from_text("").is_empty());
        assert!(contains_folded(b"Hello World", b"wORLD"));
        let b64 = b"Subject: =?utf-8?q?Caf=C3=A9?=\r\nContent-Type: text/plain\r\n\
            Content-Transfer-Encoding: base64\r\n\r\naGlkZGVuIHdvcmQ=\r\n";
        assert!(text_matches(b64, "HIDDEN word"));
        assert!(text_matches(b64, "café"));
        assert!(!text_matches(b64, "absent"));
        assert!(!contains_folded(b"Hello", b"help"));
    }
}
