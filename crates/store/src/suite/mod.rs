//! The backend-neutral store test suite. Each function takes a fresh, empty store and panics
//! on the first broken rule; a backend's tests call every function of [`ALL`]. Kept in the
//! library (not under `#[cfg(test)]`) so each backend's crate, and the PostgreSQL backend to
//! come, run the very same checks.
#![allow(clippy::unwrap_used)]

mod acl;
mod archive;
mod autoclean;
mod bayes;
mod bindings;
mod dmarc;
mod folders;
mod greylist;
mod held;
mod limits;
mod metadata;
mod nodes;
mod pop_retrieval;
mod public;
mod sessions;
mod spool;
mod stats;
mod textindex;
mod throttle;
mod tlsrpt;
mod tokens;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::events::Event;
use crate::model::*;
use crate::traits::Store;

/// A store under test.
pub type Subject = Arc<dyn Store>;
/// One named check.
pub type Check = fn(Subject) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every check of the suite, by name.
pub const ALL: &[(&str, Check)] = &[
    ("domains", |s| Box::pin(domains(s))),
    ("users_and_folders", |s| Box::pin(users_and_folders(s))),
    ("aliases", |s| Box::pin(aliases(s))),
    ("messages_uids_and_quota", |s| {
        Box::pin(messages_uids_and_quota(s))
    }),
    ("shared_blob_delivery", |s| {
        Box::pin(shared_blob_delivery(s))
    }),
    ("prefixed_bodies", |s| Box::pin(prefixed_bodies(s))),
    ("concurrent_appends", |s| Box::pin(concurrent_appends(s))),
    ("settings_and_events", |s| Box::pin(settings_and_events(s))),
    ("spool_records", |s| Box::pin(spool::spool_records(s))),
    ("spool_leases", |s| Box::pin(spool::spool_leases(s))),
    ("dkim_keys", |s| Box::pin(spool::dkim_keys(s))),
    ("api_tokens", |s| Box::pin(tokens::api_tokens(s))),
    ("inactive_users", |s| Box::pin(tokens::inactive_users(s))),
    ("search_users", |s| Box::pin(tokens::search_users(s))),
    ("secrets", |s| Box::pin(tokens::secrets(s))),
    ("domain_admins", |s| Box::pin(tokens::domain_admins(s))),
    ("delete_cascades", |s| Box::pin(delete_cascades(s))),
    ("large_messages", |s| Box::pin(large_messages(s))),
    ("flags_copy_move", |s| Box::pin(folders::flags_copy_move(s))),
    ("folder_tree", |s| Box::pin(folders::folder_tree(s))),
    ("nodes_and_holds", |s| Box::pin(nodes::nodes_and_holds(s))),
    ("admin_sessions", |s| Box::pin(sessions::admin_sessions(s))),
    ("stopped_services", |s| Box::pin(nodes::stopped_services(s))),
    ("failure_limits", |s| Box::pin(limits::failure_limits(s))),
    ("failure_limits_are_bounded", |s| {
        Box::pin(limits::failure_limits_are_bounded(s))
    }),
    ("concurrent_failures", |s| {
        Box::pin(limits::concurrent_failures(s))
    }),
    ("held_messages", |s| Box::pin(held::held_messages(s))),
    ("read_batches", |s| Box::pin(held::read_batches(s))),
    ("recent_claims", |s| Box::pin(folders::recent_claims(s))),
    ("folder_counts", |s| Box::pin(folders::folder_counts(s))),
    ("subscriptions", |s| Box::pin(folders::subscriptions(s))),
    ("uidvalidity_per_user", |s| {
        Box::pin(folders::uidvalidity_per_user(s))
    }),
    ("metadata_entries", |s| {
        Box::pin(metadata::metadata_entries(s))
    }),
    ("acl_entries", |s| Box::pin(acl::acl_entries(s))),
    ("public_folders", |s| Box::pin(public::public_folders(s))),
    ("text_index", |s| Box::pin(textindex::text_index(s))),
    ("bayes_counts", |s| Box::pin(bayes::bayes_counts(s))),
    ("dmarc_collected", |s| Box::pin(dmarc::dmarc_collected(s))),
    ("dmarc_reports", |s| Box::pin(dmarc::dmarc_reports(s))),
    ("tlsrpt_results", |s| Box::pin(tlsrpt::tlsrpt_results(s))),
    ("greylist_triplets", |s| {
        Box::pin(greylist::greylist_triplets(s))
    }),
    ("limit_blocks_listed_and_removed", |s| {
        Box::pin(limits::limit_blocks_listed_and_removed(s))
    }),
    ("throttle_counts", |s| {
        Box::pin(throttle::throttle_counts(s))
    }),
    ("user_throttles", |s| Box::pin(throttle::user_throttles(s))),
    ("domain_bindings", |s| {
        Box::pin(bindings::domain_bindings(s))
    }),
    ("pop_accounts", |s| Box::pin(pop_retrieval::pop_accounts(s))),
    ("stat_counts", |s| Box::pin(stats::stat_counts(s))),
    ("archive_records", |s| Box::pin(archive::archive_records(s))),
    ("level_settings", |s| Box::pin(autoclean::level_settings(s))),
];

