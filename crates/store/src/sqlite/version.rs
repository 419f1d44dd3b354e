//! Which schema version an embedded store has (what `heron migrate` reports for it). The
//! embedded schema has no separate migration step: opening the store brings it up to date.

use rusqlite::OptionalExtension;

use super::{SqliteStore, schema};
use crate::error::Result;

impl SqliteStore {
    /// The schema version recorded in the database (after opening, the current one).
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| v.parse().ok()))
        })
        .await
    }

    /// The schema version this program writes.
    pub fn current_schema_version() -> i64 {
        schema::VERSION
    }
}
