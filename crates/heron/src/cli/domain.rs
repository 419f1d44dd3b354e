//! `heron domain add|list|delete`.

use crate::out::outln;
use clap::Subcommand;
use heron_directory::DomainChange;

/// Domain commands.
#[derive(Subcommand)]
pub enum DomainCmd {
    /// Add a domain (default limits apply).
    Add { name: String },
    /// List domains.
    List,
    /// Show a domain's settings and limits.
    Show { name: String },
    /// Change a domain's switches and DOM-4 limits (0 = unlimited).
    Set(Box<DomainSet>),
    /// Make another domain name deliver to this domain's mailboxes.
    AliasAdd { alias: String, domain: String },
    /// Delete a domain with all its users and mail. Irreversible.
    Delete {
        name: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
}

/// `heron domain set NAME [--option VALUE]...`
#[derive(clap::Args)]
pub struct DomainSet {
    name: String,
    #[arg(long)]
    disabled: Option<bool>,
    /// Local part or address receiving mail for unknown recipients; empty to clear.
    #[arg(long)]
    catch_all: Option<String>,
    #[arg(long)]
    require_smtp_auth: Option<bool>,
    #[arg(long)]
    disk_mb: Option<u64>,
    #[arg(long)]
    max_users: Option<u32>,
    #[arg(long)]
    max_aliases: Option<u32>,
    #[arg(long)]
    max_domain_aliases: Option<u32>,
    /// Largest message the domain's users may send, in KB (0 = unlimited); mail to the
    /// domain is limited by `smtp_in.max_message_mb` only.
    #[arg(long)]
    max_message_kb: Option<u64>,
    #[arg(long)]
    max_recipients: Option<u32>,
    /// Greylist mail to the domain when greylisting is on (`greylist.enabled`).
    #[arg(long)]
    greylisting: Option<bool>,
    /// Messages the domain's users may send per hour together (0 = unlimited; -1 = the
    /// server's `throttle.messages_per_hour`).
    #[arg(long, allow_negative_numbers = true)]
    messages_per_hour: Option<i64>,
    /// MB the domain's users may send per hour together (0 = unlimited; -1 = the server's
    /// `throttle.mb_per_hour`).
    #[arg(long, allow_negative_numbers = true)]
    mb_per_hour: Option<i64>,
    /// Bounces the domain may receive per hour (0 = unlimited; -1 = the server's
    /// `throttle.bounces_per_hour`).
    #[arg(long, allow_negative_numbers = true)]
    bounces_per_hour: Option<i64>,
    /// BIND-4: bind the domain to this IP address (connections there greet with the
    /// domain's host name; its outbound mail leaves from it); empty to clear.
    #[arg(long)]
    bind_ip: Option<String>,
    /// DOM-2: an alternate SMTP port served besides the standard one (on the bound IP, else
    /// on every SMTP address), for users whose provider blocks port 25; 0 to clear.
    #[arg(long)]
    smtp_alt_port: Option<u16>,
    /// OPS-5: the domain's own archiving rule: none, all, incoming, outgoing, or default
    /// (follow the server's `archive.rule`).
    #[arg(long)]
    archive: Option<String>,
    /// DOM-4: POP-retrieval accounts per user (0 = unlimited).
    #[arg(long)]
    max_pop_accounts: Option<u32>,
    /// DOM-3: fetch the domain's users' POP-retrieval accounts and let them add some.
    #[arg(long)]
    pop_retrieval: Option<bool>,
    /// OPS-6: the domain's own folder auto-clean rules (`autoclean.rules` syntax, e.g.
    /// "\Trash age=30"); empty to clear.
    #[arg(long)]
    autoclean_rules: Option<String>,
    /// OPS-6: let the domain's users override its auto-clean rules with their own.
    #[arg(long)]
    autoclean_user_override: Option<bool>,
}

/// Apply the options given.
async fn set(o: &super::Opened, a: DomainSet) -> anyhow::Result<()> {
    let change = DomainChange {
        disabled: a.disabled,
        catch_all: a.catch_all,
        require_smtp_auth: a.require_smtp_auth,
        disk_mb: a.disk_mb,
        max_users: a.max_users,
        max_aliases: a.max_aliases,
        max_domain_aliases: a.max_domain_aliases,
        max_message_kb: a.max_message_kb,
        max_recipients: a.max_recipients,
        greylisting: a.greylisting,
        messages_per_hour: a.messages_per_hour.map(|v| u64::try_from(v).ok()),
        mb_per_hour: a.mb_per_hour.map(|v| u64::try_from(v).ok()),
        bounces_per_hour: a.bounces_per_hour.map(|v| u64::try_from(v).ok()),
        bind_ip: a.bind_ip,
        smtp_alt_port: a.smtp_alt_port,
        archive_rule: match a.archive.as_deref().map(str::trim) {
            None => None,
            Some("default") | Some("") => Some(None),
            Some(v) => Some(Some(
                heron_store::archive::ArchiveRule::parse(v).ok_or_else(|| {
                    anyhow::anyhow!("--archive is none, all, incoming, outgoing or default")
                })?,
            )),
        },
        max_pop_accounts: a.max_pop_accounts,
        pop_retrieval: a.pop_retrieval,
        autoclean_rules: a.autoclean_rules,
        autoclean_user_override: a.autoclean_user_override,
    };
    let d = o.dir.change_domain(&a.name, &change).await?;
    if let Some(ip) = d.bind_ip.as_deref().and_then(|ip| ip.parse().ok())
        && !heron_net::host_addresses().contains(&ip)
    {
        eprintln!(
            "warning: {ip} is not an address of this host: nothing listens there and mail cannot be sent from it until it is"
        );
    }
    show(o, &d.name).await
}

async fn show(o: &super::Opened, name: &str) -> anyhow::Result<()> {
    let d = o.dir.domain(name).await?;
    let used = o.dir.store().domain_usage(d.id).await?;
    let aliases = o.dir.store().list_domain_aliases(d.id).await?;
    outln!(
        "domain {}
  disabled: {}
  catch-all: {}
  require SMTP AUTH: {}
  greylisting: {}
  bound to IP: {}
  alternate SMTP port: {}
  archive rule: {}
  POP retrieval: {} (at most {} accounts per user, 0 = unlimited)
  auto-clean rules: {} (users may override: {})",
        d.name,
        d.disabled,
        d.catch_all.as_deref().unwrap_or("-"),
        d.require_smtp_auth,
        if d.greylisting { "on" } else { "off" },
        d.bind_ip.as_deref().unwrap_or("-"),
        d.smtp_alt_port
            .map_or_else(|| "-".to_owned(), |p| p.to_string()),
        d.archive_rule
            .map_or("default (archive.rule)", |r| r.as_str()),
        if d.pop_retrieval { "on" } else { "off" },
        d.limits.pop_retrieval_accounts,
        if d.autoclean_rules.is_empty() {
            "-"
        } else {
            &d.autoclean_rules
        },
        d.autoclean_user_override
    );
    outln!(
        "  domain aliases: {}
  disk used: {used} bytes",
        if aliases.is_empty() {
            "-".into()
        } else {
            aliases.join(", ")
        }
    );
    let l = &d.limits;
    outln!(
        "  limits (0 = unlimited): disk {} MB, users {}, aliases {}, domain aliases {}, lists {}, message {} KB, recipients {}",
        l.disk_mb,
        l.users,
        l.user_aliases,
        l.domain_aliases,
        l.mailing_lists,
        l.max_message_kb,
        l.recipients_per_message
    );
    let own = |v: Option<u64>| v.map_or_else(|| "server default".to_owned(), |v| v.to_string());
    outln!(
        "  throttles per hour (0 = unlimited): messages {}, MB {}, bounces {}",
        own(l.messages_per_hour),
        own(l.mb_per_hour),
        own(l.bounces_per_hour)
    );
    Ok(())
}

/// Run a domain command.
pub async fn run(at: &super::Location, cmd: DomainCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        DomainCmd::Add { name } => {
            let d = o.dir.add_domain(&name).await?;
            outln!("added domain {}", d.name);
        }
        DomainCmd::List => {
            for d in o.dir.list_domains().await? {
                let users = o.dir.list_users(&d.name).await?.len();
                let state = if d.disabled { " (disabled)" } else { "" };
                outln!("{}{state}\t{users} users", d.name);
            }
        }
        DomainCmd::Show { name } => show(&o, &name).await?,
        DomainCmd::Set(a) => set(&o, *a).await?,
        DomainCmd::AliasAdd { alias, domain } => {
            o.dir.add_domain_alias(&alias, &domain).await?;
            outln!("{alias} now delivers to {domain}");
        }
        DomainCmd::Delete { name, yes } => {
            if !yes {
                anyhow::bail!(
                    "deleting {name} removes all its users and mail for good; repeat with --yes to confirm"
                );
            }
            o.dir.delete_domain(&name).await?;
            outln!("deleted domain {name}");
        }
    }
    Ok(())
}
