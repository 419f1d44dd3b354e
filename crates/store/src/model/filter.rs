//! Records of the spam defences: the Bayesian classifier's counts (FILTER-2) and greylisting's
//! periods, records and verdicts (SEC-3).
//!
//! Invariant: only [`GreylistVerdict::Passed`] and [`GreylistVerdict::Known`] let mail through.

/// The learned counts of one token of the Bayesian classifier (FILTER-2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BayesCount {
    /// The token's 64-bit hash.
    pub hash: i64,
    /// Learned spam messages that had the token.
    pub spam: u64,
    /// Learned ham messages that had the token.
    pub ham: u64,
}

/// The size of the Bayesian classifier's database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BayesTotals {
    /// Messages learned as spam (and not relearned as ham since).
    pub spam: u64,
    /// Messages learned as ham.
    pub ham: u64,
    /// Tokens kept.
    pub tokens: u64,
}

/// What learning one message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BayesLearned {
    /// A message not learned before: its tokens were counted in its class.
    New,
    /// A message learned before in the other class: its counts moved to this one.
    Moved,
    /// Already learned in this class: nothing changed.
    Known,
}

/// Greylisting's periods (SEC-3), in seconds: an unknown triplet is deferred for `block`, must
/// be retried within `pass` of its first attempt, and once passed passes for `keep` after its
/// last pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreylistTimes {
    pub block: i64,
    pub pass: i64,
    pub keep: i64,
}

/// A greylisted triplet as kept: its first attempt, whether it passed, and when the record
/// may go (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreylistRecord {
    pub first_seen: i64,
    pub passed: bool,
    pub expires: i64,
}

/// What greylisting says of one attempt (SEC-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreylistVerdict {
    /// First seen (or seen again too late): deferred, the block period starts.
    New,
    /// Retried within the block period: deferred.
    Early,
    /// Retried after the block period, within the pass window: passes from now on.
    Passed,
    /// Passed before and within the record's lifetime: passes.
    Known,
}

impl GreylistVerdict {
    /// Whether the attempt is accepted.
    pub fn passes(self) -> bool {
        matches!(self, Self::Passed | Self::Known)
    }

    /// The rule's name for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new triplet",
            Self::Early => "retried within the block period",
            Self::Passed => "retried after the block period",
            Self::Known => "passed before",
        }
    }
}
