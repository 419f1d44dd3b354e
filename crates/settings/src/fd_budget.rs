//! File-descriptor budget per listener: how many connections one listener may hold open, so
//! that no listener (the admin API, one mail port) can use up the process's descriptors and
//! stop the others from accepting.
//!
//! Invariant: a listener's cap is never more than [`LISTENER_FD_SHARE`] of the process's
//! open-file limit (`RLIMIT_NOFILE`, soft), and never less than 1; a configured maximum only
//! lowers it. Pure: the caller reads the limit (once at start, after raising it) and the
//! configured maximum (from settings, at each accept).

/// The share of the open-file limit one listener may use: one descriptor in this many.
pub const LISTENER_FD_SHARE: u64 = 8;

/// Connections a listener may hold at once: `configured` (`0` = no maximum of its own),
/// bounded by `1 / LISTENER_FD_SHARE` of `nofile_limit`, the process's open-file limit.
pub fn listener_connection_cap(configured: u64, nofile_limit: u64) -> u64 {
    let budget = (nofile_limit / LISTENER_FD_SHARE).max(1);
    if configured == 0 {
        budget
    } else {
        configured.min(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_maximum_within_the_budget_is_kept() {
        assert_eq!(listener_connection_cap(256, 65_536), 256);
        assert_eq!(listener_connection_cap(1, 1024), 1);
    }

    #[test]
    fn budget_bounds_a_larger_maximum() {
        // 1024 descriptors: a listener gets at most 128.
        assert_eq!(listener_connection_cap(256, 1024), 128);
        assert_eq!(listener_connection_cap(u64::MAX, 80), 10);
    }

    #[test]
    fn zero_means_the_budget_alone() {
        assert_eq!(listener_connection_cap(0, 1024), 128);
        assert_eq!(listener_connection_cap(0, u64::MAX), u64::MAX / 8);
    }

    #[test]
    fn never_below_one() {
        assert_eq!(listener_connection_cap(0, 0), 1);
        assert_eq!(listener_connection_cap(5, 7), 1);
    }
}
