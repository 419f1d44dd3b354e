//! One SMTP command per file. Each `execute` checks the command's place in the session
//! (RFC 5321 §4.1.4), sends exactly one reply (BDAT and DATA after reading their body) and
//! says how the loop goes on. RSET, NOOP, QUIT and HELP are one-liners in the dispatcher.

pub mod auth;
pub mod bdat;
pub mod data;
pub mod ehlo;
pub mod mail;
pub mod rcpt;
pub mod starttls;
pub mod vrfy;
