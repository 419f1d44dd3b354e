//! Suite checks for DMARC aggregate reporting: alike results add to one row per day, a day
//! holds at most its cap of rows, taking rows hands each out once, old days are forgotten;
//! received reports are kept once per domain, listed newest first by domain, read back with
//! their rows, and go with their domain.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain};
use crate::dmarc::*;

fn row(day: i64, ip: &str) -> DmarcCollected {
    DmarcCollected {
        day,
        domain: "sender.test".into(),
        policy: "p=reject sp=reject np=reject adkim=r aspf=r t=n".into(),
        rua: "mailto:dmarc@reports.test".into(),
        source_ip: ip.into(),
        header_from: "sender.test".into(),
        envelope_from: "sender.test".into(),
        spf: "pass".into(),
        dkim: "sender.test s1 pass".into(),
        disposition: "none".into(),
        dkim_aligned: true,
        spf_aligned: true,
        count: 1,
    }
}

pub(super) async fn dmarc_collected(s: Subject) {
    let day = 20_000;
    for _ in 0..3 {
        assert!(s.dmarc_collect(&row(day, "192.0.2.1"), 2).await.unwrap());
    }
    let mut other = row(day, "192.0.2.2");
    other.rua = "mailto:new@reports.test".into();
    assert!(s.dmarc_collect(&other, 2).await.unwrap());
    // The day is full: a third kind of row is not kept, but known rows still count.
    assert!(!s.dmarc_collect(&row(day, "192.0.2.3"), 2).await.unwrap());
    assert!(s.dmarc_collect(&row(day, "192.0.2.1"), 2).await.unwrap());
    assert!(
        s.dmarc_collect(&row(day + 1, "192.0.2.1"), 2)
            .await
            .unwrap()
    );
    assert!(
        s.dmarc_collect(&row(day - 5, "192.0.2.9"), 0)
            .await
            .unwrap()
    );

    let rows = s.dmarc_collected(day).await.unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let first = rows.iter().find(|r| r.source_ip == "192.0.2.1").unwrap();
    assert_eq!((first.count, first.day), (4, day));
    assert_eq!(
        *first,
        DmarcCollected {
            count: 4,
            ..row(day, "192.0.2.1")
        }
    );
    let second = rows.iter().find(|r| r.source_ip == "192.0.2.2").unwrap();
    assert_eq!(second.rua, "mailto:new@reports.test");

    assert_eq!(s.dmarc_forget(day - 1).await.unwrap(), 1);
    let taken = s.dmarc_take(day).await.unwrap();
    assert_eq!(taken.len(), 2);
    assert!(s.dmarc_take(day).await.unwrap().is_empty());
    let left = s.dmarc_collected(day + 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].day, day + 1);
}

pub(super) async fn dmarc_reports(s: Subject) {
    let a = domain(&s, "a.test").await;
    let b = domain(&s, "b.test").await;
    let report = |d: i64, id: &str, at: i64| DmarcReport {
        domain_id: d,
        org: "Reporter Inc.".into(),
        email: "noreply@reporter.test".into(),
        report_id: id.into(),
        begin: 1000,
        end: 2000,
        policy_domain: "a.test".into(),
        policy: "p=none".into(),
        received_at: at,
        ..Default::default()
    };
    let rows = vec![
        DmarcReportRow {
            source_ip: "192.0.2.10".into(),
            count: 5,
            disposition: "none".into(),
            dkim: "pass".into(),
            spf: "fail".into(),
            header_from: "a.test".into(),
            envelope_from: "a.test".into(),
            auth: "dkim=a.test:s1:pass spf=a.test:fail".into(),
        },
        DmarcReportRow {
            source_ip: "2001:db8::1".into(),
            count: 2,
            ..Default::default()
        },
    ];
    let id = s
        .dmarc_report_add(&report(a.id, "r1", 100), &rows)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.dmarc_report_add(&report(a.id, "r1", 101), &rows)
            .await
            .unwrap(),
        None
    );
    s.dmarc_report_add(&report(a.id, "r2", 200), &rows[..1])
        .await
        .unwrap()
        .unwrap();
    s.dmarc_report_add(&report(b.id, "r1", 300), &[])
        .await
        .unwrap()
        .unwrap();

    let (total, page) = s.dmarc_reports(Some(a.id), 10, 0).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(page[0].report_id, "r2");
    assert_eq!((page[1].messages, page[1].rows), (7, 2));
    let (total, page) = s.dmarc_reports(None, 1, 1).await.unwrap();
    assert_eq!((total, page.len()), (3, 1));
    assert_eq!(page[0].report_id, "r2");

    let (r, got) = s.dmarc_report(id).await.unwrap().unwrap();
    assert_eq!(got, rows);
    assert_eq!((r.id, r.domain_id, r.begin, r.end), (id, a.id, 1000, 2000));
    assert!(s.dmarc_report(id + 100).await.unwrap().is_none());

    assert_eq!(s.dmarc_reports_forget(150).await.unwrap(), 1);
    s.delete_domain(b.id).await.unwrap();
    assert_eq!(s.dmarc_reports(None, 10, 0).await.unwrap().0, 1);
}
