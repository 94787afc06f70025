//! Several booths, one truth: each booth's event log is pushed to a shared PostgreSQL when it
//! is reachable and the other booths' events are pulled back, so that every booth ends with
//! the same orders and totals. The catalogue and the per-booth quotas of limited items come
//! from the shared database too.
//!
//! - **Push** (the outbox): this booth's events after the last one pushed, in batches, each
//!   batch one PostgreSQL transaction, inserted by event id (`ON CONFLICT DO NOTHING`). The
//!   cursor moves after the commit: an interrupted push is simply done again, and an event
//!   pushed twice is stored once.
//! - **Pull**: the shared events after the last one pulled, in the order the shared database
//!   took them (writers hold a festival-wide advisory lock, so that order is the commit
//!   order and no event is skipped). Each batch is applied and the cursor moved in one local
//!   transaction.
//! - **Quotas**: a limited item's stock is split between booths (`Shared::set_quota`); a
//!   booth sells only its quota, so booths that are offline can never sell more than the
//!   stock between them. Quotas only grow (a booth may have sold its units while offline),
//!   and never past the stock. A booth that shares a limited item it has already sold some
//!   of keeps those units as its quota, so the others' quotas leave them out.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{QueryBuilder, Sqlite, Transaction};

use crate::orders::apply_event;
use crate::{NewItem, Sales, SalesError};

/// One lock key for all writes to the shared database (hashed with the festival name).
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('popbooth:' || $1))";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS popbooth_event (
        gseq            BIGSERIAL PRIMARY KEY,
        festival        TEXT NOT NULL,
        id              TEXT NOT NULL UNIQUE,
        booth           TEXT NOT NULL,
        order_id        TEXT NOT NULL,
        kind            TEXT NOT NULL,
        body            TEXT NOT NULL,
        idempotency_key TEXT,
        at              TEXT NOT NULL,
        received_at     TIMESTAMPTZ NOT NULL DEFAULT now())",
    "CREATE INDEX IF NOT EXISTS popbooth_event_festival ON popbooth_event (festival, gseq)",
    "CREATE SEQUENCE IF NOT EXISTS popbooth_version",
    "CREATE TABLE IF NOT EXISTS popbooth_item (
        festival        TEXT NOT NULL,
        id              TEXT NOT NULL,
        sku             TEXT NOT NULL,
        item            TEXT NOT NULL,
        version         BIGINT NOT NULL,
        PRIMARY KEY (festival, id),
        UNIQUE (festival, sku))",
    "CREATE TABLE IF NOT EXISTS popbooth_quota (
        festival        TEXT NOT NULL,
        item_id         TEXT NOT NULL,
        booth           TEXT NOT NULL,
        units           BIGINT NOT NULL CHECK (units >= 0),
        version         BIGINT NOT NULL,
        PRIMARY KEY (festival, item_id, booth))",
];

/// An event of the log as pushed and pulled (`seq`: its place in the log it came from).
#[derive(sqlx::FromRow)]
struct LoggedEvent {
    seq: i64,
    id: String,
    booth: String,
    order_id: String,
    kind: String,
    body: String,
    idempotency_key: Option<String>,
    at: String,
}

/// The festival's shared database.
#[derive(Debug, Clone)]
pub struct Shared {
    pool: PgPool,
    festival: String,
}

/// Where a booth syncs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SyncTarget {
    /// `postgres://user:password@host:port/database`
    pub url: String,
    /// The festival's name, the same at every booth.
    pub festival: String,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SyncReport {
    /// This booth's events sent (a re-sent event counts once more here, not in the database).
    pub pushed: u32,
    /// Other booths' events taken in.
    pub pulled: u32,
    /// Catalogue items and quotas that changed here.
    pub catalog_changes: u32,
}

fn pg_err(e: sqlx::Error) -> SalesError {
    SalesError::Shared(e.to_string())
}

