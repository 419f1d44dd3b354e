//! One POP3 command per file. Each `execute` receives the parsed arguments, runs only in the
//! state the dispatcher allows, sends exactly one reply and says how the loop goes on.

pub mod auth;
pub mod capa;
pub mod dele;
pub mod list;
pub mod noop;
pub mod pass;
pub mod quit;
pub mod retr;
pub mod rset;
pub mod stat;
pub mod stls;
pub mod top;
pub mod uidl;
pub mod user;
