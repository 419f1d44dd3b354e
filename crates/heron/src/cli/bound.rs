//! BIND-4 in the running server: keeps the listeners' list of domain-bound IPs (and the host
//! names they greet with) in step with the directory.
//!
//! Invariant: the list is re-read at start and after every directory change (or resync), so a
//! domain bound or unbound with `heron domain set --bind-ip` or the admin API greets with its
//! new name from the next connection.

use heron_directory::Directory;
use heron_net::Server;
use heron_settings::values::{bound_domain_hostname, canonical};
use heron_store::Event;

/// Follow the directory until the process ends.
pub fn follow(dir: Directory, server: Server) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = dir.store().subscribe();
        loop {
            load(&dir, &server).await;
            loop {
                match events.next().await {
                    Some(Event::Directory | Event::Resync) => break,
                    Some(_) => continue,
                    None => return,
                }
            }
        }
    })
}

async fn load(dir: &Directory, server: &Server) {
    match dir.list_domains().await {
        Ok(domains) => server.set_bound_hostnames(
            domains
                .iter()
                .filter(|d| !d.disabled)
                .filter_map(|d| {
                    let ip: std::net::IpAddr = d.bind_ip.as_deref()?.parse().ok()?;
                    Some((canonical(ip), bound_domain_hostname(&d.name)))
                })
                .collect(),
        ),
        Err(e) => {
            tracing::error!(target: "events", "cannot read the domains bound to IPs: {e}")
        }
    }
}
