//! One IMAP command per file. Each `execute` receives the parsed arguments, runs only in the
//! states [`crate::state`] allows, queues its untagged responses and returns the tagged
//! completion ([`crate::done::Done`]).

pub mod append;
pub mod authenticate;
pub mod capability;
pub mod check;
pub mod close;
pub mod copy;
pub mod create;
pub mod delete;
pub mod enable;
pub mod examine;
pub mod expunge;
pub mod fetch;
pub mod getquota;
pub mod getquotaroot;
pub mod id;
pub mod idle;
pub mod list;
pub mod login;
pub mod logout;
pub mod lsub;
pub mod r#move;
pub mod namespace;
pub mod noop;
pub mod rename;
pub mod search;
pub mod select;
pub mod sort;
pub mod starttls;
pub mod status;
pub mod store;
pub mod subscribe;
pub mod thread;
pub mod unselect;
pub mod unsubscribe;
