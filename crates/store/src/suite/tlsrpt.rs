//! Suite checks for TLS reporting: alike outcomes add to one row per day, a day holds at
//! most its cap of rows, taking rows hands each out once, old days are forgotten.
#![allow(clippy::unwrap_used)]

use super::Subject;
use crate::tlsrpt::*;

fn row(day: i64, result: &str) -> TlsRptResult {
    TlsRptResult {
        day,
        domain: "dest.test".into(),
        policy_type: "sts".into(),
        policy: "version: STSv1\nmode: enforce\nmx: mx.dest.test\nmax_age: 86400".into(),
        mx_host: "mx.dest.test".into(),
        result: result.into(),
        receiving_ip: "192.0.2.25".into(),
        detail: format!("first {result}"),
        count: 1,
    }
}

pub(super) async fn tlsrpt_results(s: Subject) {
    let day = 20_000;
    for _ in 0..3 {
        assert!(s.tlsrpt_add(&row(day, SUCCESS), 2).await.unwrap());
    }
    let mut again = row(day, "certificate-expired");
    assert!(s.tlsrpt_add(&again, 2).await.unwrap());
    again.detail = "later words are not kept".into();
    assert!(s.tlsrpt_add(&again, 2).await.unwrap());
    // The day is full: a third kind of row is not kept, but known rows still count.
    assert!(
        !s.tlsrpt_add(&row(day, "validation-failure"), 2)
            .await
            .unwrap()
    );
    assert!(s.tlsrpt_add(&row(day + 1, SUCCESS), 2).await.unwrap());
    assert!(s.tlsrpt_add(&row(day - 5, SUCCESS), 0).await.unwrap());

    let rows = s.tlsrpt_results(day).await.unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let ok = rows
        .iter()
        .find(|r| r.day == day && r.is_success())
        .unwrap();
    assert_eq!(
        *ok,
        TlsRptResult {
            count: 3,
            ..row(day, SUCCESS)
        }
    );
    let bad = rows.iter().find(|r| !r.is_success()).unwrap();
    assert_eq!(
        (bad.count, bad.detail.as_str()),
        (2, "first certificate-expired")
    );

    assert_eq!(s.tlsrpt_forget(day - 1).await.unwrap(), 1);
    let taken = s.tlsrpt_take(day).await.unwrap();
    assert_eq!(taken.len(), 2);
    assert!(s.tlsrpt_take(day).await.unwrap().is_empty());
    let left = s.tlsrpt_results(day + 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].day, day + 1);
}
