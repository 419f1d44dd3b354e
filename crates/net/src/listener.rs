//! The [`Server`]: binds the listeners the settings name, keeps them in step with the
//! settings (a changed port re-binds, a stopped service stops accepting), accepts
//! connections, applies IP lists and connection limits, and runs each session in a tracked
//! task so shutdown can wait for them.
//!
//! Invariants: a refused connection never reaches a service; a listener removed from the
//! settings has closed its socket before a listener on the same address is bound again;
//! after [`Server::shutdown`] no new connection is accepted.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use heron_settings::values::{self, Encryption, IpRule, ListenerSpec, Protocol};
use heron_settings::{Settings, defs, fd_budget};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::alternate::AlternatePort;
use crate::refuse::{RefusalLog, refuse};
use crate::registry::{Full, Limits, Registry, SessionGuard};
use crate::stream::SessionStream;
use crate::tls::TlsProvider;
use crate::{Conn, NetError, Refusal, Service, log_target};

/// Longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// Rules and names read from settings, re-read on every change.
#[derive(Default)]
struct Policy {
    blacklist: Vec<IpRule>,
    whitelist: Vec<IpRule>,
    hostnames: Vec<(std::net::IpAddr, String)>,
    default_hostname: String,
}

/// BIND-4: host names of the IPs hosted domains are bound to, set from the directory
/// ([`Server::set_bound_hostnames`]); a `bind.hostnames` name of the IP comes first.
type Bound = RwLock<Vec<(std::net::IpAddr, String)>>;

struct Shared {
    settings: Arc<Settings>,
    services: HashMap<Protocol, Arc<dyn Service>>,
    registry: Arc<Registry>,
    tls: Arc<TlsProvider>,
    policy: RwLock<Policy>,
    bound: Bound,
    /// DOM-2 alternate SMTP ports, set from the directory; a change wakes the listener task.
    alternate: RwLock<Vec<AlternatePort>>,
    alternate_changed: tokio::sync::Notify,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    /// The process's open-file limit: each protocol's sessions are capped at a share of it
    /// (`heron_settings::fd_budget`), so no listener can starve the others.
    nofile: u64,
    /// Configured listeners that could not be bound at the last change, with why, for the
    /// dashboard; emptied as they come up or leave the configuration.
    bind_failures: Mutex<Vec<String>>,
    /// Connections per (protocol, IP) of the DoS rule (`flood.rs`), in memory on this node.
    flood: Mutex<crate::flood::FloodGuard>,
    /// Blocks the DoS rule placed here and not yet recorded in the store (protocol, IP,
    /// length), at most [`MAX_NEW_FLOOD_BLOCKS`].
    new_flood_blocks: Mutex<Vec<FloodBlock>>,
    /// The certificate pair obtained by ACME, used in place of `tls.cert`/`tls.key` while set.
    acme: Mutex<Option<(PathBuf, PathBuf)>>,
}

/// One session counted against its listener's `max=` (PROTO-8) while alive.
struct PortSlot(Arc<AtomicU64>);

impl PortSlot {
    fn take(open: &Arc<AtomicU64>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Self(open.clone())
    }
}

impl Drop for PortSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A DoS block: the protocol, the IP and how long it lasts (from now, when reported).
pub type FloodBlock = (Protocol, std::net::IpAddr, std::time::Duration);

/// Most new DoS blocks waiting to be recorded; past it further ones stay local to this node.
const MAX_NEW_FLOOD_BLOCKS: usize = 4096;

/// How long before its expiry the default certificate is reported as a problem.
pub const CERT_WARNING: std::time::Duration = std::time::Duration::from_secs(14 * 86_400);

