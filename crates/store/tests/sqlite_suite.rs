//! Runs the backend-neutral suite against the SQLite backend, one test per check.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use heron_store::SqliteStore;
use heron_store::suite::{ALL, Subject};

async fn run(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store: Subject = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let check = ALL.iter().find(|(n, _)| *n == name).unwrap().1;
    check(store).await;
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

#[tokio::test]
async fn another_process_changes_reach_subscribers() {
    let dir = tempfile::tempdir().unwrap();
    let server = SqliteStore::open(dir.path()).unwrap();
    let _poller = server.start_change_poller(std::time::Duration::from_millis(20));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut sub = heron_store::Store::subscribe(&server);
    // A second open of the same directory stands for the CLI process.
    let cli = SqliteStore::open(dir.path()).unwrap();
    heron_store::SettingsStore::set_setting(&cli, "pop.banner", "x")
        .await
        .unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), sub.next())
        .await
        .unwrap();
    assert_eq!(
        got,
        Some(heron_store::Event::Setting {
            key: "pop.banner".into()
        })
    );
}
