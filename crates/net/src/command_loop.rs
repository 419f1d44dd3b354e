//! The command loop every session runs (SMTP, POP3 and IMAP today; LDAP, XMPP and ManageSieve
//! to come): read a command within the deadlines, run it, count bad commands against the
//! limit, and stop when the session is to end.
//!
//! A protocol supplies what differs ([`Protocol`]): how it reads a command, how it runs one,
//! its bad-command limit, and what it says when the loop ends on its own account. The loop is
//! the one place that decides when a session stops.
//!
//! Invariants: once the session's cancel token fires (server shutdown, an administrator's
//! "end session"), no further command starts, even one that arrived at the same moment, and a
//! command in progress is never cut short by it; every read is the protocol's, so it is bounded
//! by the client's deadlines; the session closes when the bad-command count reaches the limit
//! (0: no limit).

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::client::Flow;
use crate::line::ReadError;

/// Why the loop ended other than by a command's [`Flow::Close`].
#[derive(Debug)]
pub enum Ending {
    /// The cancel token fired between commands.
    Shutdown,
    /// The client sent no command within the command timeout (or the session's time ran out).
    Timeout,
    /// The bad-command limit was reached.
    TooManyBad,
    /// The connection ended or failed while a command was read.
    ReadFailed(ReadError),
}

/// What one protocol's session supplies to [`run`].
pub trait Protocol {
    /// One command as read: a line, or a whole command with its literals.
    type Input;

    /// The token that ends the session between commands.
    fn cancel_token(&self) -> CancellationToken;

    /// Reads the next command, its deadlines refreshed from the settings as they are now.
    fn read(&mut self) -> impl Future<Output = Result<Self::Input, ReadError>> + Send;

    /// Runs one command and answers it.
    fn handle(&mut self, input: Self::Input) -> impl Future<Output = Flow> + Send;

    /// Bad commands after which the session closes, as set now; 0 for no limit.
    fn max_bad_commands(&self) -> u64;

    /// Says goodbye as the protocol does for `why` (nothing, when the connection is gone).
    fn end(&mut self, why: Ending) -> impl Future<Output = ()> + Send;
}

/// Runs `session`'s commands until it closes, times out, fails, is cancelled or reaches its
/// bad-command limit.
pub async fn run<P: Protocol + Send>(session: &mut P) {
    let cancel = session.cancel_token();
    let mut bad: u64 = 0;
    loop {
        // Biased: once the session is to end, no further command starts.
        let read = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                session.end(Ending::Shutdown).await;
                return;
            }
            r = session.read() => r,
        };
        let flow = match read {
            Ok(input) => session.handle(input).await,
            Err(ReadError::Timeout) => {
                session.end(Ending::Timeout).await;
                return;
            }
            Err(e) => {
                session.end(Ending::ReadFailed(e)).await;
                return;
            }
        };
        match flow {
            Flow::Continue => {}
            Flow::Close => return,
            Flow::Bad => {
                bad += 1;
                let max = session.max_bad_commands();
                if max != 0 && bad >= max {
                    session.end(Ending::TooManyBad).await;
                    return;
                }
            }
        }
    }
}
