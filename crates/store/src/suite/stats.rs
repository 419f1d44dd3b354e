//! Statistics counters: batches add to stored rows (also written at once), series and
//! totals read back by scope, key, span and period, and pruning by age.

use crate::stats::{Counts, DAY, Event, HOUR, Login, Recorder, Scope, Span, StatRow, flush};

use super::Subject;

fn row(scope: Scope, key: i64, span: Span, start: i64, counts: Counts) -> StatRow {
    StatRow {
        scope,
        key,
        span,
        start,
        counts,
    }
}

fn delivered(n: u64, bytes: u64) -> Counts {
    Counts {
        messages_in: n,
        bytes_in: bytes,
        ..Counts::default()
    }
}

pub async fn stat_counts(s: Subject) {
    let t = 100 * DAY;
    let batch = vec![
        row(Scope::Domain, 1, Span::Hour, t, delivered(2, 300)),
        row(Scope::Domain, 1, Span::Hour, t + HOUR, delivered(1, 10)),
        row(Scope::Domain, 1, Span::Day, t, delivered(3, 310)),
        row(Scope::Domain, 2, Span::Day, t, delivered(5, 5)),
        row(
            Scope::User,
            7,
            Span::Hour,
            t,
            Counts {
                logins_imap: 1,
                bounces: 4,
                bytes_out: i64::MAX as u64,
                ..Counts::default()
            },
        ),
    ];
    s.stats_add(&batch).await.unwrap();
    s.stats_add(&batch[..1]).await.unwrap();
    s.stats_add(&[]).await.unwrap();

    let hours = s
        .stats_series(Scope::Domain, 1, Span::Hour, t, t + DAY)
        .await
        .unwrap();
    assert_eq!(hours.len(), 2);
    assert_eq!((hours[0].start, hours[0].counts), (t, delivered(4, 600)));
    assert_eq!(hours[1].counts, delivered(1, 10));
    // The period's end is excluded; another key's rows are not mixed in.
    let first = s
        .stats_series(Scope::Domain, 1, Span::Hour, t, t + HOUR)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let user = s
        .stats_series(Scope::User, 7, Span::Hour, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(user[0].counts.bounces, 4);
    assert_eq!(user[0].counts.bytes_out, i64::MAX as u64);
    assert_eq!(user[0].scope, Scope::User);

    let totals = s
        .stats_totals(Scope::Domain, Span::Day, t, t + DAY)
        .await
        .unwrap();
    assert_eq!(totals, vec![(1, delivered(3, 310)), (2, delivered(5, 5))]);
    assert!(
        s.stats_totals(Scope::Server, Span::Day, 0, i64::MAX)
            .await
            .unwrap()
            .is_empty()
    );

    // Batches written at once (as by several nodes) all count.
    let one = vec![
        row(Scope::Server, 0, Span::Hour, t, delivered(1, 1)),
        row(Scope::Server, 0, Span::Day, t, delivered(1, 1)),
    ];
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, one) = (s.clone(), one.clone());
            tokio::spawn(async move { s.stats_add(&one).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let server = s
        .stats_series(Scope::Server, 0, Span::Day, t, t + DAY)
        .await
        .unwrap();
    assert_eq!(server[0].counts, delivered(8, 8));

    // Pruning goes by span and bucket start.
    assert_eq!(s.stats_prune(Span::Hour, t + HOUR).await.unwrap(), 3);
    let hours = s
        .stats_series(Scope::Domain, 1, Span::Hour, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(hours.len(), 1);
    assert_eq!(s.stats_prune(Span::Day, t).await.unwrap(), 0);
    assert_eq!(s.stats_prune(Span::Day, t + 1).await.unwrap(), 3);

    // A recorder's counts flushed: hour and day rows, added to what is stored.
    let rec = Recorder::default();
    let u = 3 * DAY;
    rec.add_at(u + 10, Scope::User, 5, Event::Login(Login::Pop3));
    rec.add_at(u + 2 * HOUR, Scope::User, 5, Event::Delivered(40));
    assert_eq!(flush(s.as_ref(), &rec).await.unwrap(), 2);
    assert!(rec.is_empty());
    rec.add_at(u + 20, Scope::User, 5, Event::Login(Login::Pop3));
    assert_eq!(flush(s.as_ref(), &rec).await.unwrap(), 1);
    assert_eq!(flush(s.as_ref(), &rec).await.unwrap(), 0);
    let hours = s
        .stats_series(Scope::User, 5, Span::Hour, u, u + DAY)
        .await
        .unwrap();
    assert_eq!(hours.len(), 2);
    assert_eq!(hours[0].counts.logins_pop3, 2);
    let day = s
        .stats_series(Scope::User, 5, Span::Day, u, u + DAY)
        .await
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!((day[0].counts.logins_pop3, day[0].counts.bytes_in), (2, 40));
}
