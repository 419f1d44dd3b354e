//! `heron admin passwd`: reset the system administrator's password from the machine, for when
//! it is lost. The new password obeys the password policy and clears the first-login flag;
//! the account is made first if it does not exist yet.

use anyhow::Context;
use clap::Subcommand;

use super::password;
use crate::out::outln;

/// Administrator commands.
#[derive(Subcommand)]
pub enum AdminCmd {
    /// Set the system administrator's password (of the admin UI and API).
    Passwd {
        #[arg(long, help = password::HELP)]
        password: Option<String>,
    },
}

/// Run an administrator command.
pub async fn run(at: &super::Location, cmd: AdminCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        AdminCmd::Passwd { password } => {
            let pw = password::read(password, "the administrator")?;
            o.dir
                .ensure_admin()
                .await
                .context("cannot create the administrator account")?;
            o.dir.set_admin_password(&pw).await?;
            let name = o
                .dir
                .store()
                .get_admin()
                .await?
                .map(|a| a.username)
                .unwrap_or_default();
            outln!("password of the administrator {name} changed");
        }
    }
    Ok(())
}
