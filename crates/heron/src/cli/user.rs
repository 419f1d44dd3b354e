//! `heron user add|passwd|delete|list`.

use crate::out::outln;
use clap::Subcommand;
use heron_store::Role;

/// User commands.
#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user (mailbox) with the default folders.
    Add {
        address: String,
        #[arg(long, help = super::password::HELP)]
        password: Option<String>,
        /// Make the user an administrator of its domain.
        #[arg(long)]
        domain_admin: bool,
    },
    /// Change a user's password.
    Passwd {
        address: String,
        #[arg(long, help = super::password::HELP)]
        password: Option<String>,
    },
    /// Change a user's quota, name, disabled flag, greylisting switch, throttles or auto-clean rules.
    Set {
        address: String,
        /// Mailbox quota in MB; 0 = only the domain's limit.
        #[arg(long)]
        quota_mb: Option<u64>,
        #[arg(long)]
        disabled: Option<bool>,
        #[arg(long)]
        display_name: Option<String>,
        /// Greylist mail to the user when greylisting is on (and `greylist.user_override`).
        #[arg(long)]
        greylisting: Option<bool>,
        /// Messages the user may send per hour (0 = unlimited; -1 = the server's
        /// `throttle.user_messages_per_hour`).
        #[arg(long, allow_negative_numbers = true)]
        messages_per_hour: Option<i64>,
        /// MB the user may send per hour (0 = unlimited; -1 = `throttle.user_mb_per_hour`).
        #[arg(long, allow_negative_numbers = true)]
        mb_per_hour: Option<i64>,
        /// Bounces the mailbox may receive per hour (0 = unlimited; -1 =
        /// `throttle.user_bounces_per_hour`).
        #[arg(long, allow_negative_numbers = true)]
        bounces_per_hour: Option<i64>,
        /// The user's own folder auto-clean rules (`autoclean.rules` syntax); empty to
        /// clear. They apply when the server and the domain let users override.
        #[arg(long)]
        autoclean_rules: Option<String>,
    },
    /// Delete a user with its mail.
    Delete { address: String },
    /// List the users of a domain.
    List { domain: String },
}

/// Run a user command.
pub async fn run(at: &super::Location, cmd: UserCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        UserCmd::Add {
            address,
            password,
            domain_admin,
        } => {
            let role = if domain_admin {
                Role::DomainAdmin
            } else {
                Role::User
            };
            let password = super::password::read(password, &address)?;
            let u = o.dir.add_user(&address, &password, role).await?;
            outln!(
                "added user {}@{}",
                u.local,
                address
                    .rsplit_once('@')
                    .map(|x| x.1)
                    .unwrap_or_default()
                    .to_lowercase()
            );
        }
        UserCmd::Passwd { address, password } => {
            let password = super::password::read(password, &address)?;
            o.dir.set_password(&address, &password).await?;
            outln!("password of {address} changed");
        }
        UserCmd::Set {
            address,
            quota_mb,
            disabled,
            display_name,
            greylisting,
            messages_per_hour,
            mb_per_hour,
            bounces_per_hour,
            autoclean_rules,
        } => {
            let mut u = o.dir.user(&address).await?;
            if let Some(r) = autoclean_rules {
                u.autoclean_rules =
                    heron_settings::autoclean::check_rules(&r).map_err(anyhow::Error::msg)?;
            }
            quota_mb
                .into_iter()
                .for_each(|q| u.quota_bytes = q * 1024 * 1024);
            disabled.into_iter().for_each(|d| u.disabled = d);
            display_name.into_iter().for_each(|n| u.display_name = n);
            greylisting.into_iter().for_each(|g| u.greylisting = g);
            o.dir.update_user(&u).await?;
            outln!(
                "{address}: quota {} bytes (used {}), disabled {}, greylisting {}, auto-clean rules {}",
                u.quota_bytes,
                u.used_bytes,
                u.disabled,
                if u.greylisting { "on" } else { "off" },
                if u.autoclean_rules.is_empty() {
                    "-"
                } else {
                    &u.autoclean_rules
                }
            );
            let store = o.dir.store();
            let mut t = store.user_throttle(u.id).await?;
            let set = |v: Option<i64>, old: Option<u64>| v.map_or(old, |v| u64::try_from(v).ok());
            t.messages_per_hour = set(messages_per_hour, t.messages_per_hour);
            t.mb_per_hour = set(mb_per_hour, t.mb_per_hour);
            t.bounces_per_hour = set(bounces_per_hour, t.bounces_per_hour);
            store.set_user_throttle(u.id, &t).await?;
            let own =
                |v: Option<u64>| v.map_or_else(|| "server default".to_owned(), |v| v.to_string());
            outln!(
                "  throttles per hour (0 = unlimited): messages {}, MB {}, bounces {}",
                own(t.messages_per_hour),
                own(t.mb_per_hour),
                own(t.bounces_per_hour)
            );
        }
        UserCmd::Delete { address } => {
            o.dir.delete_user(&address).await?;
            outln!("deleted user {address}");
        }
        UserCmd::List { domain } => {
            for u in o.dir.list_users(&domain).await? {
                let state = if u.disabled { " (disabled)" } else { "" };
                outln!(
                    "{}@{domain}{state}\t{}\t{} bytes",
                    u.local,
                    u.role.as_str(),
                    u.used_bytes
                );
            }
        }
    }
    Ok(())
}
