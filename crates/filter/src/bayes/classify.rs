//! The spam probability of a message from its tokens' learned counts (FILTER-2), by Gary
//! Robinson's method as SpamBayes uses it: each token's spam probability is the ratio of its
//! spam and ham frequencies, pulled towards 0.5 when it was seen in few messages; the
//! strongest of them are combined by Fisher's chi-square method into one indicator in [0, 1].
//!
//! Invariants: pure arithmetic, no I/O; the answer is always in [0, 1] and is 0.5 (no
//! opinion) when no token is significant; at most [`MAX_CLUES`] tokens are combined.

use heron_store::BayesCount;

/// The strength of the prior belief 0.5 for a token, in messages (Robinson's s).
const PRIOR_STRENGTH: f64 = 0.45;
/// The probability of a token never seen (Robinson's x).
const PRIOR: f64 = 0.5;
/// How far from 0.5 a token's probability must be to count as a clue.
const MIN_STRENGTH: f64 = 0.1;
/// Most tokens combined: the strongest.
pub const MAX_CLUES: usize = 150;

/// The spam probability of one token seen in `spam` of `nspam` spam messages and in `ham` of
/// `nham` ham messages.
pub fn token_probability(spam: u64, ham: u64, nspam: u64, nham: u64) -> f64 {
    let spam_ratio = spam as f64 / nspam.max(1) as f64;
    let ham_ratio = ham as f64 / nham.max(1) as f64;
    let raw = if spam_ratio + ham_ratio > 0.0 {
        spam_ratio / (spam_ratio + ham_ratio)
    } else {
        PRIOR
    };
    let n = (spam + ham) as f64;
    ((PRIOR_STRENGTH * PRIOR + n * raw) / (PRIOR_STRENGTH + n)).clamp(0.0, 1.0)
}

/// The probability that a message is spam, given the learned counts of its known tokens and
/// the learned message totals (tokens not in `counts` were never learned: no clue).
pub fn probability(counts: &[BayesCount], nspam: u64, nham: u64) -> f64 {
    let mut clues: Vec<f64> = counts
        .iter()
        .map(|c| token_probability(c.spam, c.ham, nspam, nham))
        .filter(|p| (p - 0.5).abs() >= MIN_STRENGTH)
        .collect();
    if clues.is_empty() {
        return 0.5;
    }
    clues.sort_by(|a, b| (b - 0.5).abs().total_cmp(&(a - 0.5).abs()));
    clues.truncate(MAX_CLUES);
    // Keep the logarithms finite: a probability of exactly 0 or 1 is as strong as allowed.
    let clamp = |p: f64| p.clamp(1e-9, 1.0 - 1e-9);
    let ln_p: f64 = clues.iter().map(|p| clamp(*p).ln()).sum();
    let ln_not_p: f64 = clues.iter().map(|p| (1.0 - clamp(*p)).ln()).sum();
    let dof = 2 * clues.len();
    // Fisher: the clues' probabilities are unlikely as chance if far from uniform. Near 1
    // they make the product of (1 - p) small, "spammy" high; near 0 "hammy" high. The
    // indicator is (1 + spammy - hammy) / 2.
    let hammy = 1.0 - chi2q(-2.0 * ln_p, dof);
    let spammy = 1.0 - chi2q(-2.0 * ln_not_p, dof);
    ((1.0 + spammy - hammy) / 2.0).clamp(0.0, 1.0)
}

/// The probability that a chi-square variable of `dof` (even) degrees of freedom is at least
/// `x2`.
fn chi2q(x2: f64, dof: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..dof / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(hash: i64, spam: u64, ham: u64) -> BayesCount {
        BayesCount { hash, spam, ham }
    }

    #[test]
    fn single_tokens_lean_with_their_counts_and_few_sightings_stay_near_half() {
        assert!(token_probability(100, 0, 100, 100) > 0.99);
        assert!(token_probability(0, 100, 100, 100) < 0.01);
        assert!((token_probability(50, 50, 100, 100) - 0.5).abs() < 1e-9);
        let once = token_probability(1, 0, 100, 100);
        assert!(once > 0.5 && once < 0.85, "{once}");
        // Frequencies, not counts: 10 of 10 spam against 10 of 1000 ham is spammy.
        assert!(token_probability(10, 10, 10, 1000) > 0.95);
    }

    #[test]
    fn messages_are_combined_by_chi_square() {
        let spammy: Vec<_> = (0..20).map(|i| c(i, 40, 1)).collect();
        let hammy: Vec<_> = (0..20).map(|i| c(i, 1, 40)).collect();
        assert!(probability(&spammy, 200, 200) > 0.99);
        assert!(probability(&hammy, 200, 200) < 0.01);
        let mut mixed = spammy[..10].to_vec();
        mixed.extend_from_slice(&hammy[..10]);
        let p = probability(&mixed, 200, 200);
        assert!((p - 0.5).abs() < 0.1, "{p}");
        assert_eq!(probability(&[], 200, 200), 0.5);
        assert_eq!(probability(&[c(1, 10, 10)], 200, 200), 0.5);
    }

    #[test]
    fn chi2q_matches_known_values() {
        // Chi-square with 2 degrees of freedom: Q(x) = exp(-x/2).
        assert!((chi2q(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
        // With 4: Q(x) = exp(-x/2) (1 + x/2).
        assert!((chi2q(4.0, 4) - (-2.0f64).exp() * 3.0).abs() < 1e-12);
        assert_eq!(chi2q(0.0, 10), 1.0);
    }
}