impl Shared {
    /// Connects to the shared database at `url` (`postgres://...`) for festival `festival`,
    /// creating its tables the first time. Gives up after `timeout` when it is not reachable.
    pub async fn connect(
        url: &str,
        festival: &str,
        timeout: Duration,
    ) -> Result<Shared, SalesError> {
        if festival.trim().is_empty() {
            return Err(SalesError::Invalid("the festival needs a name".into()));
        }
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(timeout)
            .connect(url)
            .await
            .map_err(pg_err)?;
        let mut tx = pool.begin().await.map_err(pg_err)?;
        // Booths connecting at once must not race to create the same tables.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('popbooth:schema'))")
            .execute(&mut *tx)
            .await
            .map_err(pg_err)?;
        for statement in SCHEMA {
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(Shared {
            pool,
            festival: festival.to_owned(),
        })
    }

    /// Sends `sales`' catalogue: new items are added and changed ones (price, name, stock)
    /// replace the shared ones; the other booths take them at their next sync. A limited
    /// item's stock cannot go under the quotas given out of it.
    pub async fn publish_catalog(&self, sales: &Sales) -> Result<u32, SalesError> {
        let items = sales.items().await?;
        let mut tx = self.pool.begin().await.map_err(pg_err)?;
        self.lock(&mut tx).await?;
        let mut changed = 0;
        for item in &items {
            let given: (Option<i64>,) = sqlx::query_as(
                "SELECT SUM(units)::BIGINT FROM popbooth_quota WHERE festival = $1 AND item_id = $2",
            )
            .bind(&self.festival)
            .bind(&item.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_err)?;
            if let (Some(stock), Some(given)) = (item.item.stock, given.0)
                && stock < given
            {
                return Err(SalesError::Invalid(format!(
                    "{}: a stock of {stock} is less than the {given} given to booths",
                    item.item.sku
                )));
            }
            changed += self.put_item(&mut tx, &item.id, &item.item, true).await?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(changed)
    }

    /// Gives `booth` a quota of `units` of the limited item `sku`. Quotas only grow, and all
    /// booths' quotas together stay within the item's stock.
    pub async fn set_quota(&self, sku: &str, booth: &str, units: i64) -> Result<(), SalesError> {
        let mut tx = self.pool.begin().await.map_err(pg_err)?;
        self.lock(&mut tx).await?;
        let (item_id, item): (String, String) =
            sqlx::query_as("SELECT id, item FROM popbooth_item WHERE festival = $1 AND sku = $2")
                .bind(&self.festival)
                .bind(sku)
                .fetch_optional(&mut *tx)
                .await
                .map_err(pg_err)?
                .ok_or_else(|| {
                    SalesError::Invalid(format!("{sku} is not in the shared catalogue"))
                })?;
        let item: NewItem = serde_json::from_str(&item)
            .map_err(|e| SalesError::Corrupt(format!("shared item {sku}: {e}")))?;
        let Some(stock) = item.stock else {
            return Err(SalesError::Invalid(format!(
                "{sku} is not limited: it needs no quota"
            )));
        };
        let (mine, others): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT SUM(units) FILTER (WHERE booth = $3)::BIGINT,
                    SUM(units) FILTER (WHERE booth <> $3)::BIGINT
             FROM popbooth_quota WHERE festival = $1 AND item_id = $2",
        )
        .bind(&self.festival)
        .bind(&item_id)
        .bind(booth)
        .fetch_one(&mut *tx)
        .await
        .map_err(pg_err)?;
        let (mine, others) = (mine.unwrap_or(0), others.unwrap_or(0));
        if units < mine {
            return Err(SalesError::Invalid(format!(
                "{booth} has a quota of {mine} {sku}: quotas only grow, since a booth may have \
                 sold its units while offline"
            )));
        }
        if others + units > stock {
            return Err(SalesError::Invalid(format!(
                "{sku}: {units} for {booth} and {others} for the other booths is more than the \
                 stock of {stock}"
            )));
        }
        sqlx::query(
            "INSERT INTO popbooth_quota (festival, item_id, booth, units, version)
             VALUES ($1, $2, $3, $4, nextval('popbooth_version'))
             ON CONFLICT (festival, item_id, booth)
             DO UPDATE SET units = excluded.units, version = excluded.version",
        )
        .bind(&self.festival)
        .bind(&item_id)
        .bind(booth)
        .bind(units)
        .execute(&mut *tx)
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        Ok(())
    }

    /// The festival's events in the shared database, and how many orders they place.
    pub async fn counts(&self) -> Result<(i64, i64), SalesError> {
        sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE kind = 'order_placed')
             FROM popbooth_event WHERE festival = $1",
        )
        .bind(&self.festival)
        .fetch_one(&self.pool)
        .await
        .map_err(pg_err)
    }

    async fn lock(&self, tx: &mut Transaction<'_, sqlx::Postgres>) -> Result<(), SalesError> {
        sqlx::query(LOCK)
            .bind(&self.festival)
            .execute(&mut **tx)
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    /// Adds item `id` (or, with `replace`, changes it when it differs); 1 if it changed.
    async fn put_item(
        &self,
        tx: &mut Transaction<'_, sqlx::Postgres>,
        id: &str,
        item: &NewItem,
        replace: bool,
    ) -> Result<u32, SalesError> {
        let json = serde_json::to_string(item)
            .map_err(|e| SalesError::Invalid(format!("{}: {e}", item.sku)))?;
        let on_conflict = if replace {
            "DO UPDATE SET sku = excluded.sku, item = excluded.item, version = excluded.version
             WHERE popbooth_item.item IS DISTINCT FROM excluded.item"
        } else {
            "DO NOTHING"
        };
        let done = sqlx::query(&format!(
            "INSERT INTO popbooth_item (festival, id, sku, item, version)
             VALUES ($1, $2, $3, $4, nextval('popbooth_version'))
             ON CONFLICT (festival, id) {on_conflict}"
        ))
        .bind(&self.festival)
        .bind(id)
        .bind(&item.sku)
        .bind(json)
        .execute(&mut **tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => SalesError::Invalid(format!(
                "{} is already in the shared catalogue as another item: take the shared \
                 catalogue (sync) before adding it here",
                item.sku
            )),
            _ => pg_err(e),
        })?;
        Ok(done.rows_affected() as u32)
    }
}

