//! The `heron` binary: command-line parsing and dispatch only. Each command lives in its own
//! module under [`cli`]; the server's wiring is in [`cli::serve`].

mod cli;
mod logs;
mod nofile;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Heron: an all-in-one mail server.
#[derive(Parser)]
#[command(name = "heron", version, about)]
struct Args {
    /// Data directory (database, message files, certificates, logs).
    #[arg(long, global = true, env = "HERON_DATA", default_value = "heron-data")]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server in the foreground until SIGTERM or Ctrl-C.
    Serve(cli::serve::ServeArgs),
    /// Manage hosted domains.
    #[command(subcommand)]
    Domain(cli::domain::DomainCmd),
    /// Manage users (mailboxes).
    #[command(subcommand)]
    User(cli::user::UserCmd),
    /// Manage aliases.
    #[command(subcommand)]
    Alias(cli::alias::AliasCmd),
    /// Read and change runtime settings.
    #[command(subcommand)]
    Settings(cli::settings::SettingsCmd),
    /// Inspect and act on the outbound spool.
    #[command(subcommand)]
    Spool(cli::spool::SpoolCmd),
    /// DKIM signing keys of hosted domains.
    #[command(subcommand)]
    Dkim(cli::dkim::DkimCmd),
    /// Import messages from an .eml file, a Maildir or an mbox into a mailbox.
    Import(cli::import::ImportArgs),
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
        match args.command {
            Command::Serve(a) => cli::serve::run(&args.data, a).await,
            Command::Domain(c) => cli::domain::run(&args.data, c).await,
            Command::User(c) => cli::user::run(&args.data, c).await,
            Command::Alias(c) => cli::alias::run(&args.data, c).await,
            Command::Settings(c) => cli::settings::run(&args.data, c).await,
            Command::Import(a) => cli::import::run(&args.data, a).await,
            Command::Spool(c) => cli::spool::run(&args.data, c).await,
            Command::Dkim(c) => cli::dkim::run(&args.data, c).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
