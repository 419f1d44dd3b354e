//! BIND-4 and DOM-2 in the running server: keeps the listeners' list of domain-bound IPs (and
//! the host names they greet with) and of the domains' alternate SMTP ports in step with the
//! directory.
//!
//! Invariant: the list is re-read at start and after every directory change (or resync), so a
//! domain bound or unbound with `heron domain set --bind-ip` or the admin API greets with its
//! new name from the next connection.

use heron_directory::Directory;
use heron_net::{AlternatePort, Server};
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
        Ok(domains) => {
            let ip_of = |d: &heron_store::Domain| {
                d.bind_ip
                    .as_deref()
                    .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
                    .map(canonical)
            };
            let live = || domains.iter().filter(|d| !d.disabled);
            server.set_bound_hostnames(
                live()
                    .filter_map(|d| Some((ip_of(d)?, bound_domain_hostname(&d.name))))
                    .collect(),
            );
            server.set_alternate_ports(
                live()
                    .filter_map(|d| {
                        Some(AlternatePort {
                            domain: d.name.clone(),
                            ip: ip_of(d),
                            port: d.smtp_alt_port?,
                        })
                    })
                    .collect(),
            );
        }
        Err(e) => {
            tracing::error!(target: "events", "cannot read the domains bound to IPs: {e}")
        }
    }
}
