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
//! ([`Command::designates_nothing`]); the first command that enables CONDSTORE while a
//! mailbox is selected gets an untagged `OK [HIGHESTMODSEQ]` (RFC 7162 §3.1).

use std::num::NonZeroU64;

use heron_proto_imap::acl::{self, AclCommand, AclRequest};
use heron_proto_imap::response::{self, code};
use heron_proto_imap::{Command, Extras, ParseError};
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::command::{CommandBody, SelectParameter};
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, StatusKind};
use tokio_util::sync::CancellationToken;

use crate::cmd;
use crate::cx::{AsUser, InMailbox};
use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::searchres;
use crate::session::Session;
use crate::state::{self, State};

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
    // RFC 4314's commands, which `imap-codec` does not know.
    if let Some(parsed) = acl::parse(raw) {
        return match parsed {
            Ok(req) => run_acl(s, req).await,
            Err(e) => syntax_error(s, e),
        };
    }
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
    if let Err(e) = crate::access::refresh_selected(s).await {
        tracing::error!(target: "imap", "reading the rights of the selected mailbox failed: {e}");
    }
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
    let started = std::time::Instant::now();
    s.poll_events();
    let may_expunge = state::may_expunge(&body);
    let saves = extras.search.is_some_and(|r| r.save);
    let condstore_before = s.enabled.condstore
        || matches!(
            body,
            CommandBody::Select { .. } | CommandBody::Examine { .. }
        );
    let result = if designates_nothing {
        // RFC 5182 §2.1: `$` standing for no message is not an error.
        Ok(Done::ok(format!("{name} completed, no messages")))
    } else {
        execute(s, &tag, body, extras).await
    };
    let Some(done) = settle(name, result) else {
        return Outcome::Close;
    };
    if saves && done.kind != StatusKind::Ok {
        searchres::forget(s.phase.selected_mut());
    }
    // Events of this command's own writes are published before the write returns.
    s.poll_events();
    if !done.close
        && let Err(e) = s.announce_updates(may_expunge).await
    {
        tracing::error!(target: "imap", "mailbox update failed: {e}");
    }
    if !condstore_before && s.enabled.condstore {
        announce_highest_modseq(s);
    }
    if !done.sent {
        s.push(&response::tagged(&tag, done.kind, done.code, &done.text));
    }
    heron_metrics::metrics().imap_command(name, started.elapsed().as_secs_f64());
    if done.close {
        Outcome::Close
    } else if done.counts_as_bad {
        Outcome::Bad
    } else {
        Outcome::Continue
    }
}

/// A command's answer: its own, or `NO [UNAVAILABLE]` for an internal failure (logged, the
/// session goes on); `None` when the connection is gone.
fn settle(name: &str, result: Result<Done>) -> Option<Done> {
    match result {
        Ok(d) => Some(d),
        Err(ImapError::Io(_) | ImapError::Closed) => None,
        Err(e) => {
            tracing::error!(target: "imap", "{name} failed: {e}");
            Some(Done::no("internal error, try again later").with(code("UNAVAILABLE")))
        }
    }
}

/// Run an ACL command (RFC 4314 §3): authenticated or selected state.
async fn run_acl(s: &mut Session<'_>, req: AclRequest) -> Outcome {
    let AclRequest { tag, command } = req;
    let name = command.name();
    if !s.phase.is_authenticated() {
        let why = format!("{name} requires login first");
        s.push(&response::tagged(&tag, StatusKind::Bad, None, &why));
        return Outcome::Bad;
    }
    tracing::debug!(target: "imap", "command {name}");
    let started = std::time::Instant::now();
    s.poll_events();
    let result = match s.as_user() {
        Some(mut cx) => execute_acl(&mut cx, command).await,
        None => Ok(Done::bad(LOGIN_FIRST)),
    };
    let Some(done) = settle(name, result) else {
        return Outcome::Close;
    };
    s.poll_events();
    if let Err(e) = s.announce_updates(true).await {
        tracing::error!(target: "imap", "mailbox update failed: {e}");
    }
    s.push(&response::tagged(&tag, done.kind, done.code, &done.text));
    heron_metrics::metrics().imap_command(name, started.elapsed().as_secs_f64());
    if done.counts_as_bad {
        Outcome::Bad
    } else {
        Outcome::Continue
    }
}