impl Sales {
    /// One sync with the festival's shared database: takes the shared catalogue and this
    /// booth's quotas, shares items that are new here, pushes this booth's events and pulls
    /// the other booths' events, `batch` at a time. `progress` hears each step.
    pub async fn sync(
        &self,
        shared: &Shared,
        batch: u32,
        mut progress: impl FnMut(&SyncReport),
    ) -> Result<SyncReport, SalesError> {
        let batch = batch.max(1);
        let mut report = SyncReport {
            catalog_changes: self.pull_catalog(shared).await?,
            ..SyncReport::default()
        };
        self.share_new_items(shared).await?;
        loop {
            let pushed = self.push_batch(shared, batch).await?;
            if pushed == 0 {
                break;
            }
            report.pushed += pushed;
            progress(&report);
        }
        loop {
            let (seen, pulled, changes) = self.pull_batch(shared, batch).await?;
            if seen == 0 {
                break;
            }
            report.pulled += pulled;
            report.catalog_changes += changes;
            progress(&report);
        }
        Ok(report)
    }

    /// This booth's events not yet sent to the shared database.
    pub async fn unsynced(&self) -> Result<u32, SalesError> {
        let after = self.setting("pushed_seq").await?;
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sales_event WHERE booth = ? AND seq > ?")
                .bind(&self.booth)
                .bind(after)
                .fetch_one(&self.pool)
                .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Sends one batch of this booth's events not yet pushed; how many.
    pub async fn push_batch(&self, shared: &Shared, batch: u32) -> Result<u32, SalesError> {
        let after = self.setting("pushed_seq").await?;
        let events: Vec<LoggedEvent> = sqlx::query_as(
            "SELECT seq, id, booth, order_id, kind, body, idempotency_key, at FROM sales_event
                 WHERE booth = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(&self.booth)
        .bind(after)
        .bind(i64::from(batch))
        .fetch_all(&self.pool)
        .await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };
        let mut tx = shared.pool.begin().await.map_err(pg_err)?;
        shared.lock(&mut tx).await?;
        let mut insert = QueryBuilder::new(
            "INSERT INTO popbooth_event (festival, id, booth, order_id, kind, body,
             idempotency_key, at) ",
        );
        insert.push_values(&events, |mut row, e| {
            row.push_bind(&shared.festival)
                .push_bind(&e.id)
                .push_bind(&e.booth)
                .push_bind(&e.order_id)
                .push_bind(&e.kind)
                .push_bind(&e.body)
                .push_bind(&e.idempotency_key)
                .push_bind(&e.at);
        });
        insert.push(" ON CONFLICT (id) DO NOTHING");
        insert.build().execute(&mut *tx).await.map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        // Only now: a push interrupted before this line is done again, harmlessly.
        self.set_setting("pushed_seq", last).await?;
        Ok(events.len() as u32)
    }