/// One test per check of [`ALL`] in a backend's test file, each calling `$run(name)` (an
/// `async fn(&'static str)` that gives the check a fresh store), plus a test that fails when a
/// check of [`ALL`] has no test here: `heron_store::suite_tests!(run);`.
#[macro_export]
macro_rules! suite_tests {
    ($run:path) => {
        $crate::suite_tests!(@each $run;
            domains, users_and_folders, aliases, messages_uids_and_quota, shared_blob_delivery,
            prefixed_bodies, concurrent_appends, settings_and_events, spool_records,
            spool_leases, dkim_keys, api_tokens, inactive_users, search_users, secrets,
            domain_admins, delete_cascades, large_messages, flags_copy_move, folder_tree,
            nodes_and_holds, admin_sessions, stopped_services, failure_limits,
            failure_limits_are_bounded, concurrent_failures, held_messages, read_batches,
            recent_claims, folder_counts, subscriptions, uidvalidity_per_user, metadata_entries,
            acl_entries, public_folders, text_index, bayes_counts, dmarc_collected, dmarc_reports,
            tlsrpt_results, greylist_triplets, limit_blocks_listed_and_removed, throttle_counts,
            user_throttles, domain_bindings, pop_accounts, stat_counts, archive_records,
            level_settings);
    };
    (@each $run:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $run(stringify!($name)).await
            }
        )*
        #[test]
        fn every_check_has_a_test() {
            let listed: &[&str] = &[$(stringify!($name)),*];
            for (n, _) in $crate::suite::ALL {
                assert!(listed.contains(n), "suite check {n} not run");
            }
        }
    };
}

pub(super) async fn domain(s: &Subject, name: &str) -> Domain {
    s.create_domain(NewDomain {
        name: name.into(),
        limits: DomainLimits::default(),
    })
    .await
    .unwrap()
}

pub(super) async fn user(s: &Subject, d: &Domain, local: &str) -> User {
    s.create_user(
        new_user(d.id, local),
        &[("INBOX", None), ("Sent Items", Some("\\Sent"))],
    )
    .await
    .unwrap()
}

/// An ordinary user `local` of domain `domain_id`, with placeholder credentials.
pub(super) fn new_user(domain_id: DomainId, local: &str) -> NewUser {
    NewUser {
        domain_id,
        local: local.into(),
        credentials: "x".into(),
        display_name: local.into(),
        role: Role::User,
        quota_bytes: 0,
    }
}

/// A new domain `domain` with one user `local` owning `folders`: the fixture of tests that
/// need one mailbox owner outside the suite (the crash and upgrade tests, the orphan sweep).
pub async fn one_user<S: Store + ?Sized>(
    s: &S,
    domain: &str,
    local: &str,
    folders: &[(&str, Option<&str>)],
) -> User {
    let d = s
        .create_domain(NewDomain {
            name: domain.into(),
            limits: DomainLimits::default(),
        })
        .await
        .unwrap();
    s.create_user(new_user(d.id, local), folders).await.unwrap()
}

