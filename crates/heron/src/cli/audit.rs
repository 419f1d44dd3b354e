//! CLI changes in the events log: a command that changes the data directory (a domain, a
//! user, a setting, the spool, a key, a token, the administrator's password, an import)
//! leaves a line in `events-DATE.log` naming the process that made it (pid and user id) and
//! the command line, as the admin API's changes do with the administrator and address.
//!
//! Invariants: a password given on the command line never reaches the log (the value after
//! `--password` is replaced); commands that only read (list, show, get) leave no line, except
//! an archive export; a failed change is logged with its error.

use crate::Command;

/// Whether `command` changes what is stored (so it belongs in the events log).
pub fn changes(command: &Command) -> bool {
    use super::settings::SettingsCmd;
    use super::{alias::AliasCmd, dkim::DkimCmd, domain::DomainCmd, filter::FilterCmd};
    use super::{spool::SpoolCmd, token::TokenCmd, user::UserCmd};
    match command {
        Command::Serve(_) | Command::Migrate(_) | Command::Store(_) | Command::Dns { .. } => false,
        Command::Acme(c) => matches!(c, super::acme::AcmeCmd::Renew),
        Command::Backup { .. } | Command::Restore { .. } => false,
        Command::Domain(c) => !matches!(c, DomainCmd::List | DomainCmd::Show { .. }),
        Command::User(c) => !matches!(c, UserCmd::List { .. }),
        Command::Alias(c) => !matches!(c, AliasCmd::List { .. }),
        Command::PopRetrieval(c) => {
            !matches!(c, super::pop_retrieval::PopRetrievalCmd::List { .. })
        }
        Command::Public(c) => !matches!(c, super::public::PublicCmd::List { .. }),
        Command::Settings(c) => !matches!(c, SettingsCmd::List | SettingsCmd::Get { .. }),
        Command::Spool(c) => !matches!(c, SpoolCmd::List { .. } | SpoolCmd::Show { .. }),
        // Reading the archive out is logged like a change: who took a copy of whose mail.
        Command::Archive(c) => matches!(c, super::archive::ArchiveCmd::Export { .. }),
        Command::Dkim(c) => !matches!(c, DkimCmd::Show { .. }),
        Command::Filter(c) => !matches!(c, FilterCmd::Show { .. }),
        Command::Token(c) => !matches!(c, TokenCmd::List),
        Command::Init | Command::Import(_) | Command::Admin(_) => true,
        Command::Blocks(c) => !matches!(c, super::blocks::BlocksCmd::List),
    }
}

/// The command line as the log shows it: `heron` and the arguments, passwords hidden.
pub fn describe(args: impl IntoIterator<Item = String>) -> String {
    let mut out = vec!["heron".to_owned()];
    let mut hide_next = false;
    for a in args.into_iter().skip(1) {
        if hide_next {
            out.push("***".to_owned());
            hide_next = false;
        } else if a == "--password" {
            out.push(a);
            hide_next = true;
        } else if a.starts_with("--password=") {
            out.push("--password=***".to_owned());
        } else {
            out.push(a);
        }
    }
    out.join(" ")
}

/// Appends the line for a change that ran, with how it ended.
pub async fn record(at: &super::Location, command_line: &str, outcome: &anyhow::Result<()>) {
    let data = &at.data;
    // With a shared store the command may run where no node lives: no directory, no log.
    if at.store.is_some() && !data.is_dir() {
        return;
    }
    let Ok(opened) = super::open(at).await else {
        return;
    };
    let who = format!("cli (pid {}, uid {})", std::process::id(), uid());
    let text = match outcome {
        Ok(()) => format!("{who}: {command_line}"),
        Err(e) => format!("{who}: {command_line}: failed: {e:#}"),
    };
    crate::logs::append_event(data, &opened.settings, &text);
}

/// The user id this process runs as: the owner of its `/proc/self` entry, or `?`.
fn uid() -> String {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or_else(|_| "?".to_owned(), |m| m.uid().to_string())
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn passwords_never_reach_the_log() {
        let line = |args: &[&str]| describe(args.iter().map(|a| (*a).to_owned()));
        assert_eq!(
            line(&[
                "/usr/bin/heron",
                "user",
                "add",
                "a@b.test",
                "--password",
                "s3cret"
            ]),
            "heron user add a@b.test --password ***"
        );
        assert_eq!(
            line(&["heron", "user", "passwd", "a@b.test", "--password=s3cret"]),
            "heron user passwd a@b.test --password=***"
        );
        assert_eq!(
            line(&["heron", "domain", "add", "x.test"]),
            "heron domain add x.test"
        );
    }
}
