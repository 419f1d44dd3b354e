//! Bounding long work inside one command (a SEARCH over a large mailbox): a [`WorkWatch`]
//! raises a stop flag when the command's time budget is spent, when the session is told
//! to end, or when the client hangs up, and the work checks the flag as it goes.
//!
//! The watch runs as its own task, so it works even while the session's task is blocked
//! in CPU work. It notices a hang-up through a duplicate of the connection's socket, with
//! `peek`, so nothing the client sends is consumed; a client that sends more (a pipelined
//! command) is alive, and the watch stops looking.
//!
//! Invariant: the watch task ends when the [`WorkWatch`] is dropped, so a finished
//! command leaves nothing running and the duplicate socket is closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Why work was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The command's time budget is spent.
    OverBudget,
    /// The session is to end (shutdown or an administrator's action).
    Cancelled,
    /// The client closed the connection.
    HungUp,
}

const RUNNING: u8 = 0;

impl Stopped {
    fn code(self) -> u8 {
        match self {
            Stopped::OverBudget => 1,
            Stopped::Cancelled => 2,
            Stopped::HungUp => 3,
        }
    }
    fn from_code(c: u8) -> Option<Self> {
        match c {
            1 => Some(Stopped::OverBudget),
            2 => Some(Stopped::Cancelled),
            3 => Some(Stopped::HungUp),
            _ => None,
        }
    }
}

/// Watches one command's work; see the module docs.
pub struct WorkWatch {
    flag: Arc<AtomicU8>,
    task: JoinHandle<()>,
}

impl WorkWatch {
    /// Start watching: stop after `budget`, on `cancel`, or when the client behind
    /// `socket` (a duplicate of the session's socket, if one could be made) hangs up.
    pub fn start(budget: Duration, cancel: CancellationToken, socket: Option<TcpStream>) -> Self {
        let flag = Arc::new(AtomicU8::new(RUNNING));
        let raise = flag.clone();
        let task = tokio::spawn(async move {
            let why = tokio::select! {
                _ = tokio::time::sleep(budget) => Stopped::OverBudget,
                _ = cancel.cancelled() => Stopped::Cancelled,
                _ = hung_up(socket) => Stopped::HungUp,
            };
            raise.store(why.code(), Ordering::Relaxed);
        });
        Self { flag, task }
    }

    /// Whether the work must stop, and why.
    pub fn stopped(&self) -> Option<Stopped> {
        Stopped::from_code(self.flag.load(Ordering::Relaxed))
    }

    /// `Err` once the work must stop: for `?` in loops.
    pub fn check(&self) -> Result<(), Stopped> {
        self.stopped().map_or(Ok(()), Err)
    }
}

impl Drop for WorkWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Resolves when the peer has closed the connection; never when it sends data or when
/// there is no socket to watch.
async fn hung_up(socket: Option<TcpStream>) {
    let Some(tcp) = socket else {
        return std::future::pending().await;
    };
    let mut byte = [0u8; 1];
    match tcp.peek(&mut byte).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}

/// A duplicate of a stream's socket for [`WorkWatch`]; `None` if it cannot be made.
pub fn duplicate(tcp: &TcpStream) -> Option<TcpStream> {
    use std::os::fd::AsFd;
    let owned = tcp.as_fd().try_clone_to_owned().ok()?;
    let std_tcp = std::net::TcpStream::from(owned);
    std_tcp.set_nonblocking(true).ok()?;
    TcpStream::from_std(std_tcp).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        (server, client)
    }

    async fn settle(w: &WorkWatch) -> Option<Stopped> {
        for _ in 0..200 {
            if let Some(s) = w.stopped() {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }

    #[tokio::test]
    async fn stops_on_budget_cancel_and_hangup_but_not_on_data() {
        let w = WorkWatch::start(Duration::from_millis(20), CancellationToken::new(), None);
        assert_eq!(settle(&w).await, Some(Stopped::OverBudget));

        let cancel = CancellationToken::new();
        let w = WorkWatch::start(Duration::from_secs(60), cancel.clone(), None);
        assert_eq!(w.check(), Ok(()));
        cancel.cancel();
        assert_eq!(settle(&w).await, Some(Stopped::Cancelled));

        let (server, client) = pair().await;
        let w = WorkWatch::start(
            Duration::from_secs(60),
            CancellationToken::new(),
            duplicate(&server),
        );
        drop(client);
        assert_eq!(settle(&w).await, Some(Stopped::HungUp));

        let (server, mut client) = pair().await;
        let w = WorkWatch::start(
            Duration::from_secs(60),
            CancellationToken::new(),
            duplicate(&server),
        );
        client.write_all(b"next command\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(w.stopped(), None, "a client that sends more is alive");
    }
}
