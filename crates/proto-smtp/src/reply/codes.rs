//! Every reply the server sends, by name: basic code (RFC 5321 §4.2.2),
//! enhanced code (RFC 3463, RFC 5248 registry) and default text.
//!
//! Invariant: the enhanced class of each constant equals the first digit of
//! its basic code; 3xx replies and the connection greeting carry none.

use super::Reply;

const fn r(code: u16, enhanced: (u8, u16, u16), text: &'static str) -> Reply {
    Reply::new(code, Some(enhanced), text)
}

// --- 2xx: success -------------------------------------------------------

/// `220`: the connection greeting (RFC 5321 §4.3.1). Prefer
/// [`super::greeting`], which puts the host name first as required.
pub const SERVICE_READY: Reply = Reply::new(220, None, "ESMTP ready");
/// `220 2.0.0`: reply to STARTTLS before the handshake (RFC 3207 §4).
pub const READY_TLS: Reply = r(220, (2, 0, 0), "Ready to start TLS");
/// `221 2.0.0`: reply to QUIT (RFC 5321 §4.1.1.10).
pub const CLOSING: Reply = r(221, (2, 0, 0), "Bye");
/// `214 2.0.0`: reply to HELP (RFC 5321 §4.1.1.8).
pub const HELP: Reply = r(214, (2, 0, 0), "See RFC 5321");
/// `235 2.7.0`: authentication succeeded (RFC 4954 §6).
pub const AUTH_OK: Reply = r(235, (2, 7, 0), "Authentication successful");
/// `250 2.0.0`: generic success (NOOP, RSET, a BDAT chunk).
pub const OK: Reply = r(250, (2, 0, 0), "OK");
/// `250 2.1.0`: MAIL accepted.
pub const SENDER_OK: Reply = r(250, (2, 1, 0), "Sender OK");
/// `250 2.1.5`: RCPT accepted.
pub const RECIPIENT_OK: Reply = r(250, (2, 1, 5), "Recipient OK");
/// `250 2.0.0`: the message was stored; append the queue id.
pub const MESSAGE_ACCEPTED: Reply = r(250, (2, 0, 0), "Message accepted");
/// `252 2.5.0`: VRFY is not answered (RFC 5321 §3.5.3, §7.3).
pub const VRFY_DISABLED: Reply = r(
    252,
    (2, 5, 0),
    "Cannot VRFY user, but will accept message and attempt delivery",
);

// --- 3xx: intermediate --------------------------------------------------

/// `334`: SASL challenge (RFC 4954 §4); the text is the base64 challenge,
/// empty by default, written as `"334 "`.
pub const AUTH_CONTINUE: Reply = Reply::new(334, None, "");
/// `354`: send the message after DATA (RFC 5321 §4.1.1.4).
pub const START_DATA: Reply = Reply::new(354, None, "End data with <CR><LF>.<CR><LF>");

// --- 4xx: transient failure ---------------------------------------------

/// `421 4.3.2`: shutting down; close the connection after sending.
pub const SERVICE_UNAVAILABLE: Reply = r(
    421,
    (4, 3, 2),
    "Service not available, closing transmission channel",
);
/// `421 4.7.0`: connection limit reached; close after sending.
pub const TOO_MANY_CONNECTIONS: Reply = r(421, (4, 7, 0), "Too many connections, try again later");
/// `421 4.7.0`: too many bad commands; close after sending.
pub const TOO_MANY_ERRORS: Reply = r(421, (4, 7, 0), "Too many errors, closing connection");
/// `421 4.4.2`: the client was idle too long; close after sending.
pub const TIMEOUT: Reply = r(421, (4, 4, 2), "Timeout, closing connection");
/// `421 4.4.2`: a message body arrived slower than the minimum data rate; close after sending.
pub const DATA_TOO_SLOW: Reply = r(421, (4, 4, 2), "Data rate too low, closing connection");
/// `450 4.2.1`: mailbox temporarily unavailable.
pub const MAILBOX_BUSY: Reply = r(450, (4, 2, 1), "Mailbox busy, try again later");
/// `450 4.7.1`: a rate limit was reached.
pub const RATE_LIMITED: Reply = r(450, (4, 7, 1), "Rate limit exceeded, try again later");
/// `451 4.3.0`: local error in processing.
pub const LOCAL_ERROR: Reply = r(451, (4, 3, 0), "Local error in processing");
/// `452 4.3.1`: insufficient system storage.
pub const INSUFFICIENT_STORAGE: Reply = r(452, (4, 3, 1), "Insufficient system storage");
/// `452 4.2.2`: the recipient's mailbox is over quota.
pub const QUOTA_EXCEEDED: Reply = r(452, (4, 2, 2), "Mailbox full");
/// `452 4.5.3`: too many recipients in this transaction
/// (RFC 5321 §4.5.3.1.10).
pub const TOO_MANY_RECIPIENTS: Reply = r(452, (4, 5, 3), "Too many recipients");
/// `454 4.7.0`: STARTTLS cannot be offered now (RFC 3207 §4).
pub const TLS_NOT_AVAILABLE: Reply = r(454, (4, 7, 0), "TLS not available");
/// `454 4.7.0`: temporary authentication failure (RFC 4954 §6).
pub const AUTH_TEMP_FAILURE: Reply = r(454, (4, 7, 0), "Temporary authentication failure");

