//! Typed runtime settings (FEATURES: "every setting is runtime-editable ... takes effect
//! without a restart").
//!
//! Each key, type, default and meaning is written once, in [`defs`]. Values live in the store;
//! [`Settings`] keeps a snapshot in memory, refreshed from the store's change events, and bumps
//! a watch channel on every change so listeners and sessions react. Beside the shared values
//! it keeps the [`services`] stopped on this node alone (the store's `stopped_services` of
//! this node's id), refreshed and watched the same way.
//!
//! Invariant: a stored value always passed its kind's normalisation and its key's check, so a
//! typed read never fails; if one somehow does (a value edited by hand), the default is used
//! and the problem is logged.

pub mod autoclean;
pub mod defs;
pub mod fd_budget;
pub mod forwarding;
pub mod kinds;
pub mod routes;
pub mod services;
pub mod values;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use heron_store::{Event, Store, StoreError};
use tokio::sync::watch;

pub use kinds::{Def, FromSetting, Key, Kind};

/// Failure to read or change a setting.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown setting {0:?} (see `heron settings list`)")]
    UnknownKey(String),
    #[error("invalid value for {key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// In-memory view of all settings, kept current.
pub struct Settings {
    store: Arc<dyn Store>,
    stored: RwLock<HashMap<String, String>>,
    defaults: RwLock<HashMap<&'static str, String>>,
    /// Names of the services stopped on this node alone.
    stopped_here: RwLock<Vec<String>>,
    tx: watch::Sender<u64>,
}

/// Check and normalise a value for a key.
pub fn validate(key: &str, value: &str) -> Result<String, SettingsError> {
    let def = defs::find(key).ok_or_else(|| SettingsError::UnknownKey(key.to_owned()))?;
    let invalid = |reason| SettingsError::Invalid {
        key: key.to_owned(),
        reason,
    };
    let v = def.kind.normalise(value).map_err(invalid)?;
    values::check(key, &v).map_err(invalid)?;
    Ok(v)
}

impl Settings {
    /// Load every stored value.
    pub async fn load(store: Arc<dyn Store>) -> Result<Arc<Self>, SettingsError> {
        let stored = store.list_settings().await?.into_iter().collect();
        let defaults = defs::DEFS
            .iter()
            .map(|d| (d.key, d.default.to_owned()))
            .collect();
        let stopped_here = store.stopped_services(store.node_id()).await?;
        let (tx, _) = watch::channel(0);
        Ok(Arc::new(Self {
            store,
            stored: RwLock::new(stored),
            defaults: RwLock::new(defaults),
            stopped_here: RwLock::new(stopped_here),
            tx,
        }))
    }

    /// Whether `service` runs on this node now: its switch is on and this node has not
    /// stopped it on itself.
    pub fn runs(&self, service: &services::Service) -> bool {
        self.get(service.switch) && !self.stopped_here(service)
    }

    /// Whether this node has stopped `service` on itself.
    pub fn stopped_here(&self, service: &services::Service) -> bool {
        self.stopped_here
            .read()
            .map(|s| s.iter().any(|n| n == service.name))
            .unwrap_or(false)
    }

    /// Replace a key's default for this process (e.g. listener ports moved by
    /// `--port-offset`). A stored value still wins.
    pub fn override_default(&self, key: &'static str, value: String) {
        if let Ok(mut d) = self.defaults.write() {
            d.insert(key, value);
        }
        self.tx.send_modify(|n| *n += 1);
    }

    /// The current text value of a key (stored, else default).
    pub fn raw(&self, key: &str) -> Option<String> {
        if let Some(v) = self.stored.read().ok().and_then(|m| m.get(key).cloned()) {
            return Some(v);
        }
        self.defaults.read().ok().and_then(|m| m.get(key).cloned())
    }

    /// The default in force for a key.
    pub fn default_of(&self, key: &str) -> Option<String> {
        self.defaults.read().ok().and_then(|m| m.get(key).cloned())
    }

    /// Whether a key has a stored value.
    pub fn is_set(&self, key: &str) -> bool {
        self.stored
            .read()
            .map(|m| m.contains_key(key))
            .unwrap_or(false)
    }

    /// A setting, typed.
    pub fn get<T: FromSetting + Default>(&self, key: Key<T>) -> T {
        let value = self.raw(key.name).unwrap_or_default();
        if let Some(v) = T::from_setting(&value) {
            return v;
        }
        tracing::error!(target: "events", "setting {} has an unreadable value {value:?}; using its default", key.name);
        let d = self.default_of(key.name).unwrap_or_default();
        T::from_setting(&d).unwrap_or_default()
    }

    /// Validate and store a value; returns the stored (normalised) form.
    pub async fn set(&self, key: &str, value: &str) -> Result<String, SettingsError> {
        let v = validate(key, value)?;
        self.store.set_setting(key, &v).await?;
        self.apply(key, Some(v.clone()));
        Ok(v)
    }

    /// Forget the stored value so the default applies.
    pub async fn reset(&self, key: &str) -> Result<(), SettingsError> {
        defs::find(key).ok_or_else(|| SettingsError::UnknownKey(key.to_owned()))?;
        self.store.reset_setting(key).await?;
        self.apply(key, None);
        Ok(())
    }

    fn apply(&self, key: &str, v: Option<String>) {
        if let Ok(mut m) = self.stored.write() {
            match v {
                Some(v) => m.insert(key.to_owned(), v),
                None => m.remove(key),
            };
        }
        self.tx.send_modify(|n| *n += 1);
    }