    /// Takes in one batch of shared events; how many were seen, how many were new here, and
    /// the catalogue changes taken with them.
    async fn pull_batch(&self, shared: &Shared, batch: u32) -> Result<(u32, u32, u32), SalesError> {
        let after = self.setting("pulled_gseq").await?;
        let events: Vec<LoggedEvent> = sqlx::query_as(
            "SELECT gseq AS seq, id, booth, order_id, kind, body, idempotency_key, at
             FROM popbooth_event WHERE festival = $1 AND gseq > $2 ORDER BY gseq LIMIT $3",
        )
        .bind(&shared.festival)
        .bind(after)
        .bind(i64::from(batch))
        .fetch_all(&shared.pool)
        .await
        .map_err(pg_err)?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok((0, 0, 0));
        };
        // The items these events sell were shared before them: taking the catalogue after
        // reading the events finds every one.
        let changes = self.pull_catalog(shared).await?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut pulled = 0;
        for LoggedEvent {
            id,
            booth,
            order_id,
            kind,
            body,
            at,
            ..
        } in &events
        {
            if *booth == self.booth {
                continue;
            }
            // Another booth's idempotency keys mean nothing here (and may clash with ours).
            let new = sqlx::query(
                "INSERT OR IGNORE INTO sales_event (id, order_id, kind, body, booth, at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(order_id)
            .bind(kind)
            .bind(body)
            .bind(booth)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if new == 1 {
                apply_event(&mut tx, &self.booth, order_id, kind, body, booth).await?;
                pulled += 1;
            }
        }
        set_setting(&mut tx, "pulled_gseq", last).await?;
        tx.commit().await?;
        Ok((events.len() as u32, pulled, changes))
    }

