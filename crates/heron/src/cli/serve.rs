//! `heron serve`: open the data directory, wire the services to the listeners, and run until
//! SIGTERM or Ctrl-C, then shut down gracefully (sessions finish their current command). The
//! open-file limit is raised first ([`crate::nofile`]). One server runs per data directory
//! ([`crate::lock`]).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use heron_directory::Directory;
use heron_imap::ImapService;
use heron_net::{Server, Service, tls};
use heron_pop3::Pop3Service;
use heron_queue::Queue;
use heron_settings::values::{self, ListenerSpec, Protocol, parse_listeners, shift_listeners};
use heron_settings::{Settings, defs};
use heron_smtp::{Mode, SmtpService};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

use super::startup;
use crate::{lock, logs, nofile};

/// `serve` options.
#[derive(Parser)]
pub struct ServeArgs {
    /// Add N to every default mail port (POP 110 → 110+N, ...), so the server runs without
    /// root and beside another mail server. Ports set in `bind.listeners` are used as they are.
    #[arg(long, default_value_t = 0)]
    port_offset: u16,
    /// Address the default listeners bind to instead of 0.0.0.0.
    #[arg(long)]
    listen_address: Option<IpAddr>,
    /// Address of the admin web UI and its JSON API (`/api/v1`). The one port speaks HTTPS
    /// (a client whose first byte starts a TLS handshake; the certificate is `tls.cert`/`tls.key`,
    /// else the self-signed one) and plain HTTP; plain HTTP is served only to clients on this
    /// machine (127.0.0.0/8, ::1; see `admin.plain_http_loopback`), others are redirected to
    /// `https://` on the same port.
    #[arg(long, default_value = "127.0.0.1:9998")]
    admin_listen: SocketAddr,
}

/// How long sessions get to finish after SIGTERM.
const GRACE: Duration = Duration::from_secs(10);

