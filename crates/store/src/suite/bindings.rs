//! Suite check for a domain's bindings: the IP it is bound to (BIND-4) and its alternate
//! SMTP port (DOM-2) are kept, read back by name and id, and cleared.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain};

pub(super) async fn domain_bindings(s: Subject) {
    let d = domain(&s, "bound.test").await;
    assert_eq!(d.bind_ip, None);
    assert_eq!(d.smtp_alt_port, None);
    let mut b = d.clone();
    b.bind_ip = Some("192.0.2.7".into());
    b.smtp_alt_port = Some(2525);
    s.update_domain(&b).await.unwrap();
    let got = s.get_domain("bound.test").await.unwrap().unwrap();
    assert_eq!(got.bind_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(got.smtp_alt_port, Some(2525));
    let by_id = s.get_domain_by_id(d.id).await.unwrap().unwrap();
    assert_eq!(by_id.smtp_alt_port, Some(2525));
    let listed = s.list_domains().await.unwrap();
    assert!(listed.iter().any(|x| x.smtp_alt_port == Some(2525)));
    b.bind_ip = None;
    b.smtp_alt_port = None;
    s.update_domain(&b).await.unwrap();
    let got = s.get_domain("bound.test").await.unwrap().unwrap();
    assert_eq!((got.bind_ip, got.smtp_alt_port), (None, None));
}