/// What a user's folders count against quota, besides their messages.
pub(super) async fn folders_cost(s: &Subject, user: UserId) -> u64 {
    let folders = s.list_folders(user).await.unwrap();
    assert!(!folders.is_empty());
    folders.iter().map(|f| folder_cost(&f.name)).sum()
}

pub(super) fn msg(flags: &[&str]) -> NewMessage {
    NewMessage {
        flags: flags.iter().map(|f| f.to_string()).collect(),
        internal_date: Some(1_700_000_000),
    }
}

fn filter_overrides(pairs: &[(&str, &str)]) -> FilterOverrides {
    FilterOverrides(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

async fn domains(s: Subject) {
    let d = domain(&s, "a.test").await;
    assert!(matches!(
        s.create_domain(NewDomain {
            name: "a.test".into(),
            limits: DomainLimits::default()
        })
        .await,
        Err(crate::StoreError::Conflict(_))
    ));
    let mut got = s.get_domain("a.test").await.unwrap().unwrap();
    assert_eq!(got, d);
    got.disabled = true;
    got.limits.users = 7;
    got.catch_all = Some("bucket".into());
    got.filter = filter_overrides(&[("enabled", "false"), ("level_low", "3")]);
    s.update_domain(&got).await.unwrap();
    assert_eq!(s.get_domain_by_id(d.id).await.unwrap().unwrap(), got);
    domain(&s, "b.test").await;
    let names: Vec<_> = s
        .list_domains()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["a.test", "b.test"]);
    s.add_domain_alias("a.example", d.id).await.unwrap();
    assert_eq!(
        s.resolve_domain_alias("a.example").await.unwrap(),
        Some(d.id)
    );
    assert!(
        s.add_domain_alias("b.test", d.id).await.is_err(),
        "alias may not shadow a domain"
    );
    assert_eq!(s.list_domain_aliases(d.id).await.unwrap(), ["a.example"]);
    s.remove_domain_alias("a.example").await.unwrap();
    assert_eq!(s.resolve_domain_alias("a.example").await.unwrap(), None);
    assert!(s.get_domain("nope.test").await.unwrap().is_none());
}

async fn users_and_folders(s: Subject) {
    let d = domain(&s, "u.test").await;
    let u = user(&s, &d, "alice").await;
    assert!(
        s.create_user(
            NewUser {
                domain_id: d.id,
                local: "alice".into(),
                credentials: "y".into(),
                display_name: String::new(),
                role: Role::User,
                quota_bytes: 0
            },
            &[]
        )
        .await
        .is_err()
    );
    let mut got = s.get_user(d.id, "alice").await.unwrap().unwrap();
    assert_eq!(got, u);
    got.disabled = true;
    got.role = Role::DomainAdmin;
    got.forward_to = vec!["x@y.test".into()];
    got.filter = filter_overrides(&[("action_high", "delete"), ("text_high", "[\"x\"] ü")]);
    s.update_user(&got).await.unwrap();
    assert_eq!(s.get_user_by_id(u.id).await.unwrap().unwrap(), got);
    assert_eq!(s.count_users(d.id).await.unwrap(), 1);
    let folders = s.list_folders(u.id).await.unwrap();
    assert_eq!(folders.len(), 2);
    let sent = s.get_folder(u.id, "Sent Items").await.unwrap().unwrap();
    assert_eq!(sent.special_use.as_deref(), Some("\\Sent"));
    assert_eq!(sent.uidnext, 1);
    assert!(sent.uidvalidity > 0);
    s.touch_login(u.id, 42).await.unwrap();
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().last_login,
        Some(42)
    );
    let admin = Admin {
        username: "admin".into(),
        credentials: "c".into(),
        must_change_password: true,
    };
    s.put_admin(&admin).await.unwrap();
    assert_eq!(s.get_admin().await.unwrap(), Some(admin));
}