/// Run the server.
pub async fn run(at: &super::Location, args: ServeArgs) -> anyhow::Result<()> {
    // Watched before anything else: a SIGTERM that comes during start-up is then a clean stop
    // once the server is up, not the default disposition's abrupt death.
    let signals = StopSignals::watch()?;
    let data = at.data.as_path();
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    crate::datadir::check_writable(data)?;
    // Held until this function returns (or the process dies): one server per directory.
    let _lock = lock::acquire(data)?;
    let nofile = nofile::raise();
    let o = super::open_as_node(at).await?;
    let settings = o.settings.clone();
    let defaults = defs::find(defs::BIND_LISTENERS.name)
        .map(|d| d.default)
        .unwrap_or_default();
    let listeners = shift_listeners(defaults, args.port_offset, args.listen_address)
        .map_err(anyhow::Error::msg)?;
    settings.override_default(defs::BIND_LISTENERS.name, listeners);
    let log_control = init_logging(data, &settings);
    log_nofile(nofile);
    if let Some(url) = &at.store
        && crate::datadir::is_data_dir(data)
    {
        tracing::warn!(
            target: "events",
            "{} holds an embedded store that is not used while serving from {url} \
             (heron store copy --from {} --to URL moves its contents)",
            data.display(),
            data.display()
        );
    }
    o.dir
        .ensure_admin()
        .await
        .context("cannot create the administrator account")?;

    // This node among those sharing the store: recorded before it takes any spool lease.
    let heartbeat = heron_store::heartbeat::start(
        o.dir.store().clone(),
        &heron_net::system_hostname(),
        env!("CARGO_PKG_VERSION"),
    )
    .await
    .context("cannot record this node in the store")?;
    let self_signed = self_signed(data, &settings)?;
    let _renewer = renew_self_signed(data.to_path_buf(), settings.clone());
    let _poller = o.store.follow_changes(Duration::from_millis(250));
    // Message files a killed process wrote but never recorded: now, then hourly.
    let _sweeper = o.store.sweep_orphans(heron_store::ORPHAN_SWEEP_EVERY);
    // Expunged messages kept readable for sessions not yet told: released once due.
    let _releaser =
        heron_store::held::start_releaser(o.dir.store().clone(), heron_store::held::RELEASE_EVERY);
    // Messages stored before the search index existed: their text kept in the background.
    let _indexer = heron_store::textindex::start_indexer(
        o.dir.store().clone(),
        heron_store::textindex::INDEX_EVERY,
    );
    // OPS-5: archived messages past `archive.retention_days` removed hourly.
    let _archive_pruner = {
        let settings = settings.clone();
        heron_store::archive::start_pruner(
            o.dir.store().clone(),
            heron_store::archive::PRUNE_EVERY,
            move || settings.get(defs::ARCHIVE_RETENTION_DAYS),
        )
    };
    let _refresher = settings.spawn_refresher();
    let _log_follower = follow_log_settings(log_control.clone(), settings.clone());

    let queue = Queue::new(o.dir.clone(), data.join("spool-work"));
    let queue_stop = CancellationToken::new();
    let queue_task = tokio::spawn(queue.clone().run(queue_stop.clone(), GRACE));
    // One filter for both SMTP doors (so `smtp_out.spam_check_workers` bounds them together)
    // and the admin's "test a message".
    let filter = Arc::new(
        heron_filter::Filter::new(settings.clone(), o.dir.store().clone())
            .with_dns(queue.shared_dns()),
    );
    // DMARC aggregate reports: sent daily from `dmarc.report_hour`, or at once from the admin.
    let dmarc = Arc::new(heron_queue::dmarc::Reporter::new(
        o.dir.clone(),
        queue.shared_dns(),
    ));
    let _dmarc_task = dmarc.clone().start(queue_stop.clone());
    // TLS reports (RFC 8460): sent daily from `tlsrpt.report_hour`, or at once from the admin.
    let tlsrpt = Arc::new(heron_queue::tls_policy::report::Reporter::new(
        o.dir.clone(),
        queue.shared_dns(),
    ));
    let _tlsrpt_task = tlsrpt.clone().start(queue_stop.clone());
    let services = mail_services(&o.dir, &queue, &filter);
    let listening = mail_listeners(&settings, &services);
    let server = Server::new(settings.clone(), services, self_signed, nofile.now);
    let _follow = server.start().await?;
    let _bound = super::bound::follow(o.dir.clone(), server.clone());
    let _flood_sync = super::flood_sync::spawn(server.clone(), o.dir.clone(), queue_stop.clone());
    // Certificates from the ACME authority of `acme.directory`, renewed and swapped in.
    let acme_stop = CancellationToken::new();
    let acme = Arc::new(heron_acme::start(
        settings.clone(),
        super::acme::hosted_domains(o.dir.store().clone()),
        data,
        server.clone(),
        acme_stop.clone(),
    ));
    // OPS-6: folder auto-clean, on one node at a time.
    let _autoclean = o.dir.start_autoclean(queue_stop.clone());
    // ACCESS-4: POP retrieval of users' external accounts.
    let _pop_retrieval =
        heron_pop3::retrieval::Retrieval::new(o.dir.store().clone(), settings.clone())
            .start(queue_stop.clone());
    // OPS-3: this node's statistics written in batches.
    let stats_stop = CancellationToken::new();
    let _stats = super::stats::spawn(o.dir.store().clone(), settings.clone(), stats_stop.clone());
    let admin_stop = CancellationToken::new();
    let (admin_task, admin_addr) = start_admin(
        args.admin_listen,
        o.dir.clone(),
        heron_admin::Runtime {
            registry: server.registry().clone(),
            data_dir: data.to_path_buf(),
            started: std::time::SystemTime::now(),
            problems: {
                let (server, acme) = (server.clone(), acme.clone());
                Arc::new(move || {
                    let mut all = server.problems();
                    all.extend(acme.problem());
                    all
                })
            },
            unbound: {
                let server = server.clone();
                Arc::new(move || server.bind_failures())
            },
            filter: Some(filter.clone()),
            dmarc: Some(dmarc.clone()),
            tlsrpt: Some(tlsrpt.clone()),
            tls: Some(server.tls().clone()),
        },
        heron_admin::ProcessLimits { nofile: nofile.now },
        admin_stop.clone(),
    )
    .await;
    let first_login = o
        .dir
        .store()
        .get_admin()
        .await
        .context("cannot read the administrator account")?
        .is_some_and(|a| a.must_change_password);
    startup::report(&startup::Facts {
        data,
        store: at.store.as_ref(),
        listeners: &listening,
        admin: admin_addr,
        log_dir: &log_control.dir(),
        first_login,
    });

    signals.wait().await;
    tracing::info!(target: "events", "shutting down");
    queue_stop.cancel();
    admin_stop.cancel();
    acme_stop.cancel();
    drain(&server, admin_task, queue_task).await;
    stats_stop.cancel();
    super::stats::final_flush(o.dir.store().as_ref()).await;
    heartbeat.stop().await;
    tracing::info!(target: "events", "stopped");
    Ok(())
}

/// The self-signed certificate pair, made at first start for the host's names: the
/// configured or system host name and the BIND-3 per-address names.
fn self_signed(data: &Path, settings: &Settings) -> anyhow::Result<(PathBuf, PathBuf)> {
    let hostname = Some(settings.get(defs::SERVER_HOSTNAME))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(heron_net::system_hostname);
    let bind_names: Vec<String> =
        values::parse_hostnames(&settings.raw(defs::BIND_HOSTNAMES.name).unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .map(|(_, name)| name)
            .collect();
    Ok(tls::ensure_self_signed(data, &hostname, &bind_names)?)
}

/// How often the self-signed certificate is looked at for renewal.
const SELF_SIGNED_CHECK: Duration = Duration::from_secs(86_400);

/// Daily, make the self-signed certificate again if it nears its end
/// ([`tls::ensure_self_signed`]); the listeners see the new files within a minute and serve
/// them to new connections.
fn renew_self_signed(data: PathBuf, settings: Arc<Settings>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut daily = tokio::time::interval(SELF_SIGNED_CHECK);
        daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        daily.tick().await;
        loop {
            daily.tick().await;
            if let Err(e) = self_signed(&data, &settings) {
                tracing::error!(target: "events", "cannot renew the self-signed certificate: {e}");
            }
        }
    })
}