/// The table from ACL command to its file in [`cmd`].
async fn execute_acl(cx: &mut AsUser<'_>, command: AclCommand) -> Result<Done> {
    use AclCommand as A;
    match command {
        A::SetAcl {
            mailbox,
            identifier,
            rights,
        } => cmd::setacl::execute(cx, &mailbox, &identifier, &rights).await,
        A::DeleteAcl {
            mailbox,
            identifier,
        } => cmd::deleteacl::execute(cx, &mailbox, &identifier).await,
        A::GetAcl { mailbox } => cmd::getacl::execute(cx, &mailbox).await,
        A::ListRights {
            mailbox,
            identifier,
        } => cmd::listrights::execute(cx, &mailbox, &identifier).await,
        A::MyRights { mailbox } => cmd::myrights::execute(cx, &mailbox).await,
    }
}

/// RFC 7162 §3.1: the first CONDSTORE-enabling command (FETCH or SEARCH with MODSEQ,
/// STORE with UNCHANGEDSINCE, ...) issued while a mailbox is selected is answered with an
/// untagged `OK [HIGHESTMODSEQ n]`; SELECT and EXAMINE send theirs themselves.
fn announce_highest_modseq(s: &mut Session<'_>) {
    let Some(sel) = s.phase.selected() else {
        return;
    };
    let hms = NonZeroU64::new(sel.highest_modseq()).unwrap_or(NonZeroU64::MIN);
    s.push(&response::untagged(
        StatusKind::Ok,
        Some(Code::HighestModSeq(hms)),
        "highest",
    ));
}

