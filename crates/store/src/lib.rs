//! The event on disk. An event is a folder holding `event.db` (SQLite in WAL mode, schema
//! managed by the sqlx migrations in `migrations/`) and the media folders `originals/`
//! (written once, never changed), `renders/`, `recordings/` and `exports/`.
//!
//! This crate owns opening, creating and migrating that folder, and refusing anything that is
//! not one of ours without touching it: a folder with no database, another program's SQLite
//! file, a damaged file, or a database written by a newer Popbooth. It also keeps the list of
//! recently opened events. It never prints and never knows about the GUI.

mod error;
mod event;
mod fsutil;
mod recent;
mod recipes;
mod shots;

pub use error::StoreError;
pub use event::{Event, EventInfo, MEDIA_DIRS};
pub use fsutil::write_atomically;
pub use recent::{RecentEvent, RecentEvents};
pub use recipes::{RecipeRow, RenderRow};
pub use shots::{NewShot, OriginalFile, SessionKind, Shot, content_hash};

/// The file name of the event database inside an event folder.
pub const DB_FILE: &str = "event.db";

/// The version of the SQLite library linked into Popbooth, e.g. `3.46.0`.
pub async fn sqlite_version() -> Result<String, StoreError> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .map_err(|source| StoreError::Database {
            path: ":memory:".into(),
            source,
        })?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut conn)
        .await
        .map_err(|source| StoreError::Database {
            path: ":memory:".into(),
            source,
        })?;
    Ok(version)
}