// --- 5xx: permanent failure ---------------------------------------------

/// `554`: the connection is refused instead of greeted (RFC 5321 §3.1): the client's IP is
/// blocked for harvesting (SEC-2). No enhanced code, as for the greeting.
pub const BLOCKED_HARVEST: Reply = Reply::new(
    554,
    None,
    "Too many bad sessions from your address, try again later",
);

/// `500 5.5.2`: command unrecognised or malformed.
pub const SYNTAX_ERROR: Reply = r(500, (5, 5, 2), "Syntax error, command unrecognized");
/// `500 5.5.6`: command line too long (RFC 5321 §4.5.3.1.4).
pub const LINE_TOO_LONG: Reply = r(500, (5, 5, 6), "Line too long");
/// `501 5.5.4`: syntax error in parameters or arguments.
pub const PARAM_SYNTAX: Reply = r(501, (5, 5, 4), "Syntax error in parameters or arguments");
/// `501 5.5.2`: a SASL response was not valid base64 (RFC 4954 §4).
pub const AUTH_BAD_BASE64: Reply = r(501, (5, 5, 2), "Invalid base64 data");
/// `501 5.0.0`: the client cancelled AUTH with `*` (RFC 4954 §4).
pub const AUTH_CANCELLED: Reply = r(501, (5, 0, 0), "Authentication cancelled");
/// `502 5.5.1`: command not implemented (e.g. EXPN).
pub const NOT_IMPLEMENTED: Reply = r(502, (5, 5, 1), "Command not implemented");
/// `503 5.5.1`: bad sequence of commands.
pub const BAD_SEQUENCE: Reply = r(503, (5, 5, 1), "Bad sequence of commands");
/// `503 5.5.1`: AUTH after a successful AUTH (RFC 4954 §4).
pub const ALREADY_AUTHENTICATED: Reply = r(503, (5, 5, 1), "Already authenticated");
/// `504 5.5.4`: command parameter not implemented.
pub const PARAM_NOT_IMPLEMENTED: Reply = r(504, (5, 5, 4), "Command parameter not implemented");
/// `504 5.5.4`: unknown SASL mechanism (RFC 4954 §4).
pub const AUTH_MECHANISM_UNSUPPORTED: Reply = r(504, (5, 5, 4), "Unrecognized authentication type");
/// `530 5.7.0`: authentication required first (RFC 4954 §6).
pub const AUTH_REQUIRED: Reply = r(530, (5, 7, 0), "Authentication required");
/// `530 5.7.0`: STARTTLS required first (RFC 3207 §4).
pub const MUST_STARTTLS: Reply = r(530, (5, 7, 0), "Must issue a STARTTLS command first");
/// `530 5.7.10`: REQUIRETLS asked for outside a TLS session (RFC 8689 §4.1).
pub const REQUIRETLS_NEEDS_TLS: Reply = r(530, (5, 7, 10), "REQUIRETLS needs a TLS session");
/// `534 5.7.9`: the mechanism is too weak for this user (RFC 4954 §6).
pub const AUTH_TOO_WEAK: Reply = r(534, (5, 7, 9), "Authentication mechanism is too weak");
/// `535 5.7.8`: wrong credentials (RFC 4954 §6).
pub const AUTH_FAILED: Reply = r(535, (5, 7, 8), "Authentication credentials invalid");
/// `538 5.7.11`: the mechanism needs an encrypted channel (RFC 4954 §6).
pub const ENCRYPTION_REQUIRED: Reply = r(
    538,
    (5, 7, 11),
    "Encryption required for requested authentication mechanism",
);
/// `550 5.1.1`: no such local recipient.
pub const NO_SUCH_USER: Reply = r(550, (5, 1, 1), "No such user");
/// `550 5.7.1`: the recipient is not local and the client may not relay.
pub const RELAY_DENIED: Reply = r(550, (5, 7, 1), "Relaying denied");
/// `550 5.7.1`: the sender is refused by policy.
pub const SENDER_BLOCKED: Reply = r(550, (5, 7, 1), "Sender address rejected");
/// The message's spam weight reached the refusal threshold (FILTER-4).
pub const SPAM_REFUSED: Reply = r(550, (5, 7, 1), "Message refused as spam");
/// The From domain's DMARC policy says reject and the message fails DMARC (RFC 7489 §6.3).
pub const DMARC_REFUSED: Reply = r(
    550,
    (5, 7, 1),
    "Message refused by the sender domain's DMARC policy",
);
/// A virus scanner found a virus in the message (FILTER-6).
pub const VIRUS_REFUSED: Reply = r(554, (5, 7, 1), "Message refused: it contains a virus");
/// `550 5.2.1`: the mailbox exists but is disabled.
pub const MAILBOX_DISABLED: Reply = r(550, (5, 2, 1), "Mailbox disabled");
/// `550 5.6.11`: the message contained a bare LF or bare CR
/// (RFC 5321 §2.3.8); the code Exchange Online uses for the same refusal.
pub const BARE_LF: Reply = r(
    550,
    (5, 6, 11),
    "Bare LF or CR in message; lines must end with CRLF",
);
/// `552 5.3.4`: message (or declared SIZE) over the limit (RFC 1870 §6).
pub const MESSAGE_TOO_BIG: Reply = r(
    552,
    (5, 3, 4),
    "Message size exceeds fixed maximum message size",
);
/// `553 5.7.1`: an authenticated client used a sender address its login does not own.
pub const SENDER_NOT_OWNED: Reply = r(
    553,
    (5, 7, 1),
    "Sender address does not belong to the authenticated user",
);
/// `553 5.1.3`: the address is syntactically invalid.
pub const BAD_ADDRESS_SYNTAX: Reply = r(553, (5, 1, 3), "Bad address syntax");
/// `553 5.6.7`: a non-ASCII address without SMTPUTF8 (RFC 6531 §3.5).
pub const NON_ASCII_ADDRESS: Reply = r(
    553,
    (5, 6, 7),
    "Non-ASCII addresses require the SMTPUTF8 parameter",
);
/// `554 5.4.6`: too many Received headers, probably a loop
/// (RFC 5321 §6.3).
pub const TOO_MANY_HOPS: Reply = r(554, (5, 4, 6), "Too many hops, mail loop detected");
/// `554 5.5.1`: DATA or BDAT with no accepted recipient (RFC 5321 §3.3).
pub const NO_VALID_RECIPIENTS: Reply = r(554, (5, 5, 1), "No valid recipients");
/// `554 5.0.0`: transaction failed for an unspecified permanent reason.
pub const TRANSACTION_FAILED: Reply = r(554, (5, 0, 0), "Transaction failed");
/// `555 5.5.4`: a MAIL or RCPT parameter is not recognised or not
/// implemented (RFC 5321 §4.1.1.11).
pub const PARAMS_NOT_RECOGNIZED: Reply = r(
    555,
    (5, 5, 4),
    "MAIL FROM/RCPT TO parameters not recognized or not implemented",
);
/// `451 4.7.1`: greylisted (SEC-3): an unknown client, sender and recipient are asked to
/// retry later.
pub const GREYLISTED: Reply = r(451, (4, 7, 1), "Greylisted, please try again later");
/// `451 4.7.0`: a sending throttle (DOM-7) is reached; the text names the limit and when
/// the hour ends.
pub const THROTTLED: Reply = r(451, (4, 7, 0), "Sending limit reached, try again later");
/// `451 4.7.1`: the account's sending is suspended after a run of identical messages
/// (SEC-2 internal spammer); the text says for how long.
pub const SENDING_SUSPENDED: Reply = r(451, (4, 7, 1), "Sending suspended, try again later");
