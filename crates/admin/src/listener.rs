//! The admin listener's accept loop: takes connections, refuses those past the cap, and
//! serves each on its own task until the stop token is cancelled: over TLS or plain HTTP as
//! its first byte says ([`crate::transport`]), then by [`crate::conn`].
//!
//! Invariants:
//! - At most [`cap`] connections are open at once: `admin.max_connections`, bounded by the
//!   listener's share of the process's open-file limit
//!   ([`heron_settings::fd_budget::listener_connection_cap`]), so idle or slow clients of the
//!   admin API can never take the descriptors the mail listeners need. Both are read at each
//!   accept, so a change applies to the next connection.
//! - A connection past the cap is closed as soon as it is accepted, before any task or
//!   buffer exists for it.
//! - An accept error other than a connection error (e.g. `EMFILE`) is logged and the loop
//!   waits a second before accepting again, instead of spinning.
//! - On stop, nothing new is accepted and the listening socket is closed at once; each open
//!   connection finishes the request it is serving and closes; [`run`] returns when all have.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use heron_settings::Settings;
use heron_settings::defs;
use heron_settings::fd_budget::listener_connection_cap;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::conn;
use crate::transport::{self, Accepted, Transport};

/// The listeners' certificates, for HTTPS; `None`: plain HTTP only.
pub type Certificates = Option<Arc<heron_net::tls::TlsProvider>>;

/// How long the loop waits after an accept error that is not about one connection.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// What the admin listener needs to know about the process.
#[derive(Clone, Copy, Debug)]
pub struct ProcessLimits {
    /// The process's open-file limit (soft `RLIMIT_NOFILE`) as it stands after start.
    pub nofile: u64,
}

/// Connections the admin listener may hold now.
pub fn cap(settings: &Settings, limits: ProcessLimits) -> u64 {
    listener_connection_cap(settings.get(defs::ADMIN_MAX_CONNECTIONS), limits.nofile)
}

/// Accept and serve connections on `listener` until `stop` is cancelled and every
/// connection has finished.
pub async fn run(
    listener: TcpListener,
    app: Router,
    settings: Arc<Settings>,
    (limits, tls): (ProcessLimits, Certificates),
    stop: CancellationToken,
) {
    let open = Arc::new(AtomicU64::new(0));
    let tasks = TaskTracker::new();
    let mut at_cap = false;
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                accept_failed(&e, &stop).await;
                continue;
            }
        };
        let cap = cap(&settings, limits);
        let Some(slot) = Slot::take(&open, cap) else {
            drop(stream);
            if !at_cap {
                at_cap = true;
                tracing::warn!(target: "events",
                    "admin API: {cap} connections open, closing new ones until some end (admin.max_connections)");
            }
            continue;
        };
        at_cap = false;
        let deadlines = (
            conn::header_timeout(&settings),
            conn::write_stall(&settings),
        );
        let policy = transport::Policy {
            tls: tls.clone(),
            plain_loopback: settings.get(defs::ADMIN_PLAIN_HTTP_LOOPBACK),
            deadline: deadlines.0,
        };
        tasks.spawn(serve(
            stream,
            (peer, policy),
            app.clone(),
            deadlines,
            stop.clone(),
            slot,
        ));
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}

async fn serve(
    stream: tokio::net::TcpStream,
    (peer, policy): (SocketAddr, transport::Policy),
    app: Router,
    (header_timeout, write_stall): (Duration, Duration),
    stop: CancellationToken,
    slot: Slot,
) {
    let deadlines = (header_timeout, write_stall);
    // A connection that has not begun its first request closes at once on stop.
    let accepted = tokio::select! {
        a = transport::accept(stream, peer, &policy) => a,
        _ = stop.cancelled() => Accepted::Gone,
    };
    match accepted {
        Accepted::Tls(s, t) => conn::serve(s, (peer, t), app, deadlines.0, deadlines.1, stop).await,
        Accepted::Plain(s) => {
            let t = Transport::default();
            conn::serve(s, (peer, t), app, deadlines.0, deadlines.1, stop).await
        }
        Accepted::Redirect(s) => {
            let local = s.local_addr().unwrap_or(peer);
            let app = transport::redirect_app(local);
            let t = Transport::default();
            conn::serve(s, (peer, t), app, deadlines.0, deadlines.1, stop).await
        }
        Accepted::Gone => {}
    }
    drop(slot);
}

async fn accept_failed(e: &std::io::Error, stop: &CancellationToken) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(target: "events", "admin API cannot accept connections: {e}");
    tokio::select! {
        _ = tokio::time::sleep(ACCEPT_BACKOFF) => {},
        _ = stop.cancelled() => {},
    }
}

/// One open connection, counted while it lives.
struct Slot(Arc<AtomicU64>);

impl Slot {
    /// Count one more connection if fewer than `cap` are open. Only the accept loop takes
    /// slots, so the check and the increment cannot race with another taker.
    fn take(open: &Arc<AtomicU64>, cap: u64) -> Option<Slot> {
        if open.load(Ordering::Acquire) >= cap {
            return None;
        }
        open.fetch_add(1, Ordering::AcqRel);
        Some(Slot(open.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_stop_at_the_cap_and_free_on_drop() {
        let open = Arc::new(AtomicU64::new(0));
        let a = Slot::take(&open, 2).expect("first");
        let b = Slot::take(&open, 2).expect("second");
        assert!(Slot::take(&open, 2).is_none());
        drop(a);
        let c = Slot::take(&open, 2).expect("freed slot");
        assert!(Slot::take(&open, 2).is_none());
        drop((b, c));
        assert_eq!(open.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_lowered_cap_refuses_until_enough_close() {
        let open = Arc::new(AtomicU64::new(0));
        let held: Vec<Slot> = (0..3).filter_map(|_| Slot::take(&open, 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(Slot::take(&open, 1).is_none());
        drop(held);
        assert!(Slot::take(&open, 1).is_some());
    }
}
