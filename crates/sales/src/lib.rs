//! Sales: the offline-first point of sale and order log of an event.
//!
//! Owns the catalogue (prints, downloads, bundles, RSVP tiers, passes, limited drops; prices
//! in integer minor units with inclusive or exclusive tax) and orders kept as an append-only
//! log of events in the event database (`sales_event`: time-ordered ids, idempotency keys)
//! with projections for reading, written in the same durable transaction; limited stock that
//! never goes below zero; rebuilding the projections from the log; catalogue import and
//! export (JSON); the KPIs and a formula-safe CSV of the orders. Everything is stored through `popbooth-store`'s database
//! (WAL, `synchronous = FULL`). Refunds and voids are events too. Still to come (the sales
//! issue): the catalogue as CSV, and the outbox that syncs booths through PostgreSQL.

pub mod bench;
mod catalog;
mod error;
mod kpis;
mod orders;
mod pricing;

pub use catalog::{CatalogImport, Coupon, Item, ItemKind, NewItem, Tax};
pub use error::SalesError;
pub use kpis::{Kpis, csv_cell};
pub use orders::{CartLine, Customer, OrderLine, PaymentMethod, Receipt, Sale};
pub use pricing::Discount;

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
}
