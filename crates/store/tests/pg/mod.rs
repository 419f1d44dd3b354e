//! What the PostgreSQL tests share: a database made for each test and dropped after, and
//! small helpers.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use heron_store::*;
use tokio_postgres::NoTls;

pub mod node_state;
pub mod nodes;
pub mod runs;
pub mod upgrade;

/// A database made for one test.
pub struct TestDb {
    pub admin: tokio_postgres::Config,
    pub name: String,
}

impl TestDb {
    /// A fresh empty database, or `None` (with a note) when no server is configured.
    pub async fn create(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var("HERON_TEST_PG") else {
            eprintln!("HERON_TEST_PG is not set: skipping the PostgreSQL test {test}");
            return None;
        };
        let admin: tokio_postgres::Config = url.parse().unwrap();
        let name = format!("heron_test_{:016x}", rand::random::<u64>());
        Self::exec(&admin, &format!("CREATE DATABASE {name}")).await;
        Some(Self { admin, name })
    }

    pub fn config(&self) -> tokio_postgres::Config {
        let mut c = self.admin.clone();
        c.dbname(&self.name);
        c
    }

    pub async fn connect(&self) -> PgStore {
        PgStore::connect_with(self.config()).await.unwrap()
    }

    pub async fn exec(config: &tokio_postgres::Config, sql: &str) {
        let (client, conn) = config.connect(NoTls).await.unwrap();
        let driver = tokio::spawn(conn);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = driver.await;
    }

    /// The count `sql` selects, read on a connection of its own.
    pub async fn count(&self, sql: &str) -> i64 {
        let (client, conn) = self.config().connect(NoTls).await.unwrap();
        let driver = tokio::spawn(conn);
        let n = client.query_one(sql, &[]).await.unwrap().get(0);
        drop(client);
        let _ = driver.await;
        n
    }

    pub async fn drop_db(self) {
        Self::exec(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await;
    }
}

/// Run `body` on a fresh database, dropping it afterwards even when `body` panics.
pub async fn with_db<F, Fut>(test: &str, body: F)
where
    F: FnOnce(TestDb) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = TestDb> + Send + 'static,
{
    let Some(db) = TestDb::create(test).await else {
        return;
    };
    let keep = TestDb {
        admin: db.admin.clone(),
        name: db.name.clone(),
    };
    let r = tokio::spawn(body(db)).await;
    keep.drop_db().await;
    if let Err(e) = r {
        std::panic::resume_unwind(e.into_panic());
    }
}

pub fn msg() -> NewMessage {
    NewMessage {
        flags: vec![],
        internal_date: Some(1_700_000_000),
    }
}

/// A folder's HIGHESTMODSEQ now.
pub async fn highest(s: &PgStore, folder: FolderId) -> u64 {
    s.get_folder_by_id(folder)
        .await
        .unwrap()
        .unwrap()
        .highestmodseq
}

/// `n` small messages, numbered.
pub fn small_messages(n: u32) -> Vec<(Vec<u8>, NewMessage)> {
    (0..n)
        .map(|i| (format!("m {i}\r\n").into_bytes(), msg()))
        .collect()
}

/// The next event, waiting at most ten seconds.
pub async fn next(s: &mut Subscription) -> Option<Event> {
    tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("an event within ten seconds")
}

pub fn host_port(c: &tokio_postgres::Config) -> String {
    let host = match c.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}")
}