async fn aliases(s: Subject) {
    let d = domain(&s, "al.test").await;
    let a = s
        .create_alias(d.id, "team", &["a@al.test".into(), "b".into()])
        .await
        .unwrap();
    assert_eq!(s.get_alias(d.id, "team").await.unwrap(), Some(a.clone()));
    assert!(s.create_alias(d.id, "team", &[]).await.is_err());
    assert_eq!(s.count_aliases(d.id).await.unwrap(), 1);
    assert_eq!(
        s.list_aliases(d.id).await.unwrap(),
        std::slice::from_ref(&a)
    );
    s.delete_alias(a.id).await.unwrap();
    assert_eq!(s.get_alias(d.id, "team").await.unwrap(), None);
    s.create_list(d.id, "news").await.unwrap();
    assert_eq!(s.count_lists(d.id).await.unwrap(), 1);
    assert!(s.get_list(d.id, "news").await.unwrap().is_some());
}

async fn messages_uids_and_quota(s: Subject) {
    let d = domain(&s, "m.test").await;
    let u = user(&s, &d, "bob").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let batch = (0..5)
        .map(|i| {
            (
                format!("Subject: {i}\r\n\r\nbody {i}\r\n").into_bytes(),
                msg(&["\\Seen"]),
            )
        })
        .collect();
    let uids = s.append_batch(inbox.id, batch).await.unwrap();
    assert_eq!(uids, [1, 2, 3, 4, 5]);
    let list = s.list_messages(inbox.id).await.unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[2].flags, ["\\Seen"]);
    assert_eq!(list[2].internal_date, 1_700_000_000);
    assert_eq!(
        s.read_message(&list[2]).await.unwrap(),
        b"Subject: 2\r\n\r\nbody 2\r\n"
    );
    let heads = s.list_headers(inbox.id).await.unwrap();
    assert_eq!(heads.len(), 5);
    assert_eq!(
        heads[2],
        (3, Some(b"Subject: 2\r\n\r\n".to_vec())),
        "header block only"
    );
    let total: u64 = list.iter().map(|m| m.size).sum();
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes,
        total + folders_cost(&s, u.id).await
    );
    let before = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(s.expunge(inbox.id, &[2, 5, 99]).await.unwrap(), [2, 5]);
    let after = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert!(after.highestmodseq > before.highestmodseq);
    assert_eq!(after.uidvalidity, before.uidvalidity);
    let left: Vec<u32> = s
        .list_messages(inbox.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(left, [1, 3, 4]);
    // Chosen messages' metadata: those still there, in UID order, by UID or by range.
    let some = s.get_messages(inbox.id, &[4, 2, 1, 99, 4]).await.unwrap();
    assert_eq!(some, [list[0].clone(), list[3].clone()]);
    let range: Vec<u32> = s
        .get_messages(inbox.id, &[3, 1, 2, 4])
        .await
        .unwrap()
        .iter()
        .map(|m| m.uid)
        .collect();
    assert_eq!(range, [1, 3, 4]);
    assert!(s.get_messages(inbox.id, &[]).await.unwrap().is_empty());
    // The flag listing: UIDs and modseqs, each distinct flag list once.
    s.store_flags(inbox.id, &[4], FlagOp::Add, &["$Work".into()], None)
        .await
        .unwrap();
    let flags = s.list_flags(inbox.id).await.unwrap();
    let of = |m: &MessageFlags| (m.uid, flags.lists[m.flags as usize].clone());
    assert_eq!(
        flags.messages.iter().map(of).collect::<Vec<_>>(),
        [
            (1, vec!["\\Seen".to_string()]),
            (3, vec!["\\Seen".to_string()]),
            (4, vec!["\\Seen".to_string(), "$Work".to_string()]),
        ]
    );
    assert_eq!(flags.lists.len(), 2);
    assert!(flags.messages[2].modseq > flags.messages[1].modseq);
    // UIDs are never reused, even for the highest expunged one.
    let again = s
        .deliver(b"x\r\n".to_vec().into(), &[(inbox.id, msg(&[]))])
        .await
        .unwrap();
    assert_eq!(again, [6]);
    assert!(
        s.read_message(&list[1]).await.is_ok(),
        "held after its expunge"
    );
    s.release_held(i64::MAX).await.unwrap();
    assert!(
        s.read_message(&list[1]).await.is_err(),
        "expunged blob is gone once released"
    );
    let used = s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
    assert_eq!(
        used,
        list[0].size + list[2].size + list[3].size + 3 + folders_cost(&s, u.id).await
    );
    assert_eq!(s.domain_usage(d.id).await.unwrap(), used);
    let t = s.totals().await.unwrap();
    assert_eq!((t.domains, t.users, t.messages, t.bytes), (1, 1, 4, used));
}

