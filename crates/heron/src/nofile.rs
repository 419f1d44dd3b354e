//! The process's open-file limit (`RLIMIT_NOFILE`): raised at start from the soft limit to
//! the hard one, so the listeners' connection budgets (`heron_settings::fd_budget`) are
//! shares of everything the system lets this process open.
//!
//! Invariant: [`raise`] never fails the start; if the limit cannot be read or raised, the
//! answer is the limit in force, or [`FALLBACK`] when even that cannot be read.

/// The limit assumed when the system will not say (the usual default soft limit).
pub const FALLBACK: u64 = 1024;

/// The open-file limit before and after [`raise`].
#[derive(Clone, Copy, Debug)]
pub struct NofileLimit {
    /// The soft limit the process started with.
    pub before: u64,
    /// The soft limit in force now.
    pub now: u64,
    /// Why it could not be raised, when it could not.
    pub error: Option<&'static str>,
}

/// Raise the soft open-file limit to the hard limit.
pub fn raise() -> NofileLimit {
    let before = match rlimit::Resource::NOFILE.get() {
        Ok((soft, _hard)) => soft,
        Err(_) => {
            return NofileLimit {
                before: FALLBACK,
                now: FALLBACK,
                error: Some("cannot read RLIMIT_NOFILE"),
            };
        }
    };
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) => NofileLimit {
            before,
            now,
            error: None,
        },
        Err(_) => NofileLimit {
            before,
            now: before,
            error: Some("cannot raise RLIMIT_NOFILE"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_limit_is_the_hard_limit() {
        let l = raise();
        assert!(l.error.is_none(), "{l:?}");
        let (soft, hard) = rlimit::Resource::NOFILE.get().expect("readable");
        assert_eq!(l.now, soft);
        assert_eq!(soft, hard);
        assert!(l.now >= l.before);
    }
}
