//! Runs the backend-neutral suite against PostgreSQL, one test per check, each on a database
//! of its own made for it and dropped after ([`pg`]); then the checks only a shared database
//! needs ([`pg::nodes`], [`pg::node_state`]).
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

heron_store::suite_tests!(run);
