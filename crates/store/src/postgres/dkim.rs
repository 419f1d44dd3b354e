//! DKIM signing keys on PostgreSQL, one per domain, kept under the domain name as
//! [`crate::rules::names::dkim_domain`] writes it.

use super::PgStore;
use super::error::not_found;
use crate::error::Result;
use crate::events::Event;
use crate::model::DkimRecord;
use crate::rules::names::dkim_domain;

impl PgStore {
    pub(crate) async fn put_dkim_key_impl(&self, k: &DkimRecord) -> Result<()> {
        let domain = dkim_domain(&k.domain);
        write_tx!(self, |tx| {
            tx.t.execute(
                &tx.t.prepare_cached("INSERT INTO dkim_keys (domain, selector, algorithm, private_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain) DO UPDATE SET \
                 selector = excluded.selector, algorithm = excluded.algorithm, \
                 private_key = excluded.private_key, created_at = excluded.created_at").await?,
                &[
                    &domain,
                    &k.selector,
                    &k.algorithm,
                    &k.private_key,
                    &k.created_at,
                ],
            )
            .await?;
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    pub(crate) async fn get_dkim_key_impl(&self, domain: &str) -> Result<Option<DkimRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &c.prepare_cached(
                    "SELECT domain, selector, algorithm, private_key, created_at FROM dkim_keys \
                 WHERE domain = $1",
                )
                .await?,
                &[&domain],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(DkimRecord {
            domain: r.try_get(0)?,
            selector: r.try_get(1)?,
            algorithm: r.try_get(2)?,
            private_key: r.try_get(3)?,
            created_at: r.try_get(4)?,
        }))
    }

    pub(crate) async fn delete_dkim_key_impl(&self, domain: &str) -> Result<()> {
        write_tx!(self, |tx| {
            let n =
                tx.t.execute(
                    &tx.t
                        .prepare_cached("DELETE FROM dkim_keys WHERE domain = $1")
                        .await?,
                    &[&domain],
                )
                .await?;
            if n == 0 {
                return Err(not_found(format!("DKIM key of {domain}")));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }
}
