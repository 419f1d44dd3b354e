//! `heron public list|add|remove|grant`: a domain's public folders (DOM-5), which IMAP users
//! see under `Public Folders/` as their rights allow.

use crate::out::outln;
use clap::Subcommand;

/// Public folder commands.
#[derive(Subcommand)]
pub enum PublicCmd {
    /// List a domain's public folders with their messages and rights.
    List { domain: String },
    /// Add a public folder (levels separated by `/`); nobody sees it until granted.
    Add { domain: String, name: String },
    /// Remove a public folder with its messages and the folders below it.
    Remove { domain: String, name: String },
    /// Set the rights of `anyone` (every user of the domain) or of one of its users in a
    /// public folder: letters among lrswipkxtea (RFC 4314), or "" to remove the entry.
    Grant {
        domain: String,
        name: String,
        grantee: String,
        rights: String,
    },
}

/// Run a public folder command.
pub async fn run(at: &super::Location, cmd: PublicCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        PublicCmd::List { domain } => {
            for f in o.dir.list_public(&domain).await? {
                let rights: Vec<String> = f
                    .rights
                    .iter()
                    .map(|(who, r)| format!("{who}={r}"))
                    .collect();
                outln!(
                    "{}\t{} messages\t{} bytes\t{}",
                    f.name,
                    f.messages,
                    f.bytes,
                    rights.join(" ")
                );
            }
        }
        PublicCmd::Add { domain, name } => {
            let f = o.dir.add_public(&domain, &name).await?;
            outln!("added public folder {} of {domain}", f.name);
        }
        PublicCmd::Remove { domain, name } => {
            o.dir.remove_public(&domain, &name).await?;
            outln!("removed public folder {name} of {domain}");
        }
        PublicCmd::Grant {
            domain,
            name,
            grantee,
            rights,
        } => {
            o.dir
                .grant_public(&domain, &name, &grantee, &rights)
                .await?;
            if rights.is_empty() {
                outln!("removed the rights of {grantee} on public folder {name} of {domain}");
            } else {
                outln!("{grantee} may now {rights:?} in public folder {name} of {domain}");
            }
        }
    }
    Ok(())
}
