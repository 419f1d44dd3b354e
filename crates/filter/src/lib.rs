//! Spam and virus filtering (FILTER-1..6, DOM-3, SPOOL-3): every enabled check looks at a
//! message and adds its weight when it fails; the sum is the message's spam weight, which
//! puts it at a level (none, low, medium, high) whose action the SMTP service carries out,
//! or refuses it at DATA.
//!
//! - [`verdict`]: what the checks found ([`Verdict`], one [`Hit`] per check that fired), the
//!   level it makes and the header lines that report it.
//! - [`pipeline`]: the [`Filter`] that runs the checks of one message concurrently, each within
//!   its deadline, in a bounded number of messages at once.
//! - [`auth`]: SPF, DKIM, DMARC and ARC (through `heron-mailauth`), reverse DNS.
//! - [`dnsbl`]: DNS blocklists for the connecting IP and domain blocklists for the sender and
//!   link domains.
//! - [`rules`]: custom header rules; [`gateway`]: the IP judged behind a bypass gateway and
//!   the networks that are not filtered.
//! - [`bayes`]: the Bayesian content classifier, learned from users (FILTER-2).
//! - [`spamd`]: SpamAssassin through spamd; [`clamd`]: ClamAV through clamd; [`scanner`]: a
//!   command-line virus scanner; [`realtime`]: a real-time scanner's watched and quarantine
//!   directories. [`Error`] says why one of them gave no answer.
//! - [`policy`]: the levels, actions and texts that apply to one recipient, with its
//!   domain's and its own overrides, and the domain's filtering switch.
//! - [`action`]: what happens to a judged message: refusal at DATA, or its level's action,
//!   the virus action and the notice to the sender (pure; SMTP carries it out).
//!
//! Invariants: a check that errs or runs out of time adds no weight and is named in the
//! report, so a slow DNS server or daemon never refuses mail by itself; the filter never holds
//! more than `smtp_out.spam_check_workers` messages at once; no check writes to the message:
//! the caller adds the header lines the verdict gives.

pub mod action;
pub mod auth;
pub mod bayes;
pub mod clamd;
pub mod dnsbl;
pub mod error;
pub mod gateway;
pub mod pipeline;
pub mod policy;
pub mod realtime;
pub mod rules;
pub mod scanner;
pub mod spamd;
pub mod verdict;

pub use error::Error;
pub use pipeline::{Envelope, Filter};
pub use policy::Policy;
pub use verdict::{Hit, Level, Verdict};