/// Answer an unparsable command with BAD.
fn syntax_error(s: &mut Session<'_>, e: ParseError) -> Outcome {
    tracing::debug!(target: "imap", "bad command: {e}");
    if e.forgets_saved {
        searchres::forget(s.phase.selected_mut());
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

/// The table from command to its file in [`cmd`], for the commands of any state, those
/// that work on the connection and those that change the state (IDLE in [`execute`]); the
/// others go to [`execute_as_user`] or [`execute_selected`] with the parts their state has.
async fn execute_other(
    s: &mut Session<'_>,
    tag: &Tag<'static>,
    body: CommandBody<'_>,
    extras: Extras,
) -> Result<Done> {
    use CommandBody as C;
    match body {
        C::Capability => cmd::capability::execute(s).await,
        C::Noop => cmd::noop::execute().await,
        C::Check => cmd::check::execute().await,
        C::Logout => cmd::logout::execute(&mut s.wire).await,
        C::Id { parameters } => cmd::id::execute(&mut s.wire, parameters).await,
        C::StartTLS => cmd::starttls::execute(s, tag).await,
        C::Compress { algorithm } => cmd::compress::execute(s, tag, algorithm).await,
        C::Login { username, password } => cmd::login::execute(s, username, password).await,
        C::Authenticate {
            mechanism,
            initial_response,
        } => cmd::authenticate::execute(s, mechanism, initial_response).await,
        C::Select {
            mailbox,
            parameters,
        } => select(s, mailbox, parameters, false).await,
        C::Examine {
            mailbox,
            parameters,
        } => select(s, mailbox, parameters, true).await,
        C::Delete { mailbox } => {
            let store = s.store();
            let utf8 = s.enabled.utf8;
            cmd::delete::execute(&**store, &mut s.phase, utf8, &mut s.wire, mailbox).await
        }
        C::Rename { from, to } => {
            let Some((user, view)) = s.phase.user_and_view() else {
                return Ok(Done::bad(LOGIN_FIRST));
            };
            let mut cx = AsUser {
                svc: s.svc,
                user,
                enabled: &mut s.enabled,
                wire: &mut s.wire,
            };
            cmd::rename::execute(&mut cx, view, from, to).await
        }
        C::Close => cmd::close::execute(&**s.store(), &mut s.phase).await,
        C::Unselect => cmd::unselect::execute(&mut s.phase).await,
        body if state::allowed(State::Authenticated, &body) => match s.as_user() {
            Some(mut cx) => execute_as_user(&mut cx, body, extras).await,
            None => Ok(Done::bad(LOGIN_FIRST)),
        },
        body => {
            let cancel = s.info.cancel.clone();
            match s.in_mailbox() {
                Some(mut m) => execute_selected(&mut m, cancel, tag, body, extras).await,
                None => Ok(Done::bad("no mailbox selected")),
            }
        }
    }
}

/// SELECT, or EXAMINE when `read_only`: given the phase they change and the parts they use.
async fn select(
    s: &mut Session<'_>,
    mailbox: Mailbox<'_>,
    parameters: Vec<SelectParameter>,
    read_only: bool,
) -> Result<Done> {
    let (svc, phase, enabled, wire) = (s.svc, &mut s.phase, &mut s.enabled, &mut s.wire);
    if read_only {
        cmd::examine::execute(svc, phase, enabled, wire, mailbox, parameters).await
    } else {
        cmd::select::execute(svc, phase, enabled, wire, mailbox, parameters, false).await
    }
}

/// What a command of the authenticated state answers when no user has logged in; the
/// state table ([`state::allowed`]) keeps it from being sent.
const LOGIN_FIRST: &str = "login first";

/// The table for the other commands of the authenticated state (RFC 9051 §6.3).
async fn execute_as_user(
    cx: &mut AsUser<'_>,
    body: CommandBody<'_>,
    extras: Extras,
) -> Result<Done> {
    use CommandBody as C;
    match body {
        C::Enable { capabilities } => cmd::enable::execute(cx, capabilities).await,
        C::Namespace => cmd::namespace::execute(cx).await,
        C::Create { mailbox } => cmd::create::execute(cx, mailbox, extras.create_use).await,
        C::Subscribe { mailbox } => cmd::subscribe::execute(cx, mailbox, true).await,
        C::Unsubscribe { mailbox } => cmd::unsubscribe::execute(cx, mailbox).await,
        C::List {
            reference,
            mailbox_wildcard,
        } => cmd::list::execute(cx, reference, mailbox_wildcard, extras.list).await,
        C::Lsub {
            reference,
            mailbox_wildcard,
        } => cmd::lsub::execute(cx, reference, mailbox_wildcard).await,
        C::Status {
            mailbox,
            item_names,
        } => cmd::status::execute(cx, mailbox, &item_names).await,
        C::Append {
            mailbox,
            flags,
            date,
            message,
        } => cmd::append::execute(cx, mailbox, flags, date, message).await,
        C::GetQuota { root } => cmd::getquota::execute(cx, root).await,
        C::GetQuotaRoot { mailbox } => cmd::getquotaroot::execute(cx, mailbox).await,
        C::GetMetadata {
            options,
            mailbox,
            entries,
        } => cmd::getmetadata::execute(cx, options, mailbox, entries).await,
        C::SetMetadata {
            mailbox,
            entry_values,
        } => cmd::setmetadata::execute(cx, mailbox, entry_values).await,
        _ => Ok(Done::bad("command not supported")),
    }
}

/// The table for the commands of the selected state (RFC 9051 §6.4).
async fn execute_selected(
    m: &mut InMailbox<'_>,
    cancel: CancellationToken,
    tag: &Tag<'static>,
    body: CommandBody<'_>,
    extras: Extras,
) -> Result<Done> {
    use CommandBody as C;
    match body {
        C::Expunge => cmd::expunge::execute(m, None).await,
        C::ExpungeUid { sequence_set } => cmd::expunge::execute(m, Some(sequence_set)).await,
        C::Search {
            charset,
            criteria,
            uid,
        } => cmd::search::execute(m, cancel, tag, charset, criteria, uid, extras.search).await,
        C::Sort {
            sort_criteria,
            charset,
            search_criteria,
            uid,
        } => {
            let args = cmd::sort::Args {
                criteria: sort_criteria,
                charset,
                search: search_criteria,
                uid,
                ret: extras.search,
            };
            cmd::sort::execute(m, cancel, tag, args).await
        }
        C::Thread {
            algorithm,
            charset,
            search_criteria,
            uid,
        } => cmd::thread::execute(m, cancel, algorithm, charset, search_criteria, uid).await,
        C::Fetch {
            sequence_set,
            macro_or_item_names,
            uid,
            modifiers,
        } => cmd::fetch::execute(m, sequence_set, macro_or_item_names, uid, modifiers).await,
        C::Store {
            sequence_set,
            kind,
            response,
            flags,
            uid,
            modifiers,
        } => cmd::store::execute(m, sequence_set, kind, response, flags, uid, modifiers).await,
        C::Copy {
            sequence_set,
            mailbox,
            uid,
        } => cmd::copy::execute(m, sequence_set, mailbox, uid).await,
        C::Move {
            sequence_set,
            mailbox,
            uid,
        } => cmd::r#move::execute(m, sequence_set, mailbox, uid).await,
        _ => Ok(Done::bad("command not supported")),
    }
}
