//! `heron domain add|list|delete`.

use std::path::Path;

use clap::Subcommand;

/// Domain commands.
#[derive(Subcommand)]
pub enum DomainCmd {
    /// Add a domain (default limits apply).
    Add { name: String },
    /// List domains.
    List,
    /// Delete a domain with all its users and mail. Irreversible.
    Delete {
        name: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
}

/// Run a domain command.
pub async fn run(data: &Path, cmd: DomainCmd) -> anyhow::Result<()> {
    let o = super::open(data).await?;
    match cmd {
        DomainCmd::Add { name } => {
            let d = o.dir.add_domain(&name).await?;
            println!("added domain {}", d.name);
        }
        DomainCmd::List => {
            for d in o.dir.list_domains().await? {
                let users = o.dir.list_users(&d.name).await?.len();
                let state = if d.disabled { " (disabled)" } else { "" };
                println!("{}{state}\t{users} users", d.name);
            }
        }
        DomainCmd::Delete { name, yes } => {
            if !yes {
                anyhow::bail!(
                    "deleting {name} removes all its users and mail for good; repeat with --yes to confirm"
                );
            }
            o.dir.delete_domain(&name).await?;
            println!("deleted domain {name}");
        }
    }
    Ok(())
}
