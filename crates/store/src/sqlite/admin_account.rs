//! The system administrator's account: one row (`id = 1`) holding the login name, the
//! password's credentials and whether it must be changed at the next login.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::events::Event;
use crate::model::Admin;

impl SqliteStore {
    pub(crate) async fn get_admin_impl(&self) -> Result<Option<Admin>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT username, credentials, must_change FROM admin WHERE id = 1",
                [],
                |r| {
                    Ok(Admin {
                        username: r.get(0)?,
                        credentials: r.get(1)?,
                        must_change_password: r.get(2)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    pub(crate) async fn put_admin_impl(&self, a: Admin) -> Result<()> {
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT OR REPLACE INTO admin (id, username, credentials, must_change) \
                 VALUES (1, ?1, ?2, ?3)",
                params![a.username, a.credentials, a.must_change_password],
            )?;
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }
}
