//! `heron dkim generate|show|delete`: a hosted domain's DKIM signing key (FILTER-7). The
//! private key stays in the store; the command prints the TXT record to publish.

use crate::out::outln;
use anyhow::Context;
use clap::Subcommand;
use heron_mailauth::dkim::{Algorithm, DkimKey};
use heron_store::DkimRecord;

/// DKIM commands.
#[derive(Subcommand)]
pub enum DkimCmd {
    /// Make a new key for a domain (replacing any) and print the DNS record to publish.
    Generate {
        domain: String,
        /// Selector: the record is published at SELECTOR._domainkey.DOMAIN.
        #[arg(long, default_value = "heron")]
        selector: String,
        /// rsa (2048 bits) or ed25519.
        #[arg(long, default_value = "rsa")]
        algorithm: String,
    },
    /// Print the DNS record of a domain's key.
    Show { domain: String },
    /// Remove a domain's key: its mail is no longer signed.
    Delete { domain: String },
}

/// Run a DKIM command.
pub async fn run(at: &super::Location, cmd: DkimCmd) -> anyhow::Result<()> {
    let o = super::open(at).await?;
    let store = o.dir.store();
    match cmd {
        DkimCmd::Generate {
            domain,
            selector,
            algorithm,
        } => {
            let d = o.dir.domain(&domain).await?;
            let selector = selector.trim().to_ascii_lowercase();
            if selector.is_empty()
                || !selector
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                anyhow::bail!("selector {selector:?}: use letters, digits, '-' and '.'");
            }
            let alg: Algorithm = algorithm.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let key = DkimKey::generate(&d.name, &selector, alg)?;
            store
                .put_dkim_key(&DkimRecord {
                    domain: d.name.clone(),
                    selector,
                    algorithm: alg.to_string(),
                    private_key: key.private_key.clone(),
                    created_at: chrono::Utc::now().timestamp(),
                })
                .await?;
            print_record(&key)?;
        }
        DkimCmd::Show { domain } => {
            let rec = store.get_dkim_key(&domain).await?.with_context(|| {
                format!("{domain} has no DKIM key (heron dkim generate {domain})")
            })?;
            let key = DkimKey::from_pem(&rec.domain, &rec.selector, &rec.private_key)?;
            print_record(&key)?;
        }
        DkimCmd::Delete { domain } => {
            store.delete_dkim_key(&domain).await?;
            outln!("deleted the DKIM key of {domain}; its mail is no longer signed");
        }
    }
    Ok(())
}

/// The record as a zone-file line: the value in quoted strings of at most 255 bytes each.
fn print_record(key: &DkimKey) -> anyhow::Result<()> {
    let strings: Vec<String> = key
        .txt_strings()?
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect();
    outln!("{} IN TXT {}", key.record_name(), strings.join(" "));
    Ok(())
}
