//! `heron blocks list|remove`: the blocks placed by the abuse rules (failed logins per IP
//! and per account, harvesting and floods per IP, spam runs per account; SEC-2, SEC-7), as the admin API's `/api/v1/blocks`
//! lists and lifts them. Lifting a block also forgets the key's failures.

use clap::Subcommand;
use heron_directory::blocks::KINDS;

use crate::out::outln;

/// Block commands.
#[derive(Subcommand)]
pub enum BlocksCmd {
    /// List the blocks in force: kind, key (IP or login name), end, seconds left.
    List,
    /// Lift a block: KIND is auth-ip, auth-account, harvest, sending or dos-PROTOCOL; KEY the
    /// IP or login name.
    Remove { kind: String, key: String },
}

/// Run a block command.
pub async fn run(at: &super::Location, cmd: BlocksCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let now = chrono::Utc::now().timestamp();
    match cmd {
        BlocksCmd::List => {
            for b in o.dir.store().limit_blocks(now).await? {
                if !KINDS.contains(&b.scope.as_str()) {
                    continue;
                }
                let end = chrono::DateTime::from_timestamp(b.blocked_until, 0)
                    .map(|d| d.format("%Y-%m-%d %H:%M:%SZ").to_string())
                    .unwrap_or_default();
                let left = b.blocked_until - now;
                outln!("{}\t{}\t{end}\t{left}s", b.scope, b.key);
            }
        }
        BlocksCmd::Remove { kind, key } => {
            if !KINDS.contains(&kind.as_str()) {
                anyhow::bail!("no kind of block {kind:?} (one of {})", KINDS.join(", "));
            }
            if !o.dir.lift_block(&kind, &key).await? {
                anyhow::bail!("no {kind} block of {key:?}");
            }
            outln!("lifted the {kind} block of {key}");
        }
    }
    Ok(())
}
