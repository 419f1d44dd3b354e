//! `heron acme status`: how the ACME settings stand on this node and the certificate kept in
//! `DATA/tls/acme/` (names, issuer, serial, end of validity, and whether it is due for
//! renewal). The running server renews by itself; a change of any `acme.` setting makes it
//! look at once.

use clap::Subcommand;
use heron_acme::{AcmeConfig, AcmeFiles, manager};
use heron_net::certinfo::describe_file;

use crate::out::outln;

/// ACME commands.
#[derive(Subcommand)]
pub enum AcmeCmd {
    /// Show the ACME settings and the certificate obtained on this node.
    Status,
}

/// Run an ACME command.
pub async fn run(at: &super::Location, cmd: AcmeCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    match cmd {
        AcmeCmd::Status => {
            let cfg = AcmeConfig::read(&o.settings);
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
