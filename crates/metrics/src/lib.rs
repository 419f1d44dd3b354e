//! Prometheus metrics of this process (OPS-3's live side): counters and histograms that the
//! protocol crates move as they work, and gauges filled at scrape time from the listeners'
//! registry and the store. The admin listener serves them at `/metrics` in Prometheus's text
//! format (0.0.4).
//!
//! One registry per process ([`metrics`]), so every crate records without threading a handle
//! through its constructors. Invariants: every label value comes from a fixed set chosen by
//! the code (protocol names, reply classes, command names, verdicts, block kinds), never from
//! what a client sent, so the number of series is bounded; recording is a few atomic
//! operations and never blocks; the gauges are set only from a [`Snapshot`] when scraped.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of the answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Protocol {
    protocol: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Refused {
    protocol: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reply {
    door: String,
    class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Door {
    door: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Command {
    command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Verdict {
    verdict: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: String,
}

/// Seconds from a message's arrival to its delivery to a remote server.
const DELIVERY_BUCKETS: [f64; 14] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 86400.0,
];
/// Seconds an IMAP command or a store write takes.
const SHORT_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What is known only when scraped: open sessions, the queue, the blocks in force.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Open sessions per protocol.
    pub sessions: Vec<(String, i64)>,
    /// Messages in the queue.
    pub queue_messages: i64,
    /// Age of the oldest queued message, seconds (0 when empty).
    pub queue_oldest_seconds: i64,
    /// Blocks in force per kind (abuse rules).
    pub blocks: Vec<(String, i64)>,
}

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    connections: Family<Protocol, Counter>,
    refused: Family<Refused, Counter>,
    sessions: Family<Protocol, Gauge>,
    smtp_replies: Family<Reply, Counter>,
    received: Family<Door, Counter>,
    deliveries: Family<Outcome, Counter>,
    delivery_seconds: Histogram,
    imap_commands: Family<Command, Histogram>,
    filter_verdicts: Family<Verdict, Counter>,
    store_writes: Histogram,
    queue_messages: Gauge,
    queue_oldest: Gauge,
    blocks: Family<Kind, Gauge>,
}

/// The process's metrics, made on first use.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

fn short() -> Histogram {
    Histogram::new(SHORT_BUCKETS)
}

impl Metrics {
    fn new() -> Self {
        let m = Self {
            registry: Registry::with_prefix("heron"),
            connections: Family::default(),
            refused: Family::default(),
            sessions: Family::default(),
            smtp_replies: Family::default(),
            received: Family::default(),
            deliveries: Family::default(),
            delivery_seconds: Histogram::new(DELIVERY_BUCKETS),
            imap_commands: Family::new_with_constructor(short),
            filter_verdicts: Family::default(),
            store_writes: short(),
            queue_messages: Gauge::default(),
            queue_oldest: Gauge::default(),
            blocks: Family::default(),
        };
        m.register()
    }

    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "connections",
            "Connections accepted, by protocol",
            self.connections.clone(),
        );
        r.register(
            "connections_refused",
            "Connections refused at accept, by protocol and reason",
            self.refused.clone(),
        );
        r.register(
            "sessions",
            "Open sessions, by protocol",
            self.sessions.clone(),
        );
        r.register(
            "smtp_replies",
            "SMTP replies sent, by door (smtp, submission) and class (2xx, 3xx, 4xx, 5xx)",
            self.smtp_replies.clone(),
        );
        r.register(
            "messages_received",
            "Messages accepted over SMTP, by door",
            self.received.clone(),
        );
        r.register(
            "deliveries",
            "Outbound delivery attempts per recipient, by result (delivered, deferred, failed)",
            self.deliveries.clone(),
        );
        r.register(
            "delivery_latency_seconds",
            "Seconds from a message's arrival to its delivery to a remote server",
            self.delivery_seconds.clone(),
        );
        r.register(
            "imap_command_seconds",
            "Seconds an IMAP command took, by command",
            self.imap_commands.clone(),
        );
        r.register(
            "filter_verdicts",
            "Messages judged by the spam and virus filter, by verdict",
            self.filter_verdicts.clone(),
        );
        r.register(
            "store_write_seconds",
            "Seconds a message took to be written durably (mailboxes or spool)",
            self.store_writes.clone(),
        );
        r.register(
            "queue_messages",
            "Messages in the outbound queue",
            self.queue_messages.clone(),
        );
        r.register(
            "queue_oldest_seconds",
            "Age of the oldest message in the outbound queue",
            self.queue_oldest.clone(),
        );
        r.register(
            "blocks",
            "Blocks in force, by kind (auth-ip, auth-account, harvest, sending, dos-*)",
            self.blocks.clone(),
        );
        self
    }

    /// A connection of `protocol` accepted.
    pub fn connection(&self, protocol: &str) {
        self.connections
            .get_or_create(&Protocol {
                protocol: protocol.to_owned(),
            })
            .inc();
    }

    /// A connection of `protocol` refused at accept, for `reason` (a fixed word).
    pub fn refused(&self, protocol: &str, reason: &str) {
        self.refused
            .get_or_create(&Refused {
                protocol: protocol.to_owned(),
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// An SMTP reply with `code` sent on `door`.
    pub fn smtp_reply(&self, door: &str, code: u16) {
        let class = match code / 100 {
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        self.smtp_replies
            .get_or_create(&Reply {
                door: door.to_owned(),
                class: class.to_owned(),
            })
            .inc();
    }

    /// A message accepted on `door`.
    pub fn received(&self, door: &str) {
        self.received
            .get_or_create(&Door {
                door: door.to_owned(),
            })
            .inc();
    }

    /// An outbound attempt for one recipient ended with `result`; for a delivery, the
    /// seconds since the message arrived.
    pub fn delivery(&self, result: &str, latency: Option<f64>) {
        self.deliveries
            .get_or_create(&Outcome {
                result: result.to_owned(),
            })
            .inc();
        if let Some(s) = latency {
            self.delivery_seconds.observe(s.max(0.0));
        }
    }

    /// An IMAP `command` (its name) took `seconds`.
    pub fn imap_command(&self, command: &str, seconds: f64) {
        self.imap_commands
            .get_or_create(&Command {
                command: command.to_owned(),
            })
            .observe(seconds);
    }

    /// The filter judged a message `verdict` (clean, low, medium, high: the spam level; virus).
    pub fn filter_verdict(&self, verdict: &str) {
        self.filter_verdicts
            .get_or_create(&Verdict {
                verdict: verdict.to_owned(),
            })
            .inc();
    }

    /// A message write took `seconds`.
    pub fn store_write(&self, seconds: f64) {
        self.store_writes.observe(seconds);
    }

    /// Everything in Prometheus's text format, the gauges set from `now`.
    pub fn encode(&self, now: &Snapshot) -> String {
        self.sessions.clear();
        for (p, n) in &now.sessions {
            self.sessions
                .get_or_create(&Protocol {
                    protocol: p.clone(),
                })
                .set(*n);
        }
        self.queue_messages.set(now.queue_messages);
        self.queue_oldest.set(now.queue_oldest_seconds);
        self.blocks.clear();
        for (k, n) in &now.blocks {
            self.blocks.get_or_create(&Kind { kind: k.clone() }).set(*n);
        }
        let mut out = String::new();
        if prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_show_in_the_text() {
        let m = Metrics::new();
        m.connection("imap");
        m.connection("imap");
        m.smtp_reply("smtp", 250);
        m.smtp_reply("smtp", 451);
        m.delivery("delivered", Some(0.3));
        m.imap_command("FETCH", 0.002);
        let text = m.encode(&Snapshot {
            sessions: vec![("imap".into(), 3)],
            queue_messages: 7,
            queue_oldest_seconds: 40,
            blocks: vec![("auth-ip".into(), 2)],
        });
        for line in [
            "heron_connections_total{protocol=\"imap\"} 2",
            "heron_smtp_replies_total{door=\"smtp\",class=\"4xx\"} 1",
            "heron_sessions{protocol=\"imap\"} 3",
            "heron_queue_messages 7",
            "heron_blocks{kind=\"auth-ip\"} 2",
            "heron_delivery_latency_seconds_count 1",
            "heron_imap_command_seconds_bucket{command=\"FETCH\",le=\"0.0025\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing in:\n{text}"
            );
        }
        // Gauges follow the latest snapshot: a protocol no longer listed goes.
        let text = m.encode(&Snapshot::default());
        assert!(!text.contains("heron_sessions{"), "{text}");
    }
}