/// One received body behind different added lines, in a mailbox and in the spool, small
/// (kept in the database) and large (a file): each reads back as prefix then body, and the
/// kept header block is that of the joined message.
async fn prefixed_bodies(s: Subject) {
    let d = domain(&s, "px.test").await;
    let u = user(&s, &d, "u").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    for size in [100, 400 * 1024] {
        let mut raw = b"Subject: prefixed\r\n\r\n".to_vec();
        raw.resize(size, b'x');
        let body = std::sync::Arc::new(raw);
        let local = MessageBytes::new(b"Return-Path: <a@b.test>\r\n".to_vec(), body.clone());
        let remote = MessageBytes::new(b"Received: by h\r\n".to_vec(), body.clone());
        let uid = s
            .deliver(local.clone(), &[(inbox.id, msg(&[]))])
            .await
            .unwrap()[0];
        let meta = s
            .list_messages(inbox.id)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.uid == uid)
            .unwrap();
        assert_eq!(meta.size, local.len() as u64);
        assert_eq!(s.read_message(&meta).await.unwrap(), local.joined());
        let heads = s.list_headers(inbox.id).await.unwrap();
        let head = heads.into_iter().find(|h| h.0 == uid).unwrap().1.unwrap();
        assert_eq!(
            head,
            b"Return-Path: <a@b.test>\r\nSubject: prefixed\r\n\r\n".to_vec()
        );
        let e = s
            .spool_insert(remote.clone(), spool::entry("", &["r@remote.test"], 5, 0))
            .await
            .unwrap();
        assert_eq!(s.spool_read(&e).await.unwrap(), remote.joined());
        assert_eq!(
            std::sync::Arc::strong_count(&body),
            3,
            "the body was shared, not moved"
        );
    }
}

async fn shared_blob_delivery(s: Subject) {
    let d = domain(&s, "sh.test").await;
    let (a, b) = (user(&s, &d, "a").await, user(&s, &d, "b").await);
    let fa = s.get_folder(a.id, "INBOX").await.unwrap().unwrap();
    let fb = s.get_folder(b.id, "INBOX").await.unwrap().unwrap();
    let uids = s
        .deliver(
            b"shared\r\n".to_vec().into(),
            &[(fa.id, msg(&[])), (fb.id, msg(&[]))],
        )
        .await
        .unwrap();
    assert_eq!(uids, [1, 1]);
    let ma = s.list_messages(fa.id).await.unwrap().remove(0);
    let mb = s.list_messages(fb.id).await.unwrap().remove(0);
    assert_eq!(
        ma.blob, mb.blob,
        "one copy of the bytes for both recipients"
    );
    s.expunge(fa.id, &[1]).await.unwrap();
    assert_eq!(
        s.read_message(&mb).await.unwrap(),
        b"shared\r\n",
        "still referenced by b"
    );
    s.expunge(fb.id, &[1]).await.unwrap();
    s.release_held(i64::MAX).await.unwrap();
    assert!(s.read_message(&mb).await.is_err());
    assert!(
        s.deliver(b"x".to_vec().into(), &[(999_999, msg(&[]))])
            .await
            .is_err()
    );
}

async fn concurrent_appends(s: Subject) {
    let d = domain(&s, "c.test").await;
    let u = user(&s, &d, "c").await;
    let f = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.deliver(format!("m{i}\r\n").into_bytes().into(), &[(f.id, msg(&[]))])
                .await
                .unwrap()[0]
        }));
    }
    let mut uids = HashSet::new();
    for t in tasks {
        assert!(uids.insert(t.await.unwrap()), "UIDs are unique");
    }
    assert_eq!(uids, (1..=200).collect::<HashSet<u32>>());
    let folder = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    assert_eq!(folder.uidnext, 201);
}

