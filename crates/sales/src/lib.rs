//! Sales: the offline-first point of sale and order log of an event.
//!
//! Owns the catalogue (prints, downloads, bundles, RSVP tiers, passes, limited drops; prices
//! in integer minor units with inclusive or exclusive tax; coupon codes; JSON and CSV import
//! and export) and orders kept as an append-only log of events in the event database
//! (`sales_event`: time-ordered ids, idempotency keys) with projections for reading, written
//! in the same durable transaction (WAL, `synchronous = FULL`): sales, payments in parts,
//! refunds and voids; limited stock that never goes below zero; rebuilding the projections
//! from the log; the KPIs and a formula-safe CSV of the orders; and the sync of several
//! booths through a shared PostgreSQL (outbox, pull, per-booth quotas).

// Money and counts are i64 in Rust and plain numbers in the UI (`#[specta(type = i32)]`):
// amounts stay far below 2^53, where a JS number is exact.

pub mod bench;
mod catalog;
mod catalog_csv;
mod error;
mod kpis;
mod orders;
mod pricing;
mod sync;
mod till;

pub use catalog::{CatalogImport, Coupon, Item, ItemKind, NewItem, Tax};
pub use error::SalesError;
pub use kpis::{Kpis, RevenuePoint, TopItem, csv_cell};
pub use orders::{
    CartLine, Customer, OrderLine, OrderLink, OrderSummary, PaymentMethod, Receipt, Sale,
};
pub use pricing::Discount;
pub use sync::{Shared, SyncReport, SyncTarget};
pub use till::Till;

use sqlx::SqlitePool;

/// The sales of one open event, as seen from one booth.
#[derive(Debug, Clone)]
pub struct Sales {
    pool: SqlitePool,
    booth: String,
}

impl Sales {
    /// Sales of `event`, recorded as made at `booth` (a name unique at the festival).
    pub fn new(event: &popbooth_store::Event, booth: &str) -> Sales {
        Sales {
            pool: event.pool().clone(),
            booth: booth.to_owned(),
        }
    }

    /// Sales of `event` at the booth named in it; the first time, the booth is named after
    /// this computer with a short random suffix (so two laptops called alike stay apart),
    /// and the name is kept.
    pub async fn open(event: &popbooth_store::Event) -> Result<Sales, SalesError> {
        let pool = event.pool().clone();
        let kept = || {
            sqlx::query_as::<_, (String,)>("SELECT value FROM sales_setting WHERE key = 'booth'")
                .fetch_optional(&pool)
        };
        // Read first: the name is written once, not on every command.
        if let Some((booth,)) = kept().await? {
            return Ok(Sales { pool, booth });
        }
        let name = std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "booth".into());
        let suffix = &uuid::Uuid::now_v7().simple().to_string()[28..];
        sqlx::query("INSERT OR IGNORE INTO sales_setting (key, value) VALUES ('booth', ?)")
            .bind(format!("{name}-{suffix}"))
            .execute(&pool)
            .await?;
        let (booth,) = kept()
            .await?
            .ok_or_else(|| SalesError::Corrupt("the booth's name was not kept".into()))?;
        Ok(Sales { pool, booth })
    }

    /// This booth's name, as its events carry it.
    pub fn booth(&self) -> &str {
        &self.booth
    }
}
