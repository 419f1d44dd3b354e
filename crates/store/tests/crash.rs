//! Durability: a writer process is killed with SIGKILL while writes are in flight; every
//! write that had returned `Ok` must be there after reopening, and the database must be
//! consistent. The child is this same test binary re-run with `crash_child`.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use heron_store::*;

const CHILD_ENV: &str = "HERON_CRASH_DIR";
/// Acknowledged writes to wait for before the kill.
const KILL_AFTER: usize = 2000;
/// Upper bound on the child's writes, so it stops by itself if never killed.
const CHILD_MAX: usize = 20_000;

/// Message `n`; every 50th is large enough to be stored as a file rather than inline, and
/// every 50th after the 25th is large but still inline.
fn body(n: usize) -> Vec<u8> {
    let len = match n % 50 {
        0 => 300 * 1024,
        25 => 48 * 1024,
        _ => n % 500,
    };
    format!("Subject: crash test {n}\r\n\r\n{}\r\n", "x".repeat(len)).into_bytes()
}

/// Writes messages from 8 concurrent tasks and prints each one once its write returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "run by sigkill_loses_no_acknowledged_write"]
async fn crash_child() {
    let dir = std::env::var(CHILD_ENV).expect("run by the parent test");
    let store = Arc::new(SqliteStore::open(dir.as_ref()).unwrap());
    let u = suite::one_user(store.as_ref(), "crash.test", "u", &[("INBOX", None)]).await;
    let f = store.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (store, out) = (store.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            for i in (t..CHILD_MAX).step_by(8) {
                let m = NewMessage {
                    flags: vec![],
                    internal_date: None,
                };
                let uid = store.deliver(body(i).into(), &[(f.id, m)]).await.unwrap()[0];
                let mut o = out.lock().unwrap();
                writeln!(o, "ok {i} {uid}").unwrap();
                o.flush().unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn sigkill_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < KILL_AFTER {
        let line = lines.next().expect("child ended early").unwrap();
        if let Some(rest) = line.strip_prefix("ok ") {
            acked.push(rest.to_owned());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Lines already printed were acknowledged before the kill.
    for line in lines.map_while(std::result::Result::ok) {
        if let Some(rest) = line.strip_prefix("ok ") {
            acked.push(rest.to_owned());
        }
    }

    let check = rusqlite::Connection::open(dir.path().join("heron.db")).unwrap();
    let integrity: String = check
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(check);

    let store = SqliteStore::open(dir.path()).unwrap();
    let d = store.get_domain("crash.test").await.unwrap().unwrap();
    let u = store.get_user(d.id, "u").await.unwrap().unwrap();
    let f = store.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let msgs = store.list_messages(f.id).await.unwrap();
    assert!(
        msgs.len() >= acked.len(),
        "{} stored < {} acknowledged",
        msgs.len(),
        acked.len()
    );
    for a in &acked {
        let (i, uid) = a.split_once(' ').unwrap();
        let (i, uid): (usize, u32) = (i.parse().unwrap(), uid.parse().unwrap());
        let m = msgs
            .iter()
            .find(|m| m.uid == uid)
            .unwrap_or_else(|| panic!("acknowledged uid {uid} lost"));
        assert_eq!(
            store.read_message(m).await.unwrap(),
            body(i),
            "bytes of uid {uid}"
        );
    }
    // The store stays writable after the crash.
    let m = NewMessage {
        flags: vec![],
        internal_date: None,
    };
    let next = store
        .deliver(b"after\r\n".to_vec().into(), &[(f.id, m)])
        .await
        .unwrap()[0];
    assert!(
        msgs.iter().all(|m| m.uid < next),
        "UIDs never reused after a crash"
    );
}
