//! DOM-1 domains and DOM-10 domain aliases and catch-alls.

use heron_store::{Domain, DomainId, NewDomain};

use crate::address::normalise_domain;
use crate::{DefaultField, Directory, DirectoryError, Result, exists_or};

impl Directory {
    /// Add a domain with the limits and switches of the `domain_defaults.*` settings (DOM-12).
    pub async fn add_domain(&self, name: &str) -> Result<Domain> {
        let name = normalise_domain(name).map_err(DirectoryError::Invalid)?;
        if self.store.resolve_domain_alias(&name).await?.is_some() {
            return Err(DirectoryError::Exists(format!("domain alias {name}")));
        }
        let mut d = self
            .store
            .create_domain(NewDomain {
                name: name.clone(),
                limits: self.default_limits(),
            })
            .await
            .map_err(|e| exists_or(e, &format!("domain {name}")))?;
        // The create path carries only limits; the switch goes through the change rule.
        let switch = self.defaults_change(&[DefaultField::RequireSmtpAuth]);
        let before = d.clone();
        switch.apply(&mut d);
        if d != before {
            self.update_domain(&d).await?;
        }
        Ok(d)
    }

    /// A domain by its name or by one of its domain aliases.
    pub async fn find_domain(&self, name: &str) -> Result<Option<Domain>> {
        let Ok(name) = normalise_domain(name) else {
            return Ok(None);
        };
        let generation = self.store.directory_generation();
        if let Some(g) = generation
            && let Some(kept) = self.domains.by_name(&name, g)
        {
            return Ok(kept);
        }
        let found = match self.store.get_domain(&name).await? {
            Some(d) => Some(d),
            None => match self.store.resolve_domain_alias(&name).await? {
                Some(id) => self.store.get_domain_by_id(id).await?,
                None => None,
            },
        };
        if let Some(g) = generation {
            self.domains.keep_name(&name, g, found.clone());
        }
        Ok(found)
    }

    /// A domain by its id (`None` if it is gone).
    pub async fn domain_by_id(&self, id: DomainId) -> Result<Option<Domain>> {
        let generation = self.store.directory_generation();
        if let Some(g) = generation
            && let Some(kept) = self.domains.by_id(id, g)
        {
            return Ok(kept);
        }
        let found = self.store.get_domain_by_id(id).await?;
        if let Some(g) = generation {
            self.domains.keep_id(id, g, found.clone());
        }
        Ok(found)
    }

    /// A domain by its own name, or `NotFound`.
    pub async fn domain(&self, name: &str) -> Result<Domain> {
        let n = normalise_domain(name).map_err(DirectoryError::Invalid)?;
        let generation = self.store.directory_generation();
        let kept = generation.and_then(|g| self.domains.own(&n, g));
        let found = match kept {
            Some(d) => d,
            None => {
                let d = self.store.get_domain(&n).await?;
                if let Some(g) = generation {
                    self.domains.keep_own(&n, g, d.clone());
                }
                d
            }
        };
        found.ok_or_else(|| DirectoryError::NotFound(format!("domain {n}")))
    }

    /// Every domain, by name.
    pub async fn list_domains(&self) -> Result<Vec<Domain>> {
        Ok(self.store.list_domains().await?)
    }

    /// Delete a domain and everything in it. Irreversible.
    pub async fn delete_domain(&self, name: &str) -> Result<()> {
        let d = self.domain(name).await?;
        Ok(self.store.delete_domain(d.id).await?)
    }

    /// Save changed domain fields.
    pub async fn update_domain(&self, d: &Domain) -> Result<()> {
        Ok(self.store.update_domain(d).await?)
    }

    /// Apply an administrator's change to a domain and save it; the domain as it is now.
    pub async fn change_domain(&self, name: &str, c: &DomainChange) -> Result<Domain> {
        let mut d = self.domain(name).await?;
        let mut c = c.clone();
        if let Some(ip) = &c.bind_ip {
            check_bind_ip(ip).map_err(DirectoryError::Invalid)?;
        }
        if let Some(r) = &c.autoclean_rules {
            heron_settings::autoclean::check_rules(r).map_err(DirectoryError::Invalid)?;
        }
        if let Some(t) = c.catch_all.clone().filter(|t| !t.trim().is_empty()) {
            let checked = self.check_target(&t, &d.name).await?;
            // A bare local part stays one: it follows the domain's aliases.
            c.catch_all = Some(if t.contains('@') { checked } else { t });
        }
        c.apply(&mut d);
        self.update_domain(&d).await?;
        Ok(d)
    }

    /// Make `alias` deliver to `domain`'s mailboxes, within the domain-alias limit.
    pub async fn add_domain_alias(&self, alias: &str, domain: &str) -> Result<()> {
        let alias = normalise_domain(alias).map_err(DirectoryError::Invalid)?;
        let d = self.domain(domain).await?;
        let have = self.store.list_domain_aliases(d.id).await?.len() as u64;
        check_limit(
            have,
            d.limits.domain_aliases as u64,
            "domain aliases",
            &d.name,
        )?;
        self.store
            .add_domain_alias(&alias, d.id)
            .await
            .map_err(|e| exists_or(e, &format!("domain {alias}")))
    }

