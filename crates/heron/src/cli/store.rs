//! `heron store copy --from DIR --to postgres://…`: move a single-node installation to the
//! shared store. Everything stored in the data directory `DIR` (domains, users, aliases,
//! settings, secrets, the administrator, tokens, DKIM keys, folders and messages with their
//! ids, UIDs, flags and dates, the spool) is copied into an empty PostgreSQL database, then
//! checked: rows per table, and every message's bytes by SHA-256 on both sides
//! ([`heron_store::copy`]). It may run while `heron serve` runs on `DIR` (it copies one
//! consistent snapshot); for the final copy, stop the server so nothing arrives after it.
//!
//! Progress goes to standard error: one line updated in place on a terminal, a plain line
//! every few seconds otherwise. The summary goes to standard output. The exit status is 1
//! when the copy failed or its check found any difference.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use heron_store::copy::{Progress, Stage, sqlite_to_postgres};

use crate::out::outln;
use crate::store_url::StoreUrl;

/// `store` subcommands.
#[derive(Subcommand)]
pub enum StoreCmd {
    /// Copy a data directory's whole store into an empty PostgreSQL database, then check it.
    Copy {
        /// The data directory to copy from.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The empty PostgreSQL database to copy into (postgres://USER:PASSWORD@HOST/DB).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// How often progress is written when standard error is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Run a `store` subcommand.
pub async fn run(cmd: StoreCmd) -> anyhow::Result<()> {
    match cmd {
        StoreCmd::Copy { from, to } => copy(from, &StoreUrl::parse(&to)?).await,
    }
}

async fn copy(from: PathBuf, to: &StoreUrl) -> anyhow::Result<()> {
    crate::datadir::require(&from)?;
    let started = Instant::now();
    let mut shown = Shown::new(std::io::stderr().is_terminal());
    let mut progress = |p: Progress| shown.show(p);
    let copied = sqlite_to_postgres(&from, to.as_str(), &mut progress).await;
    shown.finish();
    let report = copied.with_context(|| format!("cannot copy {} to {to}", from.display()))?;
    outln!(
        "copied {} to {to} in {:.1} s",
        from.display(),
        started.elapsed().as_secs_f64()
    );
    for t in &report.tables {
        let mark = if t.source == t.target {
            ""
        } else {
            "  MISMATCH"
        };
        outln!(
            "  {:<16} {:>10} rows (copy: {}){mark}",
            t.table,
            t.source,
            t.target
        );
    }
    outln!(
        "  message bytes: {} stored messages, {} bytes, SHA-256 equal on both sides",
        report.blobs_checked,
        report.bytes
    );
    if report.mismatches.is_empty() {
        outln!("check passed: the copy equals the source");
        return Ok(());
    }
    for m in &report.mismatches {
        eprintln!("mismatch: {m}");
    }
    anyhow::bail!(
        "the copy differs from the source in {} ways (see above)",
        report.mismatches.len()
    )
}

/// Progress on standard error.
struct Shown {
    terminal: bool,
    last: Option<Instant>,
    /// A line is open on the terminal (to be ended before other output).
    open: bool,
}

impl Shown {
    fn new(terminal: bool) -> Self {
        Self {
            terminal,
            last: None,
            open: false,
        }
    }

    fn show(&mut self, p: Progress) {
        let what = match p.stage {
            Stage::Copying => "messages copied",
            Stage::Checking => "stored messages checked",
        };
        let line = format!("{}/{} {what}", p.done, p.total);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.open = true;
            return;
        }
        let due = self.last.is_none_or(|t| t.elapsed() >= PLAIN_EVERY);
        if due || p.done == p.total {
            let _ = writeln!(err, "{line}");
            self.last = Some(Instant::now());
        }
    }

    fn finish(&mut self) {
        if self.open {
            eprintln!();
            self.open = false;
        }
    }
}