async fn settings_and_events(s: Subject) {
    let mut sub = s.subscribe();
    assert_eq!(s.get_setting("pop.banner").await.unwrap(), None);
    s.set_setting("pop.banner", "hello").await.unwrap();
    s.set_setting("pop.banner", "again").await.unwrap();
    assert_eq!(
        s.get_setting("pop.banner").await.unwrap().as_deref(),
        Some("again")
    );
    assert_eq!(
        s.list_settings().await.unwrap(),
        [("pop.banner".to_string(), "again".to_string())]
    );
    s.reset_setting("pop.banner").await.unwrap();
    assert_eq!(s.get_setting("pop.banner").await.unwrap(), None);
    let want = Event::Setting {
        key: "pop.banner".into(),
    };
    for _ in 0..3 {
        assert_eq!(sub.next().await, Some(want.clone()));
    }
}

async fn delete_cascades(s: Subject) {
    let d = domain(&s, "del.test").await;
    let u = user(&s, &d, "gone").await;
    let f = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    s.deliver(b"bye\r\n".to_vec().into(), &[(f.id, msg(&[]))])
        .await
        .unwrap();
    let m = s.list_messages(f.id).await.unwrap().remove(0);
    s.delete_user(u.id).await.unwrap();
    assert!(s.get_user(d.id, "gone").await.unwrap().is_none());
    assert!(s.list_messages(f.id).await.unwrap().is_empty());
    assert!(
        s.read_message(&m).await.is_err(),
        "blob removed with its last message"
    );
    let u2 = user(&s, &d, "other").await;
    s.delete_domain(d.id).await.unwrap();
    assert!(s.get_user_by_id(u2.id).await.unwrap().is_none());
    assert!(s.get_domain("del.test").await.unwrap().is_none());
}

async fn large_messages(s: Subject) {
    let d = domain(&s, "big.test").await;
    let (a, b) = (user(&s, &d, "a").await, user(&s, &d, "b").await);
    let fa = s.get_folder(a.id, "INBOX").await.unwrap().unwrap();
    let fb = s.get_folder(b.id, "INBOX").await.unwrap().unwrap();
    // Sizes around any inline/file threshold a backend may use, up to a few MB.
    let sizes = [
        0usize,
        1,
        4096,
        64 * 1024,
        64 * 1024 + 1,
        256 * 1024,
        256 * 1024 + 1,
        3 * 1024 * 1024,
    ];
    for (i, n) in sizes.iter().enumerate() {
        let body: Vec<u8> = (0..*n).map(|j| (j * 31 + i) as u8).collect();
        s.deliver(body.clone().into(), &[(fa.id, msg(&[])), (fb.id, msg(&[]))])
            .await
            .unwrap();
        let ma = s.list_messages(fa.id).await.unwrap().pop().unwrap();
        let mb = s.list_messages(fb.id).await.unwrap().pop().unwrap();
        assert_eq!(ma.size, *n as u64);
        assert_eq!(s.read_message(&ma).await.unwrap(), body, "size {n}");
        s.expunge(fa.id, &[ma.uid]).await.unwrap();
        assert_eq!(
            s.read_message(&mb).await.unwrap(),
            body,
            "still shared, size {n}"
        );
        s.expunge(fb.id, &[mb.uid]).await.unwrap();
        s.release_held(i64::MAX).await.unwrap();
        assert!(
            s.read_message(&mb).await.is_err(),
            "gone with its last reference, size {n}"
        );
    }
    let batch = sizes.iter().map(|n| (vec![b'x'; *n], msg(&[]))).collect();
    let uids = s.append_batch(fa.id, batch).await.unwrap();
    assert_eq!(uids.len(), sizes.len());
    for (m, n) in s.list_messages(fa.id).await.unwrap().iter().zip(sizes) {
        assert_eq!(s.read_message(m).await.unwrap().len(), n);
    }
}
