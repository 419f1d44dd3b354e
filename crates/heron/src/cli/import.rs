//! `heron import ADDR PATH [--folder NAME] [--duplicates]`: messages from an .eml file, a
//! Maildir (with its Maildir++ subfolders) or an mbox into a mailbox, keeping flags and dates
//! where the source has them. Messages are committed in batches; a progress bar shows on a
//! terminal.
//!
//! What is not imported, and why:
//! - a file (an .eml file, a file in a Maildir) or an mbox message that is not mail
//!   (`heron_import::NotMail`) is refused: a line on standard error names it and says why,
//!   nothing of it is stored, and the rest of the source is imported;
//! - a message already in its target folder (`heron_import::DuplicateKey`: same Message-ID
//!   and size, or the same bytes) is skipped, unless `--duplicates` is given; so running the
//!   same import twice adds nothing the second time;
//! - a file that cannot be read is skipped with a line on standard error.
//!
//! The summary line on standard output says how many messages were imported into which
//! folders, how many were skipped as duplicates and how many were refused. The exit status is
//! non-zero when anything was refused or unreadable (after importing the rest), so a script
//! notices; skipped duplicates are not a failure.

mod targets;

use std::path::PathBuf;

use crate::out::outln;
use anyhow::Context;
use clap::Parser;
use heron_import::{DuplicateKey, ImportError, SourceKind};
use heron_store::{FolderId, NewMessage};
use indicatif::{ProgressBar, ProgressStyle};
use targets::Targets;

/// Import arguments.
#[derive(Parser)]
pub struct ImportArgs {
    /// The mailbox owner's address.
    address: String,
    /// An .eml file, a Maildir directory or an mbox file.
    path: PathBuf,
    /// Target folder (created if missing). A Maildir's subfolders (.Sent, .Archive.2024) go to
    /// folders of their names: at the top level when the target is INBOX, below it otherwise.
    #[arg(long, default_value = "INBOX")]
    folder: String,
    /// Import messages the target folder already holds (same Message-ID and size, or same
    /// bytes) again; without it they are skipped.
    #[arg(long)]
    duplicates: bool,
}

/// Messages committed together.
const BATCH: usize = 200;

/// Messages waiting to be stored in one folder.
struct Batch {
    folder: FolderId,
    messages: Vec<(Vec<u8>, NewMessage)>,
}

/// What became of the items of the source.
#[derive(Default)]
struct Tally {
    imported: usize,
    duplicates: usize,
    refused: usize,
    unreadable: usize,
}

/// Run an import.
pub async fn run(at: &super::Location, a: ImportArgs) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let user = o.dir.user(&a.address).await?;
    let store = o.dir.store();
    let mut targets = Targets::new(store.as_ref(), user.id, &a.folder, !a.duplicates)?;
    let source = heron_import::open(&a.path)?;
    let kind = source.kind;
    let bar = ProgressBar::new(source.total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut tally = Tally::default();
    let mut batch: Option<Batch> = None;
    for item in source {
        bar.inc(1);
        let m = match item {
            Ok(m) => m,
            Err(e @ ImportError::NotMail { .. }) => {
                tally.refused += 1;
                bar.suspend(|| eprintln!("refused: {e}"));
                continue;
            }
            Err(e) => {
                tally.unreadable += 1;
                bar.suspend(|| eprintln!("skipped: {e}"));
                continue;
            }
        };
        let target = targets.get(&m.folder).await?;
        if !target.add(|| DuplicateKey::of(&m.bytes)) {
            tally.duplicates += 1;
            continue;
        }
        let folder = target.id;
        if batch.as_ref().is_some_and(|b| b.folder != folder) {
            tally.imported += flush(&o, batch.take()).await?;
        }
        let b = batch.get_or_insert_with(|| Batch {
            folder,
            messages: Vec::with_capacity(BATCH),
        });
        let new = NewMessage {
            flags: m.flags,
            internal_date: m.internal_date,
        };
        b.messages.push((m.bytes, new));
        if b.messages.len() >= BATCH {
            tally.imported += flush(&o, batch.take()).await?;
        }
    }
    tally.imported += flush(&o, batch.take()).await?;
    bar.finish_and_clear();
    outln!("{}", summary(&a.address, &targets.names(), &tally, kind));
    let failed = tally.refused + tally.unreadable;
    if failed > 0 {
        anyhow::bail!("{} not imported (see above)", items(kind, failed));
    }
    Ok(())
}

/// Stores a batch; returns how many messages it held.
async fn flush(o: &super::Opened, batch: Option<Batch>) -> anyhow::Result<usize> {
    let Some(batch) = batch.filter(|b| !b.messages.is_empty()) else {
        return Ok(0);
    };
    let n = batch.messages.len();
    o.dir
        .store()
        .append_batch(batch.folder, batch.messages)
        .await
        .context("storing messages failed")?;
    Ok(n)
}

/// The summary line: `alice@example.com: imported 3 messages into INBOX, Sent; skipped 1
/// duplicate; refused 2 files that are not mail`.
fn summary(address: &str, folders: &[&str], t: &Tally, kind: SourceKind) -> String {
    let mut line = format!("{address}: imported {}", count(t.imported, "message"));
    if !folders.is_empty() {
        line.push_str(&format!(" into {}", folders.join(", ")));
    }
    line.push_str(&format!("; skipped {}", count(t.duplicates, "duplicate")));
    line.push_str(&format!(
        "; refused {} that {} not mail",
        items(kind, t.refused),
        if t.refused == 1 { "is" } else { "are" }
    ));
    if t.unreadable > 0 {
        line.push_str(&format!(
            "; {} could not be read",
            items(kind, t.unreadable)
        ));
    }
    line
}

/// `n files` for a source of files, `n messages` for an mbox.
fn items(kind: SourceKind, n: usize) -> String {
    match kind {
        SourceKind::Mbox => count(n, "message"),
        SourceKind::Eml | SourceKind::Maildir => count(n, "file"),
    }
}

/// `1 message`, `2 messages`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines() {
        let t = Tally {
            imported: 3,
            duplicates: 1,
            refused: 2,
            unreadable: 0,
        };
        assert_eq!(
            summary("a@x.test", &["INBOX", "Sent"], &t, SourceKind::Maildir),
            "a@x.test: imported 3 messages into INBOX, Sent; skipped 1 duplicate; \
             refused 2 files that are not mail"
        );
        let t = Tally {
            imported: 0,
            duplicates: 0,
            refused: 1,
            unreadable: 2,
        };
        assert_eq!(
            summary("a@x.test", &[], &t, SourceKind::Mbox),
            "a@x.test: imported 0 messages; skipped 0 duplicates; \
             refused 1 message that is not mail; 2 messages could not be read"
        );
    }
}
