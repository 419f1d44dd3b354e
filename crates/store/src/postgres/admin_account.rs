//! The system administrator's account: one row (`id = 1`) holding the login name, the
//! password's credentials and whether it must be changed at the next login.

use super::PgStore;
use crate::error::Result;
use crate::events::Event;
use crate::model::Admin;

impl PgStore {
    pub(crate) async fn get_admin_impl(&self) -> Result<Option<Admin>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &c.prepare_cached(
                    "SELECT username, credentials, must_change FROM admin WHERE id = 1",
                )
                .await?,
                &[],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Admin {
            username: r.try_get(0)?,
            credentials: r.try_get(1)?,
            must_change_password: r.try_get(2)?,
        }))
    }

    pub(crate) async fn put_admin_impl(&self, a: &Admin) -> Result<()> {
        write_tx!(self, |tx| {
            tx.t.execute(
                &tx.t.prepare_cached("INSERT INTO admin (id, username, credentials, must_change) VALUES (1, $1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET username = excluded.username, \
                 credentials = excluded.credentials, must_change = excluded.must_change").await?,
                &[&a.username, &a.credentials, &a.must_change_password],
            )
            .await?;
            tx.emit(Event::Directory);
            Ok(())
        })
    }
}
