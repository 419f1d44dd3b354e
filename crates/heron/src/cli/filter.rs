//! `heron filter show|set|unset TARGET`: a domain's or a user's own spam-filter settings
//! (FILTER-3) and a domain's filtering switch (DOM-3). TARGET is a domain name or a user's
//! address; names are those of the `filter.` settings a domain or user may set.
//!
//! Invariant: a value is checked as the `filter.` setting of its name before it is saved.

use crate::out::outln;
use clap::Subcommand;
use heron_filter::Policy;
use heron_filter::policy::{OVERRIDABLE, SWITCH, validate};
use heron_settings::defs;
use heron_store::FilterOverrides;

/// Filter-settings commands.
#[derive(Subcommand)]
pub enum FilterCmd {
    /// Show what a domain or user set and the policy its mail gets.
    Show { target: String },
    /// Set one: level_low|level_medium|level_high (weights), action_* (deliver, subject,
    /// header, junk, delete, bounce), text_*, and for a domain enabled (true/false).
    Set {
        target: String,
        name: String,
        value: String,
    },
    /// Go back to the server's (or the domain's) value for one name.
    Unset { target: String, name: String },
}

/// Run a filter command.
pub async fn run(at: &super::Location, cmd: FilterCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let (target, change) = match cmd {
        FilterCmd::Show { target } => (target, None),
        FilterCmd::Set {
            target,
            name,
            value,
        } => {
            let name = name.trim().to_ascii_lowercase();
            let value = validate(&name, &value).map_err(|e| anyhow::anyhow!("{e}"))?;
            (target, Some((name, Some(value))))
        }
        FilterCmd::Unset { target, name } => {
            let name = name.trim().to_ascii_lowercase();
            if name != SWITCH && !OVERRIDABLE.contains(&name.as_str()) {
                anyhow::bail!("{name} is not a filter setting a domain or user may set");
            }
            (target, Some((name, None)))
        }
    };
    let settings = o.dir.settings();
    let edit = |f: &mut FilterOverrides| {
        if let Some((name, value)) = &change {
            match value {
                Some(v) => f.0.insert(name.clone(), v.clone()),
                None => f.0.remove(name),
            };
        }
    };
    let (own, policy, applies) = if target.contains('@') {
        if matches!(&change, Some((n, _)) if n == SWITCH) {
            anyhow::bail!("filtering is turned on or off for a whole domain, not for one user");
        }
        let mut u = o.dir.user(&target).await?;
        let d = o
            .dir
            .domain_by_id(u.domain_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no domain"))?;
        if change.is_some() {
            edit(&mut u.filter);
            o.dir.store().update_user(&u).await?;
        }
        let p = Policy::of(settings, &d.filter, &u.filter);
        (u.filter, p, settings.get(defs::FILTER_USER_OVERRIDES))
    } else {
        let mut d = o.dir.domain(&target).await?;
        if change.is_some() {
            edit(&mut d.filter);
            o.dir.update_domain(&d).await?;
        }
        let p = Policy::of(settings, &d.filter, &FilterOverrides::default());
        (d.filter, p, settings.get(defs::FILTER_DOMAIN_OVERRIDES))
    };
    outln!("spam filter of {target}");
    if own.0.is_empty() {
        outln!("  own settings: none");
    }
    for (name, value) in &own.0 {
        outln!("  own {name}: {value}");
    }
    if !applies && own.0.keys().any(|n| n != SWITCH) {
        outln!(
            "  (own levels, actions and texts do not apply now: the server's filter settings do not allow them)"
        );
    }
    outln!("  filtering: {}", if policy.enabled { "on" } else { "off" });
    for (i, level) in ["low", "medium", "high"].iter().enumerate() {
        outln!(
            "  {level}: from weight {}, {} {:?}",
            policy.thresholds[i],
            policy.actions[i],
            policy.texts[i]
        );
    }
    Ok(())
}
