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

heron_store::suite_tests!(run);

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

#[tokio::test]
async fn another_process_directory_change_moves_the_generation_at_once() {
    use heron_store::{DirectoryStore, NewDomain, Store};
    let dir = tempfile::tempdir().unwrap();
    let server = SqliteStore::open(dir.path()).unwrap();
    let before = server.directory_generation().unwrap();
    // A second open of the same directory stands for the CLI process; no poller runs.
    let cli = SqliteStore::open(dir.path()).unwrap();
    let d = cli
        .create_domain(NewDomain {
            name: "a.test".into(),
            limits: Default::default(),
        })
        .await
        .unwrap();
    let added = server.directory_generation().unwrap();
    assert!(
        added > before,
        "seen by the server without waiting for a poll"
    );
    heron_store::SettingsStore::set_setting(&cli, "pop.banner", "x")
        .await
        .unwrap();
    assert_eq!(
        server.directory_generation().unwrap(),
        added,
        "a setting is not a directory change"
    );
    cli.delete_domain(d.id).await.unwrap();
    assert!(server.directory_generation().unwrap() > added);
}
