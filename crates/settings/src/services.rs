//! The services an administrator starts and stops (OPS-1): POP3, IMAP, SMTP (MX and
//! submission together) and the outbound spool, each with its cluster-wide switch setting and
//! the protocols whose listeners it runs.
//!
//! Invariant: a service runs on a node exactly when its switch is on and that node has not
//! stopped it on itself ([`Settings::runs`](crate::Settings::runs)): the listeners and the
//! spool scheduler ask that, and are woken by the settings' watch when either changes.

use crate::defs;
use crate::kinds::Key;
use crate::values::Protocol;

/// A service: its name, its switch setting and the protocols whose sessions it runs.
#[derive(Debug)]
pub struct Service {
    /// What the API and the store call it: `pop3`, `imap`, `smtp`, `spool`.
    pub name: &'static str,
    /// What pages call it.
    pub label: &'static str,
    /// Its cluster-wide switch.
    pub switch: Key<bool>,
    pub protocols: &'static [Protocol],
}

pub const POP3: Service = Service {
    name: "pop3",
    label: "POP3",
    switch: defs::POP_ENABLED,
    protocols: &[Protocol::Pop3],
};

pub const IMAP: Service = Service {
    name: "imap",
    label: "IMAP",
    switch: defs::IMAP_ENABLED,
    protocols: &[Protocol::Imap],
};

pub const SMTP: Service = Service {
    name: "smtp",
    label: "SMTP",
    switch: defs::SMTP_ENABLED,
    protocols: &[Protocol::Smtp, Protocol::Submission],
};

pub const SPOOL: Service = Service {
    name: "spool",
    label: "Spool (outgoing delivery)",
    switch: defs::SPOOL_ENABLED,
    protocols: &[],
};

/// Every service, in the order pages list them.
pub const ALL: &[Service] = &[SMTP, POP3, IMAP, SPOOL];

/// The service called `name`.
pub fn find(name: &str) -> Option<&'static Service> {
    ALL.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Kind;

    #[test]
    fn every_switch_is_a_bool_setting_and_names_are_unique() {
        for s in ALL {
            let d = defs::find(s.switch.name);
            assert!(d.is_some_and(|d| d.kind == Kind::Bool), "{}", s.name);
            assert_eq!(find(s.name).map(|f| f.switch.name), Some(s.switch.name));
        }
        let mut names: Vec<_> = ALL.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names, ["imap", "pop3", "smtp", "spool"]);
        assert!(find("gopher").is_none());
    }
}
