//! Runs the backend-neutral suite against PostgreSQL, one test per check, each on a database
//! of its own made for it and dropped after ([`pg`]); then the checks only a shared database
//! needs ([`pg::nodes`]).
//!
//! Set `HERON_TEST_PG` to a PostgreSQL URL whose user may create databases
//! (`postgres://postgres@127.0.0.1:5432/postgres`); without it every test prints a note and
//! passes without running.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use heron_store::suite::{ALL, Subject};

mod pg;

use pg::with_db;

async fn run(name: &'static str) {
    with_db(name, move |db| async move {
        let store: Subject = Arc::new(db.connect().await);
        let check = ALL.iter().find(|(n, _)| *n == name).unwrap().1;
        check(store).await;
        db
    })
    .await;
}

macro_rules! suite {
    ($($name:ident),*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() { run(stringify!($name)).await }
    )*
    #[test]
    fn every_check_has_a_test() {
        let listed: Vec<&str> = vec![$(stringify!($name)),*];
        for (n, _) in ALL { assert!(listed.contains(n), "suite check {n} not run"); }
    }};
}

suite!(
    domains,
    users_and_folders,
    aliases,
    messages_uids_and_quota,
    shared_blob_delivery,
    prefixed_bodies,
    concurrent_appends,
    settings_and_events,
    spool_records,
    spool_leases,
    dkim_keys,
    api_tokens,
    inactive_users,
    search_users,
    secrets,
    domain_admins,
    delete_cascades,
    large_messages,
    flags_copy_move,
    folder_tree,
    nodes_and_holds,
    admin_sessions
);
