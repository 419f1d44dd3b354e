//! `heron pop-retrieval list|add|remove|fetch`: a user's POP-retrieval accounts (ACCESS-4).
//! The password is read from `HERON_POP_PASSWORD` or the first line of standard input, never
//! from the command line (where other local users could see it).

use std::io::BufRead;

use anyhow::Context;
use clap::Subcommand;
use heron_pop3::retrieval::{Retrieval, accounts};
use heron_store::PopTls;

use crate::out::outln;

/// POP-retrieval commands.
#[derive(Subcommand)]
pub enum PopRetrievalCmd {
    /// List a user's POP-retrieval accounts.
    List { user: String },
    /// Add a POP-retrieval account to a user (password from HERON_POP_PASSWORD or stdin).
    Add {
        user: String,
        /// The remote POP3 server.
        host: String,
        /// The login on the remote server.
        login: String,
        #[arg(long)]
        port: Option<u16>,
        /// none, starttls or tls.
        #[arg(long, default_value = "starttls")]
        tls: String,
        /// Accept any certificate of the remote server (a private server only).
        #[arg(long)]
        no_verify_tls: bool,
        /// Delete fetched messages on the remote server.
        #[arg(long)]
        delete: bool,
        #[arg(long, default_value = "INBOX")]
        folder: String,
    },
    /// Remove one of a user's POP-retrieval accounts.
    Remove { user: String, id: i64 },
    /// Fetch one of a user's POP-retrieval accounts now.
    Fetch { user: String, id: i64 },
}

fn password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("HERON_POP_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Run a POP-retrieval command.
pub async fn run(at: &super::Location, cmd: PopRetrievalCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let store = o.dir.store().clone();
    match cmd {
        PopRetrievalCmd::List { user } => {
            let u = o.dir.user(&user).await?;
            for a in store.pop_accounts(Some(u.id)).await? {
                let v = accounts::AccountView::from(&a);
                outln!(
                    "{}\t{}@{}:{}\t{}\t{}\t{}\tlast_run={}\t{}",
                    v.id,
                    v.login,
                    v.host,
                    v.port,
                    v.tls.as_str(),
                    v.folder,
                    if v.leave_on_server { "keep" } else { "delete" },
                    v.last_run,
                    if v.last_error.is_empty() {
                        "ok"
                    } else {
                        &v.last_error
                    }
                );
            }
        }
        PopRetrievalCmd::Add {
            user,
            host,
            login,
            port,
            tls,
            no_verify_tls,
            delete,
            folder,
        } => {
            let u = o.dir.user(&user).await?;
            let tls = PopTls::parse(&tls)
                .with_context(|| format!("--tls must be none, starttls or tls, not {tls}"))?;
            let port = port.unwrap_or(if tls == PopTls::Tls { 995 } else { 110 });
            let input = accounts::AccountInput {
                host,
                port,
                tls,
                verify_tls: !no_verify_tls,
                login,
                password: Some(password()?),
                leave_on_server: !delete,
                folder,
                enabled: true,
            };
            let v = accounts::add(store.as_ref(), u.id, &input).await?;
            outln!("added POP-retrieval account {} for {user}", v.id);
        }
        PopRetrievalCmd::Remove { user, id } => {
            let u = o.dir.user(&user).await?;
            accounts::owned(store.as_ref(), u.id, id).await?;
            store.pop_account_remove(id).await?;
            outln!("removed POP-retrieval account {id} of {user}");
        }
        PopRetrievalCmd::Fetch { user, id } => {
            let u = o.dir.user(&user).await?;
            accounts::owned(store.as_ref(), u.id, id).await?;
            let r = Retrieval::new(store, o.settings.clone());
            match r.fetch_now(id).await? {
                None => outln!("account {id} is being fetched already"),
                Some(Ok(x)) => outln!(
                    "fetched {} messages, deleted {}, skipped {}",
                    x.fetched,
                    x.deleted,
                    x.skipped
                ),
                Some(Err(e)) => anyhow::bail!("fetching account {id} failed: {e}"),
            }
        }
    }
    Ok(())
}
