//! Suite check for the Bayesian classifier's tables: learning counts a message's tokens
//! once, relearning in the other class moves them, counts and totals follow, pruning keeps
//! the most recent and most common tokens, reset forgets everything.
#![allow(clippy::unwrap_used)]

use super::Subject;
use crate::model::*;

fn count(counts: &[BayesCount], hash: i64) -> (u64, u64) {
    counts
        .iter()
        .find(|c| c.hash == hash)
        .map_or((0, 0), |c| (c.spam, c.ham))
}

pub(super) async fn bayes_counts(s: Subject) {
    assert_eq!(s.bayes_totals().await.unwrap(), BayesTotals::default());
    assert!(s.bayes_counts(&[1, 2, 3]).await.unwrap().is_empty());

    let day = 86_400;
    let learned = s.bayes_learn("m1", &[1, 2, 2, 3], true, 10 * day).await;
    assert_eq!(learned.unwrap(), BayesLearned::New);
    assert_eq!(
        s.bayes_learn("m1", &[1, 2, 3], true, 10 * day)
            .await
            .unwrap(),
        BayesLearned::Known
    );
    s.bayes_learn("m2", &[2, 3, -4], false, 11 * day)
        .await
        .unwrap();
    s.bayes_learn("m3", &[3, i64::MAX], false, 12 * day)
        .await
        .unwrap();
    let c = s.bayes_counts(&[1, 2, 3, -4, i64::MAX, 99]).await.unwrap();
    assert_eq!(c.len(), 5);
    assert_eq!(count(&c, 1), (1, 0));
    assert_eq!(count(&c, 2), (1, 1));
    assert_eq!(count(&c, 3), (1, 2));
    assert_eq!(count(&c, -4), (0, 1));
    assert_eq!(count(&c, i64::MAX), (0, 1));
    let t = s.bayes_totals().await.unwrap();
    assert_eq!((t.spam, t.ham, t.tokens), (1, 2, 5));
    assert_eq!(s.bayes_learned().await.unwrap(), (1, 2));

    // Relearned as ham: its counts move; a token no message has any more goes.
    assert_eq!(
        s.bayes_learn("m1", &[1, 2, 3], false, 13 * day)
            .await
            .unwrap(),
        BayesLearned::Moved
    );
    let c = s.bayes_counts(&[1, 2, 3]).await.unwrap();
    assert_eq!(count(&c, 1), (0, 1));
    assert_eq!(count(&c, 2), (0, 2));
    assert_eq!(count(&c, 3), (0, 3));
    s.bayes_learn("m1", &[1, 2, 3], true, 14 * day)
        .await
        .unwrap();
    s.bayes_learn("m4", &[-4], true, 14 * day).await.unwrap();
    let t = s.bayes_totals().await.unwrap();
    assert_eq!((t.spam, t.ham, t.tokens), (2, 2, 5));

    // Pruned to 3: i64::MAX was last learned on day 12, the others on day 14, of which 1
    // is the rarest (one message).
    assert_eq!(s.bayes_prune(10, 10).await.unwrap(), 0);
    assert_eq!(s.bayes_prune(3, 10).await.unwrap(), 2);
    let c = s.bayes_counts(&[1, 2, 3, -4, i64::MAX]).await.unwrap();
    let mut kept: Vec<i64> = c.iter().map(|c| c.hash).collect();
    kept.sort_unstable();
    assert_eq!(kept, vec![-4, 2, 3]);
    assert_eq!(s.bayes_totals().await.unwrap().tokens, 3);

    // Learned messages beyond the cap are forgotten, oldest first: m2 and m3 (days 11, 12);
    // learned again, a forgotten message counts again.
    s.bayes_prune(3, 2).await.unwrap();
    let again = s.bayes_learn("m2", &[2], false, 16 * day).await.unwrap();
    assert_eq!(again, BayesLearned::New);
    let kept = s.bayes_learn("m4", &[-4], true, 16 * day).await.unwrap();
    assert_eq!(kept, BayesLearned::Known);

    s.bayes_reset().await.unwrap();
    assert_eq!(s.bayes_totals().await.unwrap(), BayesTotals::default());
    assert_eq!(
        s.bayes_learn("m1", &[1], true, 15 * day).await.unwrap(),
        BayesLearned::New
    );
}
