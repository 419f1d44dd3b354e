//! One resolver for the whole process, rebuilt when the DNS configuration changes.
//!
//! The configuration comes from a function the owner supplies (the server reads its settings
//! there), so this crate knows nothing of where it is stored. Invariant: two calls with the
//! same configuration return the same resolver, so its answer cache is shared.

use std::sync::{Arc, Mutex};

use super::{Dns, DnsError};

/// What a resolver is built from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsConfig {
    /// Servers to ask (`IP`, `IP:PORT`, `[IPv6]:PORT`); empty means the system's resolv.conf.
    pub servers: Vec<String>,
    /// Whether answers are cached (off: every lookup asks the server).
    pub cache: bool,
}

/// The reader of the current configuration.
type ConfigSource = dyn Fn() -> DnsConfig + Send + Sync;

/// A resolver that follows its configuration.
pub struct SharedDns {
    config: Box<ConfigSource>,
    /// The configuration the current resolver was built from, and that resolver.
    current: Mutex<Option<(DnsConfig, Arc<Dns>)>>,
}

impl SharedDns {
    /// A resolver built from what `config` returns at each [`get`](Self::get).
    pub fn new(config: impl Fn() -> DnsConfig + Send + Sync + 'static) -> Self {
        Self {
            config: Box::new(config),
            current: Mutex::new(None),
        }
    }

    /// The resolver for the configuration as it is now.
    pub fn get(&self) -> Result<Arc<Dns>, DnsError> {
        let config = (self.config)();
        let mut cur = self
            .current
            .lock()
            .map_err(|_| DnsError::Temporary("resolver lock poisoned".into()))?;
        if let Some((built_from, d)) = cur.as_ref()
            && *built_from == config
        {
            return Ok(d.clone());
        }
        let d = Arc::new(Dns::new(&config.servers, config.cache)?);
        *cur = Some((config, d.clone()));
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn same_configuration_same_resolver() {
        let cache = Arc::new(AtomicBool::new(true));
        let flag = cache.clone();
        let shared = SharedDns::new(move || DnsConfig {
            servers: vec!["127.0.0.1:53".into()],
            cache: flag.load(Ordering::Relaxed),
        });
        let a = shared.get().expect("resolver");
        let b = shared.get().expect("resolver");
        assert!(Arc::ptr_eq(&a, &b));
        cache.store(false, Ordering::Relaxed);
        let c = shared.get().expect("resolver");
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
