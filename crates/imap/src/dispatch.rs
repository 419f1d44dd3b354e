//! From command bytes to responses: parse them to one [`Command`] ([`heron_proto_imap::parse`]),
//! check the state table, run the command, announce what changed in the selected mailbox,
//! send the tagged response.
//!
//! Invariants: exactly one tagged response per parsed command (an unparsable command gets a
//! tagged BAD when its tag can be read, an untagged one otherwise); store failures are
//! logged and answered `NO [UNAVAILABLE]`, and the session goes on; untagged EXPUNGE
//! responses only follow commands that allow them ([`state::may_expunge`]); a SEARCH with
//! SAVE that does not end OK, parsed or not, empties the saved result (RFC 5182 §2.1); a
//! command whose set is a `$` standing for nothing ends OK without running
//! ([`Command::designates_nothing`]).

use heron_proto_imap::response::{self, code};
use heron_proto_imap::{Command, Extras, ParseError};
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::StatusKind;

use crate::cmd;
use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::searchres;
use crate::session::Session;
use crate::state::{self, State};
use crate::updates;

/// What the command loop does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    /// Count a bad command.
    Bad,
    Close,
}

/// The session's state, for the table in [`state`].
pub fn state_of(s: &Session<'_>) -> State {
    s.phase.state()
}

/// Run one complete command.
pub async fn run(s: &mut Session<'_>, raw: &[u8]) -> Outcome {
    let command = match heron_proto_imap::parse(raw, || searchres::saved_set(s.phase.selected())) {
        Ok(c) => c,
        Err(e) => return syntax_error(s, e),
    };
    let Command {
        tag,
        body,
        extras,
        designates_nothing,
    } = command;
    let tag = tag.into_static();
    let name = body.name();
    let st = state_of(s);
    if !state::allowed(st, &body) {
        let why = match st {
            State::NotAuthenticated if state::allowed(State::Selected, &body) => {
                format!("{name} requires login first")
            }
            State::Authenticated if state::allowed(State::Selected, &body) => {
                format!("{name} requires a selected mailbox")
            }
            _ if !state::allowed(State::Selected, &body)
                && !state::allowed(State::NotAuthenticated, &body)
                && !state::allowed(State::Authenticated, &body) =>
            {
                format!("{name} is not supported")
            }
            _ => format!("{name} is not allowed now"),
        };
        s.push(&response::tagged(&tag, StatusKind::Bad, None, &why));
        return Outcome::Bad;
    }
    tracing::debug!(target: "imap", "command {name}");
    s.poll_events();
    let may_expunge = state::may_expunge(&body);
    let saves = extras.search.is_some_and(|r| r.save);
    let result = if designates_nothing {
        // RFC 5182 §2.1: `$` standing for no message is not an error.
        Ok(Done::ok(format!("{name} completed, no messages")))
    } else {
        execute(s, &tag, body, extras).await
    };
    let done = match result {
        Ok(d) => d,
        Err(ImapError::Io(_) | ImapError::Closed) => return Outcome::Close,
        Err(e) => {
            tracing::error!(target: "imap", "{name} failed: {e}");
            Done::no("internal error, try again later").with(code("UNAVAILABLE"))
        }
    };
    if saves && done.kind != StatusKind::Ok {
        searchres::forget(s);
    }
    // Events of this command's own writes are published before the write returns.
    s.poll_events();
    if !done.close
        && let Err(e) = updates::announce(s, may_expunge).await
    {
        tracing::error!(target: "imap", "mailbox update failed: {e}");
    }
    if !done.sent {
        s.push(&response::tagged(&tag, done.kind, done.code, &done.text));
    }
    if done.close {
        Outcome::Close
    } else if done.counts_as_bad {
        Outcome::Bad
    } else {
        Outcome::Continue
    }
}

/// Answer an unparsable command with BAD.
fn syntax_error(s: &mut Session<'_>, e: ParseError) -> Outcome {
    tracing::debug!(target: "imap", "bad command: {e}");
    if e.forgets_saved {
        searchres::forget(s);
    }
    let line = match &e.tag {
        Some(tag) => response::tagged(tag, StatusKind::Bad, None, e.reason),
        None => response::untagged(StatusKind::Bad, None, e.reason),
    };
    s.push(&line);
    Outcome::Bad
}

