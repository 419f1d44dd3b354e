//! Message authentication and the DNS lookups it rests on: the resolver every service shares
//! ([`dns`], with the RFC 5321 §5.1 MX rules), DKIM signing and verification ([`dkim`]), and
//! the authentication of arriving mail in one pass ([`inbound`]: SPF, DKIM, ARC, DMARC and
//! reverse DNS, reported in an Authentication-Results header), and DMARC aggregate reports
//! ([`report`]: what a message adds to the reports sent, the reports, those received).
//!
//! The checks are pure in the sense that matters for testing: they take the resolver as an
//! argument and read nothing else (no store, no settings, no clock of their own besides what
//! DKIM's signature times need). The crate starts no tasks and has no runtime of its own;
//! hickory's resolver does its I/O on the caller's tokio runtime.

pub mod dkim;
pub mod dns;
pub mod dnsbl;
pub mod inbound;
pub mod report;

pub use dns::{Dns, DnsConfig, SharedDns};
