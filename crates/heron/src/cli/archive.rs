//! `heron archive ...`: searching the message archive (OPS-5) and exporting archived
//! messages as an mbox file, straight from the store (the server may be running).

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use heron_store::archive::{ArchiveQuery, Archived, Direction, parse_time, search_text};

use crate::out::outln;

/// Most messages one export writes.
const MAX_EXPORT: u64 = 100_000;

/// Archive commands.
#[derive(Subcommand)]
pub enum ArchiveCmd {
    /// Archived messages matching every filter given, newest first.
    Search {
        #[command(flatten)]
        filter: Filter,
        /// Records to show.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Matching records to skip first.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Print the records as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Write archived messages (those matching the filters, or the listed ids) as one mbox
    /// file (mboxrd), oldest first.
    Export {
        #[command(flatten)]
        filter: Filter,
        /// These record ids (comma-separated) instead of the filters.
        #[arg(long, value_delimiter = ',')]
        ids: Vec<i64>,
        /// The file to write; standard output when absent.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

/// Search filters; text filters match as case-insensitive substrings.
#[derive(Args)]
pub struct Filter {
    /// Only this domain's archive.
    #[arg(long)]
    domain: Option<String>,
    /// incoming or outgoing.
    #[arg(long)]
    direction: Option<String>,
    /// Text in the envelope sender.
    #[arg(long)]
    sender: Option<String>,
    /// Text in an envelope recipient.
    #[arg(long)]
    recipient: Option<String>,
    /// Text in the Subject field.
    #[arg(long)]
    subject: Option<String>,
    /// Text anywhere in the header block.
    #[arg(long)]
    header: Option<String>,
    /// Text anywhere in the message, body included (reads at most 2000 messages).
    #[arg(long)]
    text: Option<String>,
    /// Archived at or after: YYYY-MM-DD (UTC), RFC 3339 or Unix seconds.
    #[arg(long)]
    since: Option<String>,
    /// Archived before (a date: through that day).
    #[arg(long)]
    until: Option<String>,
}

impl Filter {
    fn query(&self) -> anyhow::Result<ArchiveQuery> {
        let time = |v: &Option<String>, end: bool, what: &str| {
            v.as_deref()
                .map(|t| {
                    parse_time(t, end).with_context(|| {
                        format!("--{what} is YYYY-MM-DD, an RFC 3339 time or Unix seconds")
                    })
                })
                .transpose()
        };
        Ok(ArchiveQuery {
            domain: self.domain.as_deref().map(str::to_ascii_lowercase),
            direction: match self.direction.as_deref() {
                None => None,
                Some(d) => Some(
                    Direction::parse(&d.to_ascii_lowercase())
                        .context("--direction is incoming or outgoing")?,
                ),
            },
            sender: self.sender.clone(),
            recipient: self.recipient.clone(),
            subject: self.subject.clone(),
            header: self.header.clone(),
            since: time(&self.since, false, "since")?,
            until: time(&self.until, true, "until")?,
        })
    }
}

/// Run an archive command.
pub async fn run(at: &super::Location, cmd: ArchiveCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let store = o.dir.store();
    match cmd {
        ArchiveCmd::Search {
            filter,
            limit,
            offset,
            json,
        } => {
            let q = filter.query()?;
            let (total, rows, cut) = match &filter.text {
                None => {
                    let (n, rows) = store.archive_search(&q, limit, offset).await?;
                    (Some(n), rows, false)
                }
                Some(t) => {
                    let p = search_text(&**store, &q, t, limit as usize, offset as usize).await?;
                    (None, p.hits, !p.complete)
                }
            };
            for a in &rows {
                if json {
                    outln!("{}", json_line(a));
                } else {
                    print_row(a);
                }
            }
            if !json {
                match total {
                    Some(n) => outln!("{} shown of {n} matching", rows.len()),
                    None => outln!("{} shown", rows.len()),
                }
                if cut {
                    outln!("(text search stopped after reading 2000 messages: narrow the filters)");
                }
            }
        }
        ArchiveCmd::Export {
            filter,
            ids,
            output,
        } => {
            let mut rows = if ids.is_empty() {
                let q = filter.query()?;
                match &filter.text {
                    None => store.archive_search(&q, MAX_EXPORT, 0).await?.1,
                    Some(t) => {
                        search_text(&**store, &q, t, MAX_EXPORT as usize, 0)
                            .await?
                            .hits
                    }
                }
            } else {
                store.archive_get(&ids).await?
            };
            if ids.is_empty() {
                rows.reverse();
            }
            let mut out: Box<dyn Write> = match &output {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut n = 0;
            for a in &rows {
                let raw = match store.archive_read(a).await {
                    Ok(r) => r,
                    Err(heron_store::StoreError::NotFound(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                out.write_all(&heron_message::mbox::entry(&a.sender, a.archived_at, &raw))?;
                n += 1;
            }
            out.flush()?;
            if output.is_some() {
                outln!("exported {n} messages");
            }
        }
    }
    Ok(())
}

fn date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn print_row(a: &Archived) {
    outln!(
        "#{} {} {} {} <{}> -> {} {} bytes: {}",
        a.id,
        date(a.archived_at),
        a.domain,
        a.direction.as_str(),
        a.sender,
        a.recipients.join(", "),
        a.size,
        a.subject
    );
}

fn json_line(a: &Archived) -> serde_json::Value {
    serde_json::json!({
        "id": a.id,
        "domain": a.domain,
        "direction": a.direction.as_str(),
        "sender": a.sender,
        "recipients": a.recipients,
        "subject": a.subject,
        "archived_at": a.archived_at,
        "size": a.size,
    })
}