    /// Set or clear a domain's catch-all target (a local part of the domain or an address).
    pub async fn set_catch_all(&self, domain: &str, target: Option<&str>) -> Result<()> {
        let change = DomainChange {
            catch_all: Some(target.unwrap_or_default().to_owned()),
            ..DomainChange::default()
        };
        self.change_domain(domain, &change).await.map(drop)
    }
}

/// DOM-4: `limit` 0 means unlimited; otherwise `have` must stay below it.
pub(crate) fn check_limit(have: u64, limit: u64, what: &str, domain: &str) -> Result<()> {
    if limit != 0 && have >= limit {
        return Err(DirectoryError::Limit(format!(
            "{domain} may have at most {limit} {what}; raise the domain's limit to add more"
        )));
    }
    Ok(())
}

/// The settings of a domain an administrator may change (DOM-1/2/4/10); `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct DomainChange {
    pub disabled: Option<bool>,
    /// Local part or address receiving mail for unknown recipients; empty clears it.
    pub catch_all: Option<String>,
    pub require_smtp_auth: Option<bool>,
    pub disk_mb: Option<u64>,
    pub max_users: Option<u32>,
    pub max_aliases: Option<u32>,
    pub max_domain_aliases: Option<u32>,
    pub max_message_kb: Option<u64>,
    pub max_recipients: Option<u32>,
    /// Mail to the domain is greylisted when greylisting is on (SEC-3, DOM-2).
    pub greylisting: Option<bool>,
    /// Sending throttles (DOM-7), 0 = unlimited; each `Some(None)` returns to the server's
    /// `throttle.*` default.
    pub messages_per_hour: Option<Option<u64>>,
    pub mb_per_hour: Option<Option<u64>>,
    pub bounces_per_hour: Option<Option<u64>>,
    /// BIND-4: the IP address the domain is bound to (its SMTP/POP/IMAP host there, its
    /// outbound mail from there); empty clears it. Checked by [`check_bind_ip`].
    pub bind_ip: Option<String>,
    /// DOM-2: an alternate SMTP port for the domain; 0 clears it.
    pub smtp_alt_port: Option<u16>,
    /// OPS-5: the domain's own archiving rule; `Some(None)` follows `archive.rule` again.
    pub archive_rule: Option<Option<heron_store::archive::ArchiveRule>>,
    /// DOM-4: POP-retrieval accounts per user.
    pub max_pop_accounts: Option<u32>,
    /// DOM-3: the domain's users' POP-retrieval accounts are fetched and may be added.
    pub pop_retrieval: Option<bool>,
    /// OPS-6: the domain's own auto-clean rules (`autoclean.rules` syntax; empty: none),
    /// checked by [`heron_settings::autoclean::check_rules`].
    pub autoclean_rules: Option<String>,
    /// OPS-6: the domain's users may override its auto-clean rules.
    pub autoclean_user_override: Option<bool>,
}

/// BIND-4: a domain's IP as stored (canonical text), `None` for an empty value, or why the
/// value is not an IP address.
pub fn check_bind_ip(v: &str) -> std::result::Result<Option<String>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let ip: std::net::IpAddr = v
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| format!("{v:?} is not an IP address"))?;
    if ip.is_unspecified() || ip.is_multicast() {
        return Err(format!("{ip} cannot be a domain's own address"));
    }
    Ok(Some(heron_settings::values::canonical(ip).to_string()))
}

impl DomainChange {
    /// Set the fields given on `d`.
    pub fn apply(&self, d: &mut Domain) {
        if let Some(v) = self.disabled {
            d.disabled = v;
        }
        if let Some(v) = &self.catch_all {
            d.catch_all = Some(v.trim().to_lowercase()).filter(|v| !v.is_empty());
        }
        if let Some(v) = self.require_smtp_auth {
            d.require_smtp_auth = v;
        }
        if let Some(v) = self.greylisting {
            d.greylisting = v;
        }
        if let Some(v) = &self.bind_ip {
            d.bind_ip = check_bind_ip(v).ok().flatten();
        }
        if let Some(p) = self.smtp_alt_port {
            d.smtp_alt_port = Some(p).filter(|p| *p != 0);
        }
        if let Some(r) = self.archive_rule {
            d.archive_rule = r;
        }
        if let Some(v) = self.pop_retrieval {
            d.pop_retrieval = v;
        }
        if let Some(v) = &self.autoclean_rules {
            d.autoclean_rules = heron_settings::autoclean::check_rules(v).unwrap_or_default();
        }
        if let Some(v) = self.autoclean_user_override {
            d.autoclean_user_override = v;
        }
        let l = &mut d.limits;
        l.pop_retrieval_accounts = self.max_pop_accounts.unwrap_or(l.pop_retrieval_accounts);
        l.disk_mb = self.disk_mb.unwrap_or(l.disk_mb);
        l.users = self.max_users.unwrap_or(l.users);
        l.user_aliases = self.max_aliases.unwrap_or(l.user_aliases);
        l.domain_aliases = self.max_domain_aliases.unwrap_or(l.domain_aliases);
        l.max_message_kb = self.max_message_kb.unwrap_or(l.max_message_kb);
        l.recipients_per_message = self.max_recipients.unwrap_or(l.recipients_per_message);
        l.messages_per_hour = self.messages_per_hour.unwrap_or(l.messages_per_hour);
        l.mb_per_hour = self.mb_per_hour.unwrap_or(l.mb_per_hour);
        l.bounces_per_hour = self.bounces_per_hour.unwrap_or(l.bounces_per_hour);
    }
}
