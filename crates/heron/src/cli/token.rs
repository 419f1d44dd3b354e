//! `heron token create|list|revoke`: the admin API's bearer tokens (they act as the system
//! administrator), made the same way as by `POST /api/v1/tokens` ([`heron_admin::tokens`]).
//! The secret is printed once, at creation; only its hash is kept.

use crate::out::outln;
use clap::Subcommand;

/// Token commands.
#[derive(Subcommand)]
pub enum TokenCmd {
    /// Make a token and print its secret (shown only now).
    Create {
        /// What the token is for (1 to 100 characters).
        name: String,
    },
    /// List tokens (id, creation time, name); secrets are never shown.
    List,
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

/// Run a token command.
pub async fn run(at: &super::Location, cmd: TokenCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        TokenCmd::Create { name } => {
            let name = heron_admin::tokens::valid_name(&name)
                .ok_or_else(|| anyhow::anyhow!("{}", heron_admin::tokens::NAME_RULE))?;
            let (t, secret) = heron_admin::tokens::create(&o.dir, name).await?;
            eprintln!(
                "token {} {:?} made; send it as `Authorization: Bearer TOKEN` (it is not shown again):",
                t.id, t.name
            );
            outln!("{secret}");
        }
        TokenCmd::List => {
            for t in o.dir.store().list_tokens().await? {
                let when = chrono::DateTime::from_timestamp(t.created_at, 0)
                    .map(|d| d.format("%Y-%m-%d %H:%M:%SZ").to_string())
                    .unwrap_or_default();
                outln!("{}\t{when}\t{}", t.id, t.name);
            }
        }
        TokenCmd::Revoke { id } => {
            o.dir.store().delete_token(id).await?;
            outln!("revoked token {id}");
        }
    }
    Ok(())
}
