//! `heron alias add|delete|list`.

use crate::out::outln;
use clap::Subcommand;

/// Alias commands.
#[derive(Subcommand)]
pub enum AliasCmd {
    /// Add an alias delivering to one or more targets (addresses, or local parts of its domain).
    Add {
        address: String,
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Delete an alias.
    Delete { address: String },
    /// List the aliases of a domain.
    List { domain: String },
}

/// Run an alias command.
pub async fn run(at: &super::Location, cmd: AliasCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        AliasCmd::Add { address, targets } => {
            let a = o.dir.add_alias(&address, &targets).await?;
            outln!("added alias {address} -> {}", a.targets.join(", "));
        }
        AliasCmd::Delete { address } => {
            o.dir.delete_alias(&address).await?;
            outln!("deleted alias {address}");
        }
        AliasCmd::List { domain } => {
            for a in o.dir.list_aliases(&domain).await? {
                outln!("{}@{domain}\t{}", a.local, a.targets.join(", "));
            }
        }
    }
    Ok(())
}
