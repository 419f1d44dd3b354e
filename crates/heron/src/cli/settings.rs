//! `heron settings list|get|set|reset`.

use crate::out::outln;
use clap::Subcommand;
use heron_settings::defs::DEFS;

/// Settings commands.
#[derive(Subcommand)]
pub enum SettingsCmd {
    /// Every key with its value, default and meaning.
    List,
    /// Print one value.
    Get { key: String },
    /// Store a value (checked first); a running server applies it at once.
    Set { key: String, value: String },
    /// Forget a stored value so the default applies.
    Reset { key: String },
}

/// Run a settings command.
pub async fn run(at: &super::Location, cmd: SettingsCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let s = &o.settings;
    match cmd {
        SettingsCmd::List => {
            for d in DEFS {
                let value = s.raw(d.key).unwrap_or_default();
                let mark = if s.is_set(d.key) { "*" } else { " " };
                outln!(
                    "{mark}{} = {value:?}\n    {} [{}; default {:?}]",
                    d.key,
                    d.doc.trim(),
                    d.kind.name(),
                    d.default
                );
            }
            outln!("(* = changed from the default)");
        }
        SettingsCmd::Get { key } => {
            heron_settings::defs::find(&key).ok_or_else(|| {
                anyhow::anyhow!("unknown setting {key:?} (see `heron settings list`)")
            })?;
            outln!("{}", s.raw(&key).unwrap_or_default());
        }
        SettingsCmd::Set { key, value } => {
            let warning = heron_net::tls::check_setting(s, &key, &value)
                .map_err(|e| anyhow::anyhow!("{key} not changed: {e}"))?;
            let stored = s.set(&key, &value).await?;
            outln!("{key} = {stored:?}");
            if let Some(w) = warning {
                eprintln!("warning: {w}");
            }
        }
        SettingsCmd::Reset { key } => {
            s.reset(&key).await?;
            outln!(
                "{key} reset to its default {:?}",
                s.raw(&key).unwrap_or_default()
            );
        }
    }
    Ok(())
}