/// The mail services by protocol: POP3, IMAP, and SMTP on its two doors.
fn mail_services(
    dir: &Directory,
    queue: &Queue,
    filter: &Arc<heron_filter::Filter>,
) -> HashMap<Protocol, Arc<dyn Service>> {
    let mut services: HashMap<Protocol, Arc<dyn Service>> = HashMap::new();
    services.insert(Protocol::Pop3, Arc::new(Pop3Service::new(dir.clone())));
    services.insert(Protocol::Imap, Arc::new(ImapService::new(dir.clone())));
    for (protocol, mode) in [
        (Protocol::Smtp, Mode::Mx),
        (Protocol::Submission, Mode::Submission),
    ] {
        let smtp = SmtpService::new(dir.clone(), mode)
            .with_dns(queue.shared_dns())
            .with_filter(filter.clone())
            .with_signers(queue.signers());
        services.insert(protocol, Arc::new(smtp));
    }
    services
}

/// Wait, each within the grace period, for the sessions, the admin connections and the
/// spool to finish after they were told to stop.
async fn drain(
    server: &Server,
    admin_task: Option<tokio::task::JoinHandle<()>>,
    queue_task: tokio::task::JoinHandle<()>,
) {
    if !server.shutdown(GRACE).await {
        tracing::warn!(target: "events", "some sessions did not finish within {GRACE:?}");
    }
    if let Some(t) = admin_task
        && tokio::time::timeout(GRACE, t).await.is_err()
    {
        tracing::warn!(target: "events", "admin API connections did not finish within {GRACE:?}");
    }
    if let Err(e) = queue_task.await {
        tracing::error!(target: "events", "the spool stopped abnormally: {e}");
    }
}

/// The mail listeners the server binds: those of `bind.listeners` whose protocol has an
/// enabled service.
fn mail_listeners(
    settings: &Settings,
    services: &HashMap<Protocol, Arc<dyn Service>>,
) -> Vec<ListenerSpec> {
    let raw = settings.raw(defs::BIND_LISTENERS.name).unwrap_or_default();
    parse_listeners(&raw)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| services.get(&l.protocol).is_some_and(|s| s.enabled()))
        .collect()
}

/// Bind the admin API at `addr` and serve it until `stop`. A failure to bind is reported and
/// mail keeps being served without it. Also returns the address bound, or why not.
async fn start_admin(
    addr: SocketAddr,
    dir: heron_directory::Directory,
    runtime: heron_admin::Runtime,
    limits: heron_admin::ProcessLimits,
    stop: CancellationToken,
) -> (
    Option<tokio::task::JoinHandle<()>>,
    Result<SocketAddr, String>,
) {
    let listener = match heron_admin::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(target: "events", "admin API not available: {e}");
            eprintln!("heron: admin API not available: {e}; serving mail without it");
            return (None, Err(e.to_string()));
        }
    };
    let task = tokio::spawn(async move {
        if let Err(e) = heron_admin::serve(listener, dir, runtime, limits, stop).await {
            tracing::error!(target: "events", "{e}");
        }
    });
    (Some(task), Ok(addr))
}

/// Say which open-file limit the listeners' budgets are shares of.
fn log_nofile(l: nofile::NofileLimit) {
    match l.error {
        None if l.now > l.before => {
            tracing::info!(target: "events", "open-file limit {} (raised from {})", l.now, l.before)
        }
        None => tracing::info!(target: "events", "open-file limit {}", l.now),
        Some(e) => tracing::warn!(target: "events", "{e}; open-file limit taken as {}", l.now),
    }
}

/// SIGTERM and SIGINT, registered at the start of `serve` so neither can kill the process with
/// the default disposition while it is still starting.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn watch() -> anyhow::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate()).context("cannot watch SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot watch SIGINT")?,
        })
    }

    /// Returns at the first of either signal, including one received before this call.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
    }
}

/// Per-protocol files (OPS-2) plus warnings on stderr (`RUST_LOG` overrides), coloured only
/// when stderr is a terminal. Records of the `log` crate (rustls) become tracing events,
/// except those of [`logs::QUIET_TARGETS`].
fn init_logging(data: &Path, settings: &Settings) -> logs::LogControl {
    let (files, control) = logs::layer(data, settings);
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")));
    let subscriber = tracing_subscriber::registry().with(files).with(stderr);
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        let bridge = logs::QUIET_TARGETS
            .iter()
            .fold(tracing_log::LogTracer::builder(), |b, t| b.ignore_crate(*t));
        let _ = bridge.init();
    }
    control.prune(settings.get(defs::LOG_RETENTION_DAYS));
    control
}

/// Apply log-setting changes at once and prune old files hourly.
fn follow_log_settings(
    control: logs::LogControl,
    settings: Arc<Settings>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut watch = settings.watch();
        let mut hourly = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                r = watch.changed() => {
                    if r.is_err() { return; }
                    control.apply(&settings);
                }
                _ = hourly.tick() => control.prune(settings.get(defs::LOG_RETENTION_DAYS)),
            }
        }
    })
}