    /// Takes the shared catalogue's changes and this booth's quotas; how many changed.
    async fn pull_catalog(&self, shared: &Shared) -> Result<u32, SalesError> {
        let after = self.setting("catalog_version").await?;
        let items: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, item, version FROM popbooth_item WHERE festival = $1 AND version > $2",
        )
        .bind(&shared.festival)
        .bind(after)
        .fetch_all(&shared.pool)
        .await
        .map_err(pg_err)?;
        let quotas: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT item_id, units, version FROM popbooth_quota
             WHERE festival = $1 AND booth = $2 AND version > $3",
        )
        .bind(&shared.festival)
        .bind(&self.booth)
        .bind(after)
        .fetch_all(&shared.pool)
        .await
        .map_err(pg_err)?;
        let newest = items
            .iter()
            .map(|i| i.2)
            .chain(quotas.iter().map(|q| q.2))
            .max();
        let Some(newest) = newest else {
            return Ok(0);
        };
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (id, item, _) in &items {
            let item: NewItem = serde_json::from_str(item)
                .map_err(|e| SalesError::Corrupt(format!("shared item {id}: {e}")))?;
            crate::catalog::put_item(&mut tx, id, &item).await?;
            if item.stock.is_some() {
                // A shared limited item is sold from a quota only: until this booth is
                // given one, none (or no more than it sold already).
                insert_quota(&mut tx, id, &self.booth).await?;
            }
        }
        for (item_id, units, _) in &quotas {
            sqlx::query("UPDATE sales_quota SET units = ? WHERE item_id = ?")
                .bind(units)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
        }
        set_setting(&mut tx, "catalog_version", newest).await?;
        tx.commit().await?;
        Ok((items.len() + quotas.len()) as u32)
    }

    /// Shares the items of this booth that the shared catalogue does not have yet (the other
    /// booths need them to read its sales).
    async fn share_new_items(&self, shared: &Shared) -> Result<(), SalesError> {
        let items = self.items().await?;
        let mut tx = shared.pool.begin().await.map_err(pg_err)?;
        shared.lock(&mut tx).await?;
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        let known: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM popbooth_item WHERE festival = $1 AND id = ANY($2)")
                .bind(&shared.festival)
                .bind(&ids)
                .fetch_all(&mut *tx)
                .await
                .map_err(pg_err)?;
        let known: std::collections::HashSet<String> = known.into_iter().map(|(id,)| id).collect();
        for item in items.iter().filter(|i| !known.contains(&i.id)) {
            if item.item.stock.is_some() {
                // From now on booths share this stock. What this booth sold of it already
                // becomes its quota, here first (it sells no more until given a quota), then
                // in the shared database, so that quotas for others leave those units out.
                let sold = self.freeze_quota(&item.id).await?;
                sqlx::query(
                    "INSERT INTO popbooth_quota (festival, item_id, booth, units, version)
                     VALUES ($1, $2, $3, $4, nextval('popbooth_version'))
                     ON CONFLICT (festival, item_id, booth) DO NOTHING",
                )
                .bind(&shared.festival)
                .bind(&item.id)
                .bind(&self.booth)
                .bind(sold)
                .execute(&mut *tx)
                .await
                .map_err(pg_err)?;
            }
            shared
                .put_item(&mut tx, &item.id, &item.item, false)
                .await?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(())
    }

    /// Gives this booth a quota of limited item `item_id` of what it has sold of it (if it
    /// has none yet); that quota.
    async fn freeze_quota(&self, item_id: &str) -> Result<i64, SalesError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        insert_quota(&mut tx, item_id, &self.booth).await?;
        let (units,): (i64,) = sqlx::query_as("SELECT units FROM sales_quota WHERE item_id = ?")
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(units)
    }

    /// Where this booth syncs: the shared database's URL and the festival's name, if set.
    pub async fn sync_target(&self) -> Result<Option<SyncTarget>, SalesError> {
        let url = self.text_setting("sync_url").await?;
        let festival = self.text_setting("festival").await?;
        Ok(url
            .zip(festival)
            .map(|(url, festival)| SyncTarget { url, festival }))
    }

    /// Sets (or, with `None`, clears) where this booth syncs.
    pub async fn set_sync_target(&self, target: Option<&SyncTarget>) -> Result<(), SalesError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sales_setting WHERE key IN ('sync_url', 'festival')")
            .execute(&mut *tx)
            .await?;
        if let Some(t) = target {
            if !t.url.starts_with("postgres://") && !t.url.starts_with("postgresql://") {
                return Err(SalesError::Invalid(format!(
                    "{:?} is not a postgres:// URL",
                    t.url
                )));
            }
            if t.festival.trim().is_empty() {
                return Err(SalesError::Invalid("the festival needs a name".into()));
            }
            for (key, value) in [("sync_url", &t.url), ("festival", &t.festival)] {
                sqlx::query("INSERT INTO sales_setting (key, value) VALUES (?, ?)")
                    .bind(key)
                    .bind(value.trim())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn text_setting(&self, key: &str) -> Result<Option<String>, SalesError> {
        let value: Option<(String,)> =
            sqlx::query_as("SELECT value FROM sales_setting WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(value.map(|(v,)| v))
    }

    async fn setting(&self, key: &str) -> Result<i64, SalesError> {
        self.text_setting(key)
            .await?
            .map(|v| {
                v.parse()
                    .map_err(|_| SalesError::Corrupt(format!("setting {key} = {v:?}")))
            })
            .unwrap_or(Ok(0))
    }

    async fn set_setting(&self, key: &str, value: i64) -> Result<(), SalesError> {
        let mut tx = self.pool.begin().await?;
        set_setting(&mut tx, key, value).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// This booth's quota row of a shared limited item, if it has none: what it sold of the item
/// so far counts against it, and it may sell that many (none more, until given a quota).
async fn insert_quota(
    tx: &mut Transaction<'_, Sqlite>,
    item_id: &str,
    booth: &str,
) -> Result<(), SalesError> {
    sqlx::query(
        "INSERT OR IGNORE INTO sales_quota (item_id, units, sold)
         SELECT ?1, n, n FROM (SELECT COALESCE(SUM(l.qty), 0) AS n FROM sales_line l
         JOIN sales_order o ON o.id = l.order_id
         WHERE l.item_id = ?1 AND o.booth = ?2 AND o.status <> 'void')",
    )
    .bind(item_id)
    .bind(booth)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_setting(
    tx: &mut Transaction<'_, Sqlite>,
    key: &str,
    value: i64,
) -> Result<(), SalesError> {
    sqlx::query(
        "INSERT INTO sales_setting (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
