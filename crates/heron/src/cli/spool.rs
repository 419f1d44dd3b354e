//! `heron spool ...`: the messages waiting for remote delivery and the administrator's
//! actions on them (SPOOL-5): list, show, delete, force, reset retries, change priority.
//! They work while the server runs: it sees the change at once and acts on it.

use crate::out::{out, outln};
use anyhow::Context;
use clap::Subcommand;
use heron_store::{SPOOL_DELIVERED, SpoolChange, SpoolEntry};

/// Spool commands.
#[derive(Subcommand)]
pub enum SpoolCmd {
    /// Every spooled message: id, sender, recipients with their status, size, priority, age.
    List {
        /// Print the entries as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// One message: its delivery state per recipient and its headers.
    Show { id: i64 },
    /// Remove a message from the spool without delivering it.
    Delete { id: i64 },
    /// Attempt delivery now.
    Force { id: i64 },
    /// Reset retries: attempts back to zero, failed recipients pending again, attempt now.
    Reset { id: i64 },
    /// Change the priority (1..10, higher leaves first).
    Priority { id: i64, priority: u8 },
}

/// Run a spool command.
pub async fn run(at: &super::Location, cmd: SpoolCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let store = o.dir.store();
    let now = chrono::Utc::now().timestamp();
    match cmd {
        SpoolCmd::List { json: true } => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&store.spool_list().await?)?
            );
        }
        SpoolCmd::List { json: false } => {
            let entries = store.spool_list().await?;
            for e in &entries {
                print_entry(e, now);
            }
            outln!("{} messages in the spool", entries.len());
        }
        SpoolCmd::Show { id } => {
            let e = store
                .spool_get(id)
                .await?
                .with_context(|| format!("no spool entry {id}"))?;
            print_entry(&e, now);
            let bytes = store.spool_read(&e).await?;
            let head = heron_message::header_block(&bytes).fields(&bytes);
            outln!();
            out!("{}", String::from_utf8_lossy(head));
        }
        SpoolCmd::Delete { id } => {
            store.spool_delete(id).await?;
            outln!("deleted spool entry {id}");
        }
        SpoolCmd::Force { id } => {
            let c = SpoolChange::force(now);
            store.spool_change(id, c).await?;
            outln!("spool entry {id}: delivery attempt now");
        }
        SpoolCmd::Reset { id } => {
            let c = SpoolChange::reset(now);
            store.spool_change(id, c).await?;
            outln!("spool entry {id}: retries reset, delivery attempt now");
        }
        SpoolCmd::Priority { id, priority } => {
            if !(1..=10).contains(&priority) {
                anyhow::bail!("a priority is 1 to 10");
            }
            let c = SpoolChange::priority(priority);
            store.spool_change(id, c).await?;
            outln!("spool entry {id}: priority {priority}");
        }
    }
    Ok(())
}

fn print_entry(e: &SpoolEntry, now: i64) {
    let done = e
        .recipients
        .iter()
        .filter(|r| r.status == SPOOL_DELIVERED)
        .count();
    let state = if e.leased_until != 0 {
        "\tdelivering"
    } else {
        ""
    };
    outln!(
        "{}\tfrom <{}>\t{} bytes\tpriority {}\tattempts {}\tin spool {}s\tnext in {}s\trecipients {done}/{}{state}",
        e.id,
        e.sender,
        e.size,
        e.priority,
        e.attempts,
        now - e.created_at,
        (e.next_attempt_at - now).max(0),
        e.recipients.len()
    );
    for r in &e.recipients {
        let notify = r
            .notify
            .as_deref()
            .map(|n| format!(" NOTIFY={n}"))
            .unwrap_or_default();
        let orcpt = r
            .orcpt
            .as_deref()
            .map(|o| format!(" ORCPT={o}"))
            .unwrap_or_default();
        let last = r
            .last_reply
            .as_deref()
            .map(|l| format!(" last reply: {l}"))
            .unwrap_or_default();
        outln!("\t<{}> {}{notify}{orcpt}{last}", r.address, r.status);
    }
}
