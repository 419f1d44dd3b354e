//! `heron spool list|delete`: the messages waiting for remote delivery (SPOOL-5).

use std::path::Path;

use clap::Subcommand;

/// Spool commands.
#[derive(Subcommand)]
pub enum SpoolCmd {
    /// Every spooled message: id, sender, recipients with their status, size, priority, age.
    List,
    /// Remove a message from the spool without delivering it.
    Delete { id: i64 },
}

/// Run a spool command.
pub async fn run(data: &Path, cmd: SpoolCmd) -> anyhow::Result<()> {
    let o = super::open(data).await?;
    let store = o.dir.store();
    match cmd {
        SpoolCmd::List => {
            let now = chrono::Utc::now().timestamp();
            let entries = store.spool_list().await?;
            for e in &entries {
                let done = e
                    .recipients
                    .iter()
                    .filter(|r| r.status == "delivered")
                    .count();
                println!(
                    "{}\tfrom <{}>\t{} bytes\tpriority {}\tattempts {}\tin spool {}s\tnext in {}s\trecipients {done}/{}",
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
                    println!("\t<{}> {}{notify}{orcpt}", r.address, r.status);
                }
            }
            println!("{} messages in the spool", entries.len());
        }
        SpoolCmd::Delete { id } => {
            store.spool_delete(id).await?;
            println!("deleted spool entry {id}");
        }
    }
    Ok(())
}
