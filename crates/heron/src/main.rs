//! The `heron` binary: command-line parsing and dispatch only. Each command lives in its own
//! module under [`cli`]; the server's wiring is in [`cli::serve`].

mod cli;
mod datadir;
mod lock;
mod logs;
mod nofile;
mod out;
mod store_url;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the C library's allocator: a server's many short-lived buffers
/// (command lines, response lines, parsed messages) are allocated and freed on several
/// threads, where glibc's arenas spent a tenth of the CPU under IMAP load.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How the data directory is found, shown under `heron --help`.
const DATA_HELP: &str = "\
The data directory (database, message files, certificates, logs) is, first match wins:
  1. --data DIR
  2. the HERON_DATA environment variable
  3. `data = \"/path\"` in the bootstrap file /etc/heron/heron.toml
     (or the file the HERON_CONFIG environment variable names)
  4. ./heron-data
Only `heron serve` and `heron init` create a data directory; every other command
fails on a directory that is not one.

The store is the data directory's own (SQLite and message files) unless one PostgreSQL
database shared by several nodes is named, first match wins:
  1. --store postgres://USER:PASSWORD@HOST:PORT/DB
  2. the HERON_STORE environment variable
  3. `store = \"postgres://...\"` in the bootstrap file
The data directory then keeps only the node's own files (logs, certificates, lock).";

/// Heron: an all-in-one mail server.
#[derive(Parser)]
#[command(name = "heron", version, about, after_help = DATA_HELP)]
struct Args {
    /// Data directory (database, message files, certificates, logs); see below for the
    /// order in which it is looked for.
    #[arg(long, global = true, env = "HERON_DATA")]
    data: Option<PathBuf>,
    /// A PostgreSQL database shared by several nodes (postgres://USER:PASSWORD@HOST/DB)
    /// instead of the data directory's embedded store.
    #[arg(long, global = true, env = "HERON_STORE", value_name = "URL")]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the server in the foreground until SIGTERM or Ctrl-C (makes the data directory
    /// on first start).
    Serve(cli::serve::ServeArgs),
    /// Make a new data directory without starting the server.
    Init,
    /// Manage hosted domains.
    #[command(subcommand)]
    Domain(cli::domain::DomainCmd),
    /// Manage users (mailboxes).
    #[command(subcommand)]
    User(cli::user::UserCmd),
    /// Manage aliases.
    #[command(subcommand)]
    Alias(cli::alias::AliasCmd),
    /// Manage users' POP-retrieval accounts (external POP3 mailboxes fetched on a schedule).
    #[command(subcommand)]
    PopRetrieval(cli::pop_retrieval::PopRetrievalCmd),
    /// Manage a domain's public folders (shared IMAP folders of the domain).
    #[command(subcommand)]
    Public(cli::public::PublicCmd),
    /// Read and change runtime settings.
    #[command(subcommand)]
    Settings(cli::settings::SettingsCmd),
    /// Inspect and act on the outbound spool.
    #[command(subcommand)]
    Spool(cli::spool::SpoolCmd),
    /// Search the message archive and export archived messages as mbox (OPS-5).
    #[command(subcommand)]
    Archive(cli::archive::ArchiveCmd),
    /// DKIM signing keys of hosted domains.
    #[command(subcommand)]
    Dkim(cli::dkim::DkimCmd),
    /// Certificates from an ACME authority (acme.* settings) on this node.
    #[command(subcommand)]
    Acme(cli::acme::AcmeCmd),
    /// Every DNS record a hosted domain should publish, checked against the DNS.
    Dns {
        domain: String,
        /// Only print the records; do not look them up.
        #[arg(long)]
        no_check: bool,
    },
    /// Spam-filter settings of one domain or user, and a domain's filtering switch.
    #[command(subcommand)]
    Filter(cli::filter::FilterCmd),
    /// Import messages from an .eml file, a Maildir or an mbox into a mailbox.
    Import(cli::import::ImportArgs),
    /// The system administrator of the admin UI and API (reset a lost password).
    #[command(subcommand)]
    Admin(cli::admin::AdminCmd),
    /// Bearer tokens for the admin API.
    #[command(subcommand)]
    Token(cli::token::TokenCmd),
    /// List the store's schema migrations, applied and pending; apply them with --apply.
    Migrate(cli::migrate::MigrateArgs),
    /// Move a store: copy a data directory's store into PostgreSQL.
    #[command(subcommand)]
    Store(cli::store::StoreCmd),
    /// Blocks placed by the abuse rules (failed logins, harvesting, floods, spam runs): list
    /// and lift them.
    #[command(subcommand)]
    Blocks(cli::blocks::BlocksCmd),
    /// Back up the embedded store while the server runs: a database snapshot, the message
    /// files and certificates, with a manifest of checksums. Again into the same directory,
    /// only new message files are copied.
    Backup {
        /// The backup directory (outside the data directory).
        dest: PathBuf,
    },
    /// Restore a backup made by `heron backup` into an empty data directory (--data).
    Restore {
        /// The backup directory.
        src: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let config = std::env::var_os(datadir::CONFIG_ENV).map(PathBuf::from);
        let data = datadir::resolve(args.data, config.clone())?;
        let store = datadir::resolve_store(args.store, config)?
            .map(|s| store_url::StoreUrl::parse(&s))
            .transpose()?;
        let at = cli::Location { data, store };
        let audited = cli::audit::changes(&args.command);
        let outcome = match args.command {
            Command::Serve(a) => cli::serve::run(&at, a).await,
            Command::Init => cli::init::run(&at).await,
            Command::Domain(c) => cli::domain::run(&at, c).await,
            Command::User(c) => cli::user::run(&at, c).await,
            Command::Alias(c) => cli::alias::run(&at, c).await,
            Command::PopRetrieval(c) => cli::pop_retrieval::run(&at, c).await,
            Command::Public(c) => cli::public::run(&at, c).await,
            Command::Settings(c) => cli::settings::run(&at, c).await,
            Command::Import(a) => cli::import::run(&at, a).await,
            Command::Spool(c) => cli::spool::run(&at, c).await,
            Command::Archive(c) => cli::archive::run(&at, c).await,
            Command::Dkim(c) => cli::dkim::run(&at, c).await,
            Command::Acme(c) => cli::acme::run(&at, c).await,
            Command::Dns { domain, no_check } => cli::dns::run(&at, &domain, no_check).await,
            Command::Filter(c) => cli::filter::run(&at, c).await,
            Command::Admin(c) => cli::admin::run(&at, c).await,
            Command::Token(c) => cli::token::run(&at, c).await,
            Command::Migrate(a) => cli::migrate::run(&at, a).await,
            Command::Store(c) => cli::store::run(c).await,
            Command::Blocks(c) => cli::blocks::run(&at, c).await,
            Command::Backup { dest } => cli::backup::backup(&at, &dest).await,
            Command::Restore { src } => cli::backup::restore(&at, &src).await,
        };
        if audited {
            let line = cli::audit::describe(std::env::args());
            cli::audit::record(&at, &line, &outcome).await;
        }
        outcome
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