    /// A receiver whose value changes whenever any setting changes.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Keep the snapshot current from the store's events (other processes' edits included)
    /// until the task is aborted.
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let mut sub = self.store.subscribe();
        tokio::spawn(async move {
            while let Some(ev) = sub.next().await {
                let r = match ev {
                    Event::Setting { key } => this.reload(Some(key)).await,
                    Event::NodeServices { node } if node == this.store.node_id() => {
                        this.reload_stopped().await
                    }
                    Event::Resync => match this.reload(None).await {
                        Ok(()) => this.reload_stopped().await,
                        Err(e) => Err(e),
                    },
                    _ => Ok(()),
                };
                if let Err(e) = r {
                    tracing::warn!(target: "events", "refreshing settings failed: {e}");
                }
            }
        })
    }

    /// Read again which services this node has stopped on itself.
    async fn reload_stopped(&self) -> Result<(), StoreError> {
        let now = self.store.stopped_services(self.store.node_id()).await?;
        let changed = self.stopped_here.write().map(|mut s| {
            let changed = *s != now;
            *s = now;
            changed
        });
        if changed.unwrap_or(false) {
            self.tx.send_modify(|n| *n += 1);
        }
        Ok(())
    }

    async fn reload(&self, key: Option<String>) -> Result<(), StoreError> {
        match key {
            Some(k) => {
                let v = self.store.get_setting(&k).await?;
                if self.stored.read().ok().and_then(|m| m.get(&k).cloned()) != v {
                    self.apply(&k, v);
                }
            }
            None => {
                let all: HashMap<_, _> = self.store.list_settings().await?.into_iter().collect();
                if let Ok(mut m) = self.stored.write() {
                    *m = all;
                }
                self.tx.send_modify(|n| *n += 1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_valid() {
        for d in defs::DEFS {
            let v = validate(d.key, d.default).unwrap_or_else(|e| panic!("{}: {e}", d.key));
            assert_eq!(v, d.kind.normalise(d.default).unwrap());
            assert!(!d.doc.trim().is_empty(), "{} has no doc", d.key);
        }
        let mut keys: Vec<_> = defs::DEFS.iter().map(|d| d.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), defs::DEFS.len(), "duplicate key");
    }

    #[test]
    fn validation_errors_say_what_is_wrong() {
        assert!(matches!(
            validate("pop.nope", "1"),
            Err(SettingsError::UnknownKey(_))
        ));
        let e = validate("pop.max_connections", "-3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("whole number"), "{e}");
        assert!(validate("smtp_in.relay", "everyone").is_err());
        assert_eq!(validate("smtp_in.relay", "Anyone").unwrap(), "anyone");
        assert_eq!(validate("pop.enabled", "off").unwrap(), "false");
        assert!(validate("pop.banner", "a\r\nb").is_err());
        assert!(validate("bind.listeners", "pop3 tls nowhere").is_err());
    }

    #[tokio::test]
    async fn set_reset_and_watch() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        let s = Settings::load(store.clone()).await.unwrap();
        let mut w = s.watch();
        assert_eq!(s.get(defs::POP_MAX_CONNECTIONS), 500);
        assert_eq!(
            s.get(defs::POP_COMMAND_TIMEOUT),
            std::time::Duration::from_secs(300)
        );
        s.set("pop.max_connections", " 7 ").await.unwrap();
        assert_eq!(s.get(defs::POP_MAX_CONNECTIONS), 7);
        assert!(w.has_changed().unwrap());
        w.mark_unchanged();
        s.reset("pop.max_connections").await.unwrap();
        assert_eq!(s.get(defs::POP_MAX_CONNECTIONS), 500);
        assert!(w.has_changed().unwrap());
        s.override_default("pop.max_connections", "9".into());
        assert_eq!(s.get(defs::POP_MAX_CONNECTIONS), 9);
        // A value stored by another handle (another process) arrives through the refresher.
        let _r = s.spawn_refresher();
        let other = Settings::load(store).await.unwrap();
        other.set("pop.banner", "changed").await.unwrap();
        for _ in 0..100 {
            if s.get(defs::POP_BANNER) == "changed" {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("change never arrived");
    }

    /// A service runs while its switch is on and this node has not stopped it; a stop on
    /// this node (recorded by any handle) reaches the refresher, bumps the watch and applies
    /// here alone.
    #[tokio::test]
    async fn a_service_runs_unless_stopped_here_or_switched_off() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(heron_store::SqliteStore::open(dir.path()).unwrap());
        store.node_heartbeat("mx", "1", 1, 1).await.unwrap();
        let s = Settings::load(store.clone()).await.unwrap();
        let _r = s.spawn_refresher();
        let mut w = s.watch();
        assert!(s.runs(&services::IMAP) && s.runs(&services::POP3));
        store
            .set_service_stopped(store.node_id(), "imap", true)
            .await
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), w.changed())
            .await
            .unwrap()
            .unwrap();
        assert!(!s.runs(&services::IMAP) && s.stopped_here(&services::IMAP));
        assert!(s.runs(&services::POP3));
        assert!(
            s.get(defs::IMAP_ENABLED),
            "the cluster's switch is untouched"
        );
        store
            .set_service_stopped(store.node_id(), "imap", false)
            .await
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), w.changed())
            .await
            .unwrap()
            .unwrap();
        assert!(s.runs(&services::IMAP));
        s.set("imap.enabled", "false").await.unwrap();
        assert!(!s.runs(&services::IMAP) && !s.stopped_here(&services::IMAP));
    }
}
