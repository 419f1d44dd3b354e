//! Checks of POP-retrieval accounts: kept, changed, run records, UIDLs recorded once and
//! forgotten, and everything going with the account and the user.

use super::{Subject, domain, user};
use crate::model::{PopAccount, PopTls};

pub async fn pop_accounts(s: Subject) {
    let d = domain(&s, "pop.test").await;
    let u = user(&s, &d, "alice").await;
    let mut a = PopAccount {
        id: 0,
        user_id: u.id,
        host: "pop.example.net".into(),
        port: 110,
        tls: PopTls::Starttls,
        verify_tls: true,
        login: "alice".into(),
        password: vec![1, 2, 3, 0, 255],
        leave_on_server: true,
        folder: "INBOX".into(),
        enabled: true,
        last_run: 0,
        last_error: String::new(),
    };
    a.id = s.pop_account_add(&a).await.unwrap();
    assert!(a.id > 0);
    assert_eq!(s.pop_account(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.pop_accounts(Some(u.id)).await.unwrap(), vec![a.clone()]);

    a.tls = PopTls::Tls;
    a.port = 995;
    a.leave_on_server = false;
    a.folder = "Fetched".into();
    assert!(s.pop_account_update(&a).await.unwrap());
    s.pop_account_ran(a.id, 1000, "login refused")
        .await
        .unwrap();
    let got = s.pop_account(a.id).await.unwrap().unwrap();
    assert_eq!(
        (got.last_run, got.last_error.as_str()),
        (1000, "login refused")
    );
    assert_eq!(
        (got.tls, got.port, got.leave_on_server),
        (PopTls::Tls, 995, false)
    );

    // UIDLs: recorded once, forgotten on request.
    assert!(s.pop_uidls(a.id).await.unwrap().is_empty());
    for uidl in ["a1", "b2", "a1"] {
        s.pop_uidl_add(a.id, uidl, 1000).await.unwrap();
    }
    let mut got = s.pop_uidls(a.id).await.unwrap();
    got.sort();
    assert_eq!(got, vec!["a1".to_string(), "b2".to_string()]);
    s.pop_uidls_forget(a.id, &["a1".to_string()]).await.unwrap();
    assert_eq!(s.pop_uidls(a.id).await.unwrap(), vec!["b2".to_string()]);

    // Removing an account removes its UIDLs.
    let b = s.pop_account_add(&a).await.unwrap();
    s.pop_uidl_add(b, "x", 1).await.unwrap();
    assert_eq!(s.pop_accounts(None).await.unwrap().len(), 2);
    assert!(s.pop_account_remove(b).await.unwrap());
    assert!(!s.pop_account_remove(b).await.unwrap());
    assert!(s.pop_uidls(b).await.unwrap().is_empty());

    // Deleting the user deletes its accounts and their UIDLs.
    s.delete_user(u.id).await.unwrap();
    assert!(s.pop_account(a.id).await.unwrap().is_none());
    assert!(s.pop_accounts(None).await.unwrap().is_empty());
    assert!(s.pop_uidls(a.id).await.unwrap().is_empty());
}