/// How often the certificate files are looked at for a renewal written over them.
const TLS_FILE_CHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// All listeners of this process.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    /// A server for the given services. `self_signed` is the certificate pair used when
    /// settings name none; `nofile` is the process's open-file limit.
    pub fn new(
        settings: Arc<Settings>,
        services: HashMap<Protocol, Arc<dyn Service>>,
        self_signed: (PathBuf, PathBuf),
        nofile: u64,
    ) -> Self {
        let shared = Shared {
            tls: Arc::new(TlsProvider::new(self_signed)),
            settings,
            services,
            registry: Arc::new(Registry::default()),
            policy: RwLock::new(Policy::default()),
            bound: RwLock::new(Vec::new()),
            alternate: RwLock::new(Vec::new()),
            alternate_changed: tokio::sync::Notify::new(),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            nofile,
            bind_failures: Mutex::new(Vec::new()),
            flood: Mutex::new(crate::flood::FloodGuard::default()),
            new_flood_blocks: Mutex::new(Vec::new()),
            acme: Mutex::new(None),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The DoS blocks placed on this node since the last call, to record in the store.
    pub fn take_flood_blocks(&self) -> Vec<FloodBlock> {
        self.shared
            .new_flood_blocks
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// Bring this node's DoS blocks in line with `blocks` (the store's, with time left):
    /// blocks placed elsewhere are imposed, blocks no longer there (lifted) are lifted here.
    pub fn sync_flood_blocks(&self, blocks: &[FloodBlock]) {
        let now = std::time::Instant::now();
        let Ok(mut g) = self.shared.flood.lock() else {
            return;
        };
        for (p, ip, _) in g.blocks(now) {
            if !blocks.iter().any(|(q, i, _)| *q == p && *i == ip) {
                g.lift(p, ip);
            }
        }
        for (p, ip, left) in blocks {
            g.impose(*p, *ip, now + *left);
        }
    }

    /// Configured listeners that could not be bound at the last change, with why.
    pub fn bind_failures(&self) -> Vec<String> {
        self.shared
            .bind_failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    /// What an administrator should know about the listeners now: configured listeners that
    /// are not bound (and why), and a default certificate that has expired or expires within
    /// [`CERT_WARNING`].
    pub fn problems(&self) -> Vec<String> {
        let mut out = self
            .shared
            .bind_failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default();
        if let Some((path, not_after)) = self.shared.tls.expiry() {
            let now = std::time::SystemTime::now();
            match not_after.duration_since(now) {
                Err(_) => out.push(format!(
                    "the TLS certificate {} has expired; clients that check it refuse to connect",
                    path.display()
                )),
                Ok(left) if left < CERT_WARNING => out.push(format!(
                    "the TLS certificate {} expires {}",
                    path.display(),
                    match left.as_secs() / 86_400 {
                        0 => "within a day".to_owned(),
                        1 => "in 1 day".to_owned(),
                        n => format!("in {n} days"),
                    }
                )),
                Ok(_) => {}
            }
        }
        out
    }

    /// The certificates of the listeners, for the admin listener's own TLS and for showing
    /// which certificate is in use.
    pub fn tls(&self) -> &Arc<TlsProvider> {
        &self.shared.tls
    }

    /// The live sessions.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.shared.registry
    }

    /// The host name used where no per-IP name applies.
    pub fn hostname(&self) -> String {
        self.shared
            .policy
            .read()
            .map(|p| p.default_hostname.clone())
            .unwrap_or_default()
    }

    /// BIND-4: the host name each domain-bound IP greets with (the domain's), replacing the
    /// previous list; used for connections accepted on such an IP that has no
    /// `bind.hostnames` entry.
    pub fn set_bound_hostnames(&self, names: Vec<(std::net::IpAddr, String)>) {
        let names = names
            .into_iter()
            .map(|(ip, n)| (values::canonical(ip), n))
            .collect();
        if let Ok(mut b) = self.shared.bound.write() {
            *b = names;
        }
    }

    /// DOM-2: the domains' alternate SMTP ports, replacing the previous list; the listeners
    /// follow at once (a port already used by a configured listener is left to it).
    pub fn set_alternate_ports(&self, ports: Vec<AlternatePort>) {
        if let Ok(mut a) = self.shared.alternate.write() {
            if *a == ports {
                return;
            }
            *a = ports;
        }
        self.shared.alternate_changed.notify_one();
    }

    /// The listeners wanted now: configured, valid, enabled, and with a service; then the
    /// domains' alternate SMTP ports.
    fn wanted(&self) -> Result<Vec<ListenerSpec>, NetError> {
        let raw = self
            .shared
            .settings
            .raw(defs::BIND_LISTENERS.name)
            .unwrap_or_default();
        let mut all = values::parse_listeners(&raw).map_err(NetError::Settings)?;
        let ports = self
            .shared
            .alternate
            .read()
            .map(|a| a.clone())
            .unwrap_or_default();
        let alternate = crate::alternate::listeners(&all, &ports);
        all.extend(alternate);
        Ok(all
            .into_iter()
            .filter(|l| {
                self.shared
                    .services
                    .get(&l.protocol)
                    .is_some_and(|s| s.enabled())
            })
            .collect())
    }

    fn refresh_policy(&self) {
        let s = &self.shared.settings;
        let rules = |key: &str| {
            values::parse_ip_rules(&s.raw(key).unwrap_or_default()).unwrap_or_else(|e| {
                tracing::error!(target: "events", "{key}: {e}; list ignored");
                Vec::new()
            })
        };
        let configured = s.get(defs::SERVER_HOSTNAME);
        let policy = Policy {
            blacklist: rules(defs::SECURITY_IP_BLACKLIST.name),
            whitelist: rules(defs::SECURITY_IP_WHITELIST.name),
            hostnames: values::parse_hostnames(
                &s.raw(defs::BIND_HOSTNAMES.name).unwrap_or_default(),
            )
            .unwrap_or_default(),
            default_hostname: if configured.is_empty() {
                crate::system_hostname()
            } else {
                configured
            },
        };
        if let Ok(mut p) = self.shared.policy.write() {
            *p = policy;
        }
        self.refresh_tls();
    }

    /// Apply `tls.cert`/`tls.key` (also when their files were replaced since they were read).
    fn refresh_tls(&self) {
        let s = &self.shared.settings;
        let (cert, key) = (s.get(defs::TLS_CERT), s.get(defs::TLS_KEY));
        // Half a pair is a change in progress: the pair in use stays until both are set.
        let configured = match (cert.is_empty(), key.is_empty()) {
            (true, true) => None,
            (false, false) => Some((cert.into(), key.into())),
            _ => return,
        };
        let acme = self.shared.acme.lock().ok().and_then(|a| a.clone());
        if let Some(pair) = acme {
            if let Err(e) = self.shared.tls.configure(Some(pair)) {
                tracing::error!(target: "events", "the ACME certificate is not used: {e}; TLS goes on with the previous certificate");
            }
            return;
        }
        if let Err(e) = self.shared.tls.configure(configured) {
            tracing::error!(target: "events", "tls.cert/tls.key not used: {e}; TLS goes on with the previous certificate");
        }
    }

    /// Use the certificate pair `pair` (obtained by ACME) in place of `tls.cert`/`tls.key` on
    /// every TLS listener without its own pair, from the next connection on; `None` goes back
    /// to the settings. Files written over in place are read again.
    pub fn use_acme_certificate(&self, pair: Option<(PathBuf, PathBuf)>) {
        if let Ok(mut a) = self.shared.acme.lock() {
            *a = pair;
        }
        self.refresh_tls();
    }

    /// Bind every wanted listener, failing on the first that cannot be bound (start-up),
    /// then keep them in step with the settings until [`Server::shutdown`].
    pub async fn start(&self) -> Result<JoinHandle<()>, NetError> {
        self.refresh_policy();
        let mut running = HashMap::new();
        for spec in self.wanted()? {
            let r = self.bind(&spec).await?;
            running.insert(spec, r);
        }
        let this = self.clone();
        Ok(tokio::spawn(
            async move { this.follow_settings(running).await },
        ))
    }

    async fn follow_settings(self, mut running: HashMap<ListenerSpec, Running>) {
        let mut watch = self.shared.settings.watch();
        let mut tls_check = tokio::time::interval(TLS_FILE_CHECK);
        tls_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = self.shared.shutdown.cancelled() => break,
                changed = watch.changed() => if changed.is_err() { break },
                _ = self.shared.alternate_changed.notified() => {}
                _ = tls_check.tick() => {
                    self.refresh_tls();
                    continue;
                }
            }
            self.refresh_policy();
            let wanted = match self.wanted() {
                Ok(w) => w,
                Err(e) => {
                    tracing::error!(target: "events", "listeners unchanged: {e}");
                    continue;
                }
            };
            let gone: Vec<ListenerSpec> = running
                .keys()
                .filter(|s| !wanted.contains(s))
                .cloned()
                .collect();
            for spec in gone {
                if let Some(r) = running.remove(&spec) {
                    r.stop.cancel();
                    let _ = r.task.await;
                    tracing::info!(target: "events", "stopped listening on {} ({})", spec.addr, spec.protocol.as_str());
                }
            }
            let mut failures = Vec::new();
            for spec in wanted {
                if running.contains_key(&spec) {
                    continue;
                }
                match self.bind(&spec).await {
                    Ok(r) => {
                        running.insert(spec, r);
                    }
                    Err(e) => {
                        tracing::error!(target: "events", "{e}");
                        failures.push(e.to_string());
                    }
                }
            }
            if let Ok(mut f) = self.shared.bind_failures.lock() {
                *f = failures;
            }
        }
        for (_, r) in running {
            r.stop.cancel();
            let _ = r.task.await;
        }
    }

    async fn bind(&self, spec: &ListenerSpec) -> Result<Running, NetError> {
        let bind_err = |reason: String| NetError::Bind {
            addr: spec.addr,
            protocol: spec.protocol.as_str(),
            reason,
        };
        if spec.encryption != Encryption::None {
            self.shared
                .tls
                .acceptor(spec.cert.as_ref())
                .map_err(|e| bind_err(e.to_string()))?;
        }
        let listener = TcpListener::bind(spec.addr)
            .await
            .map_err(|e| bind_err(explain_bind_error(&e, spec.addr)))?;
        tracing::info!(target: "events", "listening on {} for {} ({:?})", spec.addr, spec.protocol.as_str(), spec.encryption);
        let stop = self.shared.shutdown.child_token();
        let this = self.clone();
        let (spec, token) = (spec.clone(), stop.clone());
        let task = tokio::spawn(async move { this.accept_loop(listener, spec, token).await });
        Ok(Running { stop, task })
    }

    async fn accept_loop(self, listener: TcpListener, spec: ListenerSpec, stop: CancellationToken) {
        let Some(service) = self.shared.services.get(&spec.protocol).cloned() else {
            return;
        };
        let mut refused = RefusalLog::default();
        // PROTO-8: this listener's own sessions, against its `max=`.
        let open = Arc::new(AtomicU64::new(0));
        loop {
            let accepted = tokio::select! {
                _ = stop.cancelled() => return,
                a = listener.accept() => a,
            };
            match accepted {
                Ok((tcp, peer)) => {
                    // Admission happens here, before any task or buffer is spent on the
                    // connection: a refused client costs one non-blocking write.
                    let full = spec.max.is_some_and(|m| open.load(Ordering::Relaxed) >= m);
                    let admitted = if full {
                        Err(Refusal::TooManyConnections)
                    } else {
                        self.admit(&tcp, peer, &spec, service.as_ref())
                    };
                    let guard = match admitted {
                        Ok(g) => g,
                        Err(why) => {
                            heron_metrics::metrics().refused(
                                spec.protocol.as_str(),
                                match why {
                                    Refusal::Blacklisted => "blacklisted",
                                    Refusal::TooManyConnections => "too-many",
                                    Refusal::TooManyFromIp => "too-many-from-ip",
                                },
                            );
                            refused.note(log_target(spec.protocol), peer, why);
                            refuse(tcp, &spec, service.as_ref(), why);
                            continue;
                        }
                    };
                    heron_metrics::metrics().connection(spec.protocol.as_str());
                    let this = self.clone();
                    let (spec, service) = (spec.clone(), service.clone());
                    let slot = PortSlot::take(&open);
                    self.shared.tracker.spawn(async move {
                        let _slot = slot;
                        this.handle(tcp, peer, spec, service, guard).await
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::error!(target: "events", "accept on {} failed: {e}", spec.addr);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Decide whether a connection may proceed: SEC-1 lists, then the connection limits
    /// (the protocol's total, never more than its share of the open-file limit, and its
    /// per-IP share unless the IP is whitelisted). An
    /// admitted session is listed at once, so the next accept counts it.
    fn admit(
        &self,
        tcp: &TcpStream,
        peer: SocketAddr,
        spec: &ListenerSpec,
        service: &dyn Service,
    ) -> Result<SessionGuard, Refusal> {
        let protocol = spec.protocol;
        let ip = values::canonical(peer.ip());
        let mut white = false;
        if let Ok(p) = self.shared.policy.read() {
            white = p.whitelist.iter().any(|r| r.matches(ip, protocol));
            if !white && p.blacklist.iter().any(|r| r.matches(ip, protocol)) {
                return Err(Refusal::Blacklisted);
            }
        }
        if !white {
            self.flood_check(protocol, ip)?;
        }
        let limits = Limits {
            total: fd_budget::listener_connection_cap(
                service.max_connections(),
                self.shared.nofile,
            ),
            per_ip: if white {
                0
            } else {
                service.max_connections_per_ip()
            },
        };
        let local = tcp.local_addr().unwrap_or(spec.addr);
        self.shared
            .registry
            .admit(protocol, peer, local, &self.shared.shutdown, limits)
            .map_err(|full| match full {
                Full::Total => Refusal::TooManyConnections,
                Full::PerIp => Refusal::TooManyFromIp,
            })
    }

    /// SEC-2 DoS rule: a flooding IP is refused as one with too many connections.
    fn flood_check(&self, protocol: Protocol, ip: std::net::IpAddr) -> Result<(), Refusal> {
        use crate::flood::{FloodRule, Verdict};
        let s = &self.shared.settings;
        let rule = FloodRule {
            max: s.get(defs::DOS_CONNECTIONS),
            window: s.get(defs::DOS_WINDOW),
            block: s.get(defs::DOS_BLOCK),
        };
        let Ok(mut g) = self.shared.flood.lock() else {
            return Ok(());
        };
        match g.connect(protocol, ip, &rule, std::time::Instant::now()) {
            Verdict::Allowed => Ok(()),
            Verdict::Blocked => Err(Refusal::TooManyFromIp),
            Verdict::BlockStarted => {
                drop(g);
                tracing::warn!(target: "events",
                    "{} from {ip}: more than {} connections within {}s (security.dos_connections), refused for {}s",
                    log_target(protocol), rule.max, rule.window.as_secs(), rule.block.as_secs());
                if let Ok(mut v) = self.shared.new_flood_blocks.lock()
                    && v.len() < MAX_NEW_FLOOD_BLOCKS
                {
                    v.push((protocol, ip, rule.block));
                }
                Err(Refusal::TooManyFromIp)
            }
        }
    }

    async fn handle(
        self,
        tcp: TcpStream,
        peer: SocketAddr,
        spec: ListenerSpec,
        service: Arc<dyn Service>,
        guard: SessionGuard,
    ) {
        let _ = tcp.set_nodelay(true);
        let local = guard.info.local;
        let target = log_target(spec.protocol);
        let span = tracing::info_span!("session", id = %guard.info.id);
        async {
            let Some(conn) = self.make_conn(tcp, &spec, guard.info.clone(), local).await else {
                return;
            };
            tracing::debug!(target: "events", "{} session from {peer} on {local}", target);
            service.serve(conn).await;
        }
        .instrument(span)
        .await;
        drop(guard);
    }

    async fn make_conn(
        &self,
        tcp: TcpStream,
        spec: &ListenerSpec,
        info: Arc<crate::SessionInfo>,
        local: SocketAddr,
    ) -> Option<Conn> {
        let tls = match spec.encryption {
            Encryption::None => None,
            _ => match self.shared.tls.acceptor(spec.cert.as_ref()) {
                Ok(a) => Some(a),
                Err(e) => {
                    tracing::error!(target: "events", "{e}");
                    return None;
                }
            },
        };
        let mut stream = SessionStream::Plain(tcp);
        if spec.encryption == Encryption::Implicit {
            let acceptor = tls.as_ref()?;
            let SessionStream::Plain(tcp) = stream else {
                return None;
            };
            let handshake = crate::challenge::accept_implicit(tcp, acceptor);
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                Ok(Ok(Some(s))) => stream = s,
                // An ACME validation connection, answered.
                Ok(Ok(None)) => return None,
                Ok(Err(e)) => {
                    tracing::warn!(target: "events", "TLS handshake with {} failed: {e}", info.peer);
                    return None;
                }
                Err(_) => {
                    tracing::warn!(target: "events", "TLS handshake with {} timed out", info.peer);
                    return None;
                }
            }
        }
        let hostname = {
            let p = self.shared.policy.read().ok()?;
            let ip = values::canonical(local.ip());
            let bound = || {
                self.shared
                    .bound
                    .read()
                    .ok()
                    .and_then(|b| b.iter().find(|(i, _)| *i == ip).map(|(_, h)| h.clone()))
            };
            p.hostnames
                .iter()
                .find(|(i, _)| *i == ip)
                .map(|(_, h)| h.clone())
                .or_else(bound)
                .unwrap_or_else(|| p.default_hostname.clone())
        };
        Some(Conn {
            stream,
            info,
            encryption: spec.encryption,
            starttls: if spec.encryption == Encryption::StartTls {
                tls
            } else {
                None
            },
            hostname,
        })
    }

    /// Stop accepting, ask every session to end after its current command, and wait up to
    /// `grace` for them.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.shared.shutdown.cancel();
        self.shared.tracker.close();
        tokio::time::timeout(grace, self.shared.tracker.wait())
            .await
            .is_ok()
    }
}

/// Turn a bind error into advice a person can act on.
fn explain_bind_error(e: &std::io::Error, addr: SocketAddr) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {} is already in use by another program; stop it, change bind.listeners, or start with --port-offset N",
            addr.port()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "port {} needs root (ports below 1024 are privileged); run as root, grant CAP_NET_BIND_SERVICE, or start with --port-offset N",
            addr.port()
        ),
        std::io::ErrorKind::AddrNotAvailable => {
            format!("{} is not an address of this machine", addr.ip())
        }
        _ => e.to_string(),
    }
}
