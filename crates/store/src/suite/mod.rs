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
mod directory;
mod dmarc;
mod folders;
mod greylist;
mod held;
mod limits;
mod messages;
mod metadata;
mod nodes;
mod pop_retrieval;
mod public;
mod sessions;
mod settings;
mod spool;
mod stats;
mod textindex;
mod throttle;
mod tlsrpt;
mod tokens;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::model::*;
use crate::traits::Store;

/// A store under test.
pub type Subject = Arc<dyn Store>;
/// One named check.
pub type Check = fn(Subject) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every check of the suite, by name.
pub const ALL: &[(&str, Check)] = &[
    ("domains", |s| Box::pin(directory::domains(s))),
    ("users_and_folders", |s| {
        Box::pin(directory::users_and_folders(s))
    }),
    ("aliases", |s| Box::pin(directory::aliases(s))),
    ("messages_uids_and_quota", |s| {
        Box::pin(messages::messages_uids_and_quota(s))
    }),
    ("shared_blob_delivery", |s| {
        Box::pin(messages::shared_blob_delivery(s))
    }),
    ("prefixed_bodies", |s| {
        Box::pin(messages::prefixed_bodies(s))
    }),
    ("concurrent_appends", |s| {
        Box::pin(messages::concurrent_appends(s))
    }),
    ("settings_and_events", |s| {
        Box::pin(settings::settings_and_events(s))
    }),
    ("spool_records", |s| Box::pin(spool::spool_records(s))),
    ("spool_leases", |s| Box::pin(spool::spool_leases(s))),
    ("dkim_keys", |s| Box::pin(spool::dkim_keys(s))),
    ("api_tokens", |s| Box::pin(tokens::api_tokens(s))),
    ("inactive_users", |s| Box::pin(tokens::inactive_users(s))),
    ("search_users", |s| Box::pin(tokens::search_users(s))),
    ("secrets", |s| Box::pin(tokens::secrets(s))),
    ("domain_admins", |s| Box::pin(tokens::domain_admins(s))),
    ("delete_cascades", |s| {
        Box::pin(directory::delete_cascades(s))
    }),
    ("large_messages", |s| Box::pin(messages::large_messages(s))),
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
    ("folder_counts_follow_changes", |s| {
        Box::pin(folders::folder_counts_follow_changes(s))
    }),
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
            recent_claims, folder_counts, folder_counts_follow_changes,
            subscriptions, uidvalidity_per_user, metadata_entries,
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
