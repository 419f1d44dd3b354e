//! `heron serve`: open the data directory, wire the services to the listeners, and run until
//! SIGTERM or Ctrl-C, then shut down gracefully (sessions finish their current command). The
//! open-file limit is raised first ([`crate::nofile`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use heron_imap::ImapService;
use heron_net::{Server, Service, tls};
use heron_pop3::Pop3Service;
use heron_queue::Queue;
use heron_settings::values::{Protocol, shift_listeners};
use heron_settings::{Settings, defs};
use heron_smtp::{Mode, SmtpService};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::{logs, nofile};

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
    /// Address of the admin HTTP API (`/api/v1`; the web interface will live there too).
    #[arg(long, default_value = "127.0.0.1:9998")]
    admin_listen: SocketAddr,
}

/// How long sessions get to finish after SIGTERM.
const GRACE: Duration = Duration::from_secs(10);

/// Run the server.
pub async fn run(data: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let nofile = nofile::raise();
    let o = super::open(data).await?;
    let settings = o.settings.clone();
    let defaults = defs::find(defs::BIND_LISTENERS.name)
        .map(|d| d.default)
        .unwrap_or_default();
    let listeners = shift_listeners(defaults, args.port_offset, args.listen_address)
        .map_err(anyhow::Error::msg)?;
    settings.override_default(defs::BIND_LISTENERS.name, listeners);
    let log_control = init_logging(data, &settings);
    log_nofile(nofile);
    o.dir
        .ensure_admin()
        .await
        .context("cannot create the administrator account")?;

    let hostname = Some(settings.get(defs::SERVER_HOSTNAME))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(heron_net::system_hostname);
    let self_signed = tls::ensure_self_signed(data, &hostname)?;
    let _poller = o.store.start_change_poller(Duration::from_millis(250));
    // Message files a killed process wrote but never recorded: now, then hourly.
    let _sweeper = o
        .store
        .start_orphan_sweeper(heron_store::ORPHAN_SWEEP_EVERY);
    let _refresher = settings.spawn_refresher();
    let _log_follower = follow_log_settings(log_control, settings.clone());

    let queue = Queue::new(o.dir.clone(), data.join("spool-work"));
    let queue_stop = CancellationToken::new();
    let queue_task = tokio::spawn(queue.clone().run(queue_stop.clone(), GRACE));
    let mut services: HashMap<Protocol, Arc<dyn Service>> = HashMap::new();
    services.insert(Protocol::Pop3, Arc::new(Pop3Service::new(o.dir.clone())));
    services.insert(Protocol::Imap, Arc::new(ImapService::new(o.dir.clone())));
    services.insert(
        Protocol::Smtp,
        Arc::new(SmtpService::new(o.dir.clone(), Mode::Mx).with_dns(queue.shared_dns())),
    );
    services.insert(
        Protocol::Submission,
        Arc::new(SmtpService::new(o.dir.clone(), Mode::Submission).with_dns(queue.shared_dns())),
    );
    let server = Server::new(settings.clone(), services, self_signed, nofile.now);
    let _follow = server.start().await?;
    tracing::info!(target: "events", "heron {} serving from {}", env!("CARGO_PKG_VERSION"), data.display());
    let admin_stop = CancellationToken::new();
    let admin_task = start_admin(
        args.admin_listen,
        o.dir.clone(),
        heron_admin::Runtime {
            registry: server.registry().clone(),
            data_dir: data.to_path_buf(),
        },
        heron_admin::ProcessLimits { nofile: nofile.now },
        admin_stop.clone(),
    )
    .await;
    eprintln!("heron: serving from {}", data.display());

    wait_for_signal().await?;
    tracing::info!(target: "events", "shutting down");
    queue_stop.cancel();
    admin_stop.cancel();
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
    tracing::info!(target: "events", "stopped");
    Ok(())
}

/// Bind the admin API at `addr` and serve it until `stop`. A failure to bind is reported and
/// mail keeps being served without it.
async fn start_admin(
    addr: SocketAddr,
    dir: heron_directory::Directory,
    runtime: heron_admin::Runtime,
    limits: heron_admin::ProcessLimits,
    stop: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let listener = match heron_admin::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(target: "events", "admin API not available: {e}");
            eprintln!("heron: admin API not available: {e}; serving mail without it");
            return None;
        }
    };
    tracing::info!(target: "events", "admin API on http://{addr}/api/v1");
    eprintln!("heron: admin API on http://{addr}/api/v1");
    Some(tokio::spawn(async move {
        if let Err(e) = heron_admin::serve(listener, dir, runtime, limits, stop).await {
            tracing::error!(target: "events", "{e}");
        }
    }))
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

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
    Ok(())
}

/// Per-protocol files (OPS-2) plus warnings on stderr (`RUST_LOG` overrides).
fn init_logging(data: &Path, settings: &Settings) -> logs::LogControl {
    let (files, control) = logs::layer(data, settings);
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")));
    let _ = tracing_subscriber::registry()
        .with(files)
        .with(stderr)
        .try_init();
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
