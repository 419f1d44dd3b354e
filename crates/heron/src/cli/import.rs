//! `heron import ADDR PATH [--folder NAME]`: messages from an .eml file, a Maildir or an mbox
//! into a mailbox, keeping flags and dates where the source has them. Messages are committed
//! in batches; a progress bar shows on a terminal.

use std::path::{Path, PathBuf};

use crate::out::outln;
use anyhow::Context;
use clap::Parser;
use heron_store::NewMessage;
use indicatif::{ProgressBar, ProgressStyle};

/// Import arguments.
#[derive(Parser)]
pub struct ImportArgs {
    /// The mailbox owner's address.
    address: String,
    /// An .eml file, a Maildir directory or an mbox file.
    path: PathBuf,
    /// Target folder (created if missing).
    #[arg(long, default_value = "INBOX")]
    folder: String,
}

/// Messages committed together.
const BATCH: usize = 200;

/// Run an import.
pub async fn run(data: &Path, a: ImportArgs) -> anyhow::Result<()> {
    let o = super::open(data).await?;
    let user = o.dir.user(&a.address).await?;
    let store = o.dir.store();
    let folder = match store.get_folder(user.id, &a.folder).await? {
        Some(f) => f,
        None => store.create_folder(user.id, &a.folder, None).await?,
    };
    let source = heron_import::open(&a.path)?;
    let bar = ProgressBar::new(source.total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut batch, mut done, mut skipped) = (Vec::with_capacity(BATCH), 0usize, 0usize);
    for item in source {
        match item {
            Ok(m) => batch.push((
                m.bytes,
                NewMessage {
                    flags: m.flags,
                    internal_date: m.internal_date,
                },
            )),
            Err(e) => {
                skipped += 1;
                bar.suspend(|| eprintln!("skipped: {e}"));
            }
        }
        if batch.len() >= BATCH {
            done += flush(&o, folder.id, &mut batch).await?;
            bar.set_position((done + skipped) as u64);
        }
    }
    done += flush(&o, folder.id, &mut batch).await?;
    bar.finish_and_clear();
    outln!(
        "imported {done} messages into {} / {}",
        a.address,
        folder.name
    );
    if skipped > 0 {
        anyhow::bail!("{skipped} messages could not be read (see above)");
    }
    Ok(())
}

async fn flush(
    o: &super::Opened,
    folder: i64,
    batch: &mut Vec<(Vec<u8>, NewMessage)>,
) -> anyhow::Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let n = batch.len();
    o.dir
        .store()
        .append_batch(folder, std::mem::take(batch))
        .await
        .context("storing messages failed")?;
    Ok(n)
}
