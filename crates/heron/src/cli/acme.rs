//! `heron acme status`: how the ACME settings stand on this node and the certificate kept in
//! `DATA/tls/acme/` (names, issuer, serial, end of validity, and whether it is due for
//! renewal). `heron acme renew`: ask the running server to renew now (a marker file it looks
//! for every few seconds). The server renews by itself too; a change of any `acme.` setting
//! makes it look at once.

use clap::Subcommand;
use heron_acme::certinfo::describe_file;
use std::sync::Arc;

use heron_acme::{AcmeConfig, AcmeFiles, HostedDomains, manager};
use heron_store::Store;

use crate::out::outln;

/// ACME commands.
#[derive(Subcommand)]
pub enum AcmeCmd {
    /// Show the ACME settings and the certificate obtained on this node.
    Status,
    /// Ask the server running on this data directory to renew the certificate now (within
    /// a few seconds; the result is in the events log and in `heron acme status`).
    Renew,
}

/// The enabled hosted domains' names for the certificate keeper; none when the store
/// cannot be read (the keeper then keeps the certificate it has, as for any order failure).
pub fn hosted_domains(store: Arc<dyn Store>) -> HostedDomains {
    Arc::new(move || {
        let store = store.clone();
        Box::pin(async move { enabled_domains(store.as_ref()).await })
    })
}

async fn enabled_domains(store: &dyn Store) -> Vec<String> {
    match store.list_domains().await {
        Ok(all) => all
            .into_iter()
            .filter(|d| !d.disabled)
            .map(|d| d.name)
            .collect(),
        Err(e) => {
            tracing::warn!(target: "events", "ACME: cannot read the hosted domains: {e}");
            Vec::new()
        }
    }
}

/// Run an ACME command.
pub async fn run(at: &super::Location, cmd: AcmeCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        AcmeCmd::Renew => {
            if !heron_acme::config::enabled(&o.settings) {
                anyhow::bail!("ACME is off: set acme.directory first");
            }
            AcmeFiles::new(&at.data).request_renewal()?;
            outln!("renewal asked for; the running server orders a certificate within seconds");
        }
        AcmeCmd::Status => {
            let cfg = AcmeConfig::read(&o.settings, &enabled_domains(o.dir.store().as_ref()).await);
            if !cfg.enabled() {
                outln!("ACME is off (acme.directory is empty)");
            } else {
                outln!("directory: {}", cfg.directory);
                outln!("challenge: {}", cfg.challenge.as_str());
                outln!("names:     {}", cfg.names.join(", "));
                outln!("renew:     {} days before expiry", cfg.renew_days);
            }
            let files = AcmeFiles::new(&at.data);
            let (cert, _) = files.pair();
            if !files.has_certificate() {
                outln!("certificate: none yet ({})", cert.display());
                return Ok(());
            }
            let d = describe_file(&cert)?;
            let when = |t: i64| {
                chrono::DateTime::from_timestamp(t, 0)
                    .map_or_else(|| t.to_string(), |d| d.to_rfc3339())
            };
            outln!("certificate: {}", cert.display());
            outln!("  names:     {}", d.names.join(", "));
            outln!("  issuer:    {}", d.issuer);
            outln!("  serial:    {}", d.serial);
            outln!("  not after: {}", when(d.not_after));
            if cfg.enabled() {
                let now = chrono::Utc::now().timestamp();
                match manager::due(&cfg, Some(&d), now) {
                    Some(why) => outln!("  renewal:   due ({why})"),
                    None => outln!("  renewal:   not due"),
                }
            }
        }
    }
    Ok(())
}
