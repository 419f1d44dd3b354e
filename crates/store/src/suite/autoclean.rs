//! Suite check for the per-level settings of a domain and a user: their own auto-clean
//! rules and the domain's user-override switch (OPS-6), and the domain's POP-retrieval
//! switch (DOM-3) are kept, read back by name, id and in lists, and default as documented.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, user};

pub(super) async fn level_settings(s: Subject) {
    let d = domain(&s, "levels.test").await;
    assert_eq!(d.autoclean_rules, "");
    assert!(d.autoclean_user_override && d.pop_retrieval);
    let mut b = d.clone();
    b.autoclean_rules = "\\Trash age=30, Old size=10 keep=5".into();
    b.autoclean_user_override = false;
    b.pop_retrieval = false;
    s.update_domain(&b).await.unwrap();
    for got in [
        s.get_domain("levels.test").await.unwrap().unwrap(),
        s.get_domain_by_id(d.id).await.unwrap().unwrap(),
    ] {
        assert_eq!(got.autoclean_rules, b.autoclean_rules);
        assert!(!got.autoclean_user_override && !got.pop_retrieval);
    }
    let listed = s.list_domains().await.unwrap();
    assert!(listed.iter().any(|x| x.id == d.id && !x.pop_retrieval));

    let u = user(&s, &d, "ann").await;
    assert_eq!(u.autoclean_rules, "");
    let mut v = u.clone();
    v.autoclean_rules = "INBOX age=365".into();
    s.update_user(&v).await.unwrap();
    assert_eq!(
        s.get_user(d.id, "ann")
            .await
            .unwrap()
            .unwrap()
            .autoclean_rules,
        "INBOX age=365"
    );
    assert_eq!(
        s.get_user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .autoclean_rules,
        "INBOX age=365"
    );
    let all = s.list_users(d.id).await.unwrap();
    assert!(all.iter().any(|x| x.autoclean_rules == "INBOX age=365"));
}