/// Run a command. IDLE runs in this future; every other command in a boxed one: a future
/// has room for the largest state any of its branches needs, and a session waiting in IDLE
/// (for as long as half an hour) should hold the IDLE command's state, not FETCH's.
async fn execute(
    s: &mut Session<'_>,
    tag: &Tag<'static>,
    body: CommandBody<'_>,
    extras: Extras,
) -> Result<Done> {
    match body {
        CommandBody::Idle => cmd::idle::execute(s).await,
        body => Box::pin(execute_other(s, tag, body, extras)).await,
    }
}

/// The table from command to its file in [`cmd`]: any, not-authenticated and authenticated
/// state commands here (IDLE in [`execute`]), selected-state ones in [`execute_selected`].
async fn execute_other(
    s: &mut Session<'_>,
    tag: &Tag<'static>,
    body: CommandBody<'_>,
    extras: Extras,
) -> Result<Done> {
    use CommandBody as C;
    match body {
        C::Capability => cmd::capability::execute(s).await,
        C::Noop => cmd::noop::execute(s).await,
        C::Logout => cmd::logout::execute(s).await,
        C::Id { parameters } => cmd::id::execute(s, parameters).await,
        C::StartTLS => cmd::starttls::execute(s, tag).await,
        C::Login { username, password } => cmd::login::execute(s, username, password).await,
        C::Authenticate {
            mechanism,
            initial_response,
        } => cmd::authenticate::execute(s, mechanism, initial_response).await,
        C::Enable { capabilities } => cmd::enable::execute(s, capabilities).await,
        C::Select {
            mailbox,
            parameters,
        } => cmd::select::execute(s, mailbox, parameters, false).await,
        C::Examine {
            mailbox,
            parameters,
        } => cmd::examine::execute(s, mailbox, parameters).await,
        C::Namespace => cmd::namespace::execute(s).await,
        C::Create { mailbox } => cmd::create::execute(s, mailbox, extras.create_use).await,
        C::Delete { mailbox } => cmd::delete::execute(s, mailbox).await,
        C::Rename { from, to } => cmd::rename::execute(s, from, to).await,
        C::Subscribe { mailbox } => cmd::subscribe::execute(s, mailbox, true).await,
        C::Unsubscribe { mailbox } => cmd::unsubscribe::execute(s, mailbox).await,
        C::List {
            reference,
            mailbox_wildcard,
        } => cmd::list::execute(s, reference, mailbox_wildcard, extras.list).await,
        C::Lsub {
            reference,
            mailbox_wildcard,
        } => cmd::lsub::execute(s, reference, mailbox_wildcard).await,
        C::Status {
            mailbox,
            item_names,
        } => cmd::status::execute(s, mailbox, &item_names).await,
        C::Append {
            mailbox,
            flags,
            date,
            message,
        } => cmd::append::execute(s, mailbox, flags, date, message).await,
        C::GetQuota { root } => cmd::getquota::execute(s, root).await,
        C::GetQuotaRoot { mailbox } => cmd::getquotaroot::execute(s, mailbox).await,
        body => execute_selected(s, tag, body, extras).await,
    }
}

/// The table for the commands of the selected state (RFC 9051 §6.4).
async fn execute_selected(
    s: &mut Session<'_>,
    tag: &Tag<'static>,
    body: CommandBody<'_>,
    extras: Extras,
) -> Result<Done> {
    use CommandBody as C;
    match body {
        C::Check => cmd::check::execute(s).await,
        C::Close => cmd::close::execute(s).await,
        C::Unselect => cmd::unselect::execute(s).await,
        C::Expunge => cmd::expunge::execute(s, None).await,
        C::ExpungeUid { sequence_set } => cmd::expunge::execute(s, Some(sequence_set)).await,
        C::Search {
            charset,
            criteria,
            uid,
        } => cmd::search::execute(s, tag, charset, criteria, uid, extras.search).await,
        C::Fetch {
            sequence_set,
            macro_or_item_names,
            uid,
            modifiers,
        } => cmd::fetch::execute(s, sequence_set, macro_or_item_names, uid, modifiers).await,
        C::Store {
            sequence_set,
            kind,
            response,
            flags,
            uid,
            modifiers,
        } => cmd::store::execute(s, sequence_set, kind, response, flags, uid, modifiers).await,
        C::Copy {
            sequence_set,
            mailbox,
            uid,
        } => cmd::copy::execute(s, sequence_set, mailbox, uid).await,
        C::Move {
            sequence_set,
            mailbox,
            uid,
        } => cmd::r#move::execute(s, sequence_set, mailbox, uid).await,
        _ => Ok(Done::bad("command not supported")),
    }
}
