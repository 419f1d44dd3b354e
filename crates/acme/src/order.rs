//! One certificate order (RFC 8555 §7.4): the account (made once per directory and kept),
//! an order for the names, one challenge per authorization answered through
//! [`heron_net::challenge`], then the CSR and the issued chain.
//!
//! Invariant: every challenge answer published for an order is withdrawn when the order
//! ends, whether it succeeded or not.

use std::time::Duration;

use heron_net::challenge;
use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};

use crate::AcmeError;
use crate::config::{AcmeConfig, Challenge};
use crate::files::AcmeFiles;

/// How long the authority gets to validate the challenges and to issue the certificate.
const POLL: RetryPolicy = RetryPolicy::new()
    .initial_delay(Duration::from_millis(500))
    .backoff(1.5)
    .timeout(Duration::from_secs(120));

/// An issued certificate: the chain and its private key, both PEM.
pub struct Issued {
    pub chain_pem: String,
    pub key_pem: String,
}

/// The account at `cfg.directory`: the stored one, or a new one (then stored).
async fn account(cfg: &AcmeConfig, files: &AcmeFiles) -> Result<Account, AcmeError> {
    let builder = || {
        if cfg.ca_file.is_empty() {
            Account::builder()
        } else {
            Account::builder_with_root(&cfg.ca_file)
        }
    };
    if let Some(credentials) = files.account(&cfg.directory)? {
        return Ok(builder()?.from_credentials(credentials).await?);
    }
    let contact = (!cfg.contact.is_empty()).then(|| format!("mailto:{}", cfg.contact));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let new = NewAccount {
        contact: &contacts,
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, credentials) = builder()?.create(&new, cfg.directory.clone(), None).await?;
    files.save_account(&cfg.directory, credentials)?;
    tracing::info!(target: "events", "ACME account made at {}: {}", cfg.directory, account.id());
    Ok(account)
}

/// What was published for one authorization, to withdraw afterwards.
enum Published {
    Http(String),
    TlsAlpn(String),
}

/// Obtain a certificate for `cfg.names`.
pub async fn obtain(cfg: &AcmeConfig, files: &AcmeFiles) -> Result<Issued, AcmeError> {
    let account = account(cfg, files).await?;
    let identifiers: Vec<Identifier> = cfg.names.iter().cloned().map(Identifier::Dns).collect();
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let mut published = Vec::new();
    let result = async {
        answer_challenges(&mut order, cfg.challenge, &mut published).await?;
        let status = order.poll_ready(&POLL).await?;
        if status != OrderStatus::Ready {
            return Err(AcmeError::Refused(format!(
                "the order is {status:?} after its challenges (see the authority's validation errors)"
            )));
        }
        let key_pem = order.finalize().await?;
        let chain_pem = order.poll_certificate(&POLL).await?;
        Ok(Issued { chain_pem, key_pem })
    }
    .await;
    for p in published {
        match p {
            Published::Http(token) => challenge::remove_http(&token),
            Published::TlsAlpn(name) => challenge::remove_tls_alpn(&name),
        }
    }
    result
}

/// Publish the answer of each pending authorization and tell the authority it is ready.
async fn answer_challenges(
    order: &mut instant_acme::Order,
    kind: Challenge,
    published: &mut Vec<Published>,
) -> Result<(), AcmeError> {
    let wanted = match kind {
        Challenge::Http01 => ChallengeType::Http01,
        Challenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
    };
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz?;
        match authz.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => {
                return Err(AcmeError::Refused(format!("an authorization is {other:?}")));
            }
        }
        let mut ch = authz.challenge(wanted.clone()).ok_or_else(|| {
            AcmeError::Refused(format!(
                "the authority offers no {} challenge",
                kind.as_str()
            ))
        })?;
        let name = ch.identifier().to_string();
        let key_authorization = ch.key_authorization();
        match kind {
            Challenge::Http01 => {
                challenge::set_http(&ch.token, key_authorization.as_str());
                published.push(Published::Http(ch.token.clone()));
            }
            Challenge::TlsAlpn01 => {
                challenge::set_tls_alpn(&name, key_authorization.digest().as_ref())?;
                published.push(Published::TlsAlpn(name.clone()));
            }
        }
        ch.set_ready().await?;
        tracing::info!(target: "events", "ACME {} challenge for {name} ready", kind.as_str());
    }
    Ok(())
}
