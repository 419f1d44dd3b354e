//! Turning refused connections away (SEC-1 lists, connection limits) without spending
//! anything on them: one non-blocking write of the service's refusal line, then close; and
//! logging them so that a flood of connections cannot flood the log.
//!
//! Invariant: nothing here waits on the client; a listener logs at most one refusal line
//! per [`QUIET`], the next one saying how many were left out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use heron_settings::values::{Encryption, ListenerSpec};
use tokio::net::TcpStream;

use crate::{Refusal, Service};

/// Shortest time between two refusal lines of one listener.
const QUIET: Duration = Duration::from_secs(1);

/// The service's refusal line if it fits in the socket buffer now (never on implicit-TLS
/// ports, where the client expects a handshake), then close.
pub(crate) fn refuse(tcp: TcpStream, spec: &ListenerSpec, service: &dyn Service, why: Refusal) {
    if spec.encryption != Encryption::Implicit {
        let _ = tcp.try_write(&service.refusal(why));
    }
    drop(tcp);
}

/// One listener's refusal log: the first refusal of a quiet spell is logged, later ones are
/// counted until [`QUIET`] has passed.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    last: Option<Instant>,
    left_out: u64,
}

impl RefusalLog {
    /// Log a refusal, or count it if one was logged less than [`QUIET`] ago.
    pub(crate) fn note(&mut self, target: &str, peer: SocketAddr, why: Refusal) {
        if !self.due(Instant::now()) {
            return;
        }
        let more = std::mem::take(&mut self.left_out);
        if more > 0 {
            tracing::warn!(target: "events", "{target}: {more} more connections refused in the meantime");
        }
        tracing::warn!(target: "events", "{target} connection from {peer} refused: {why:?}");
    }

    /// Whether a refusal at `now` is logged; if not, it is counted.
    fn due(&mut self, now: Instant) -> bool {
        if self.last.is_some_and(|t| now.duration_since(t) < QUIET) {
            self.left_out += 1;
            return false;
        }
        self.last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_a_second_and_a_count_of_the_rest() {
        let mut log = RefusalLog::default();
        let t0 = Instant::now();
        assert!(log.due(t0));
        for i in 1..=500 {
            assert!(!log.due(t0 + Duration::from_millis(i)));
        }
        assert_eq!(log.left_out, 500);
        assert!(log.due(t0 + QUIET));
        assert!(!log.due(t0 + QUIET + Duration::from_millis(1)));
    }
}
