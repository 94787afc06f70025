use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{DB_FILE, StoreError};

/// The folders every event has next to its database.
pub const MEDIA_DIRS: [&str; 4] = ["originals", "renders", "recordings", "exports"];

/// `PRAGMA application_id` of an event database: "POPB". It marks the file as ours, so that
/// another program's SQLite file is refused instead of being migrated.
const APPLICATION_ID: u32 = 0x504F_5042;

/// The schema this build knows, from `migrations/`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// What the UI and the CLI show of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct EventInfo {
    pub uuid: String,
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The event folder, absolute.
    pub path: String,
    pub schema_version: u32,
}

/// An open event: its folder and a connection pool on its database. Clones share the pool
/// ([`Event::close`] closes it for all of them).
#[derive(Debug, Clone)]
pub struct Event {
    root: PathBuf,
    pool: SqlitePool,
    info: EventInfo,
}

impl Event {
    /// Creates a new event in `dir`, which must not exist yet or be empty.
    pub async fn create(dir: &Path, name: &str) -> Result<Event, StoreError> {
        Self::create_with(dir, name, &MIGRATOR).await
    }

    /// Opens the event in `dir`, migrating its database to this version's schema (after a
    /// backup copy next to it). Anything that is not an event of this or an older version is
    /// refused with nothing changed.
    pub async fn open(dir: &Path) -> Result<Event, StoreError> {
        Self::open_with(dir, &MIGRATOR).await
    }

    #[doc(hidden)]
    pub async fn create_with(
        dir: &Path,
        name: &str,
        migrator: &Migrator,
    ) -> Result<Event, StoreError> {
        let name = validate_name(name)?;
        let created_dir = match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if dir.join(DB_FILE).exists() {
                    return Err(StoreError::AlreadyExists { path: dir.into() });
                }
                if entries.next().is_some() {
                    return Err(StoreError::FolderNotEmpty { path: dir.into() });
                }
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(StoreError::io("create the folder", dir))?;
                true
            }
            Err(e) => return Err(StoreError::io("read the folder", dir)(e)),
        };
        let result = Self::initialise(dir, &name, migrator).await;
        if result.is_err() {
            // Leave nothing half-made behind: remove what this call created.
            if created_dir {
                let _ = std::fs::remove_dir_all(dir);
            } else {
                for entry in MEDIA_DIRS {
                    let _ = std::fs::remove_dir(dir.join(entry));
                }
                for file in [DB_FILE, "event.db-wal", "event.db-shm"] {
                    let _ = std::fs::remove_file(dir.join(file));
                }
            }
        }
        result
    }

    async fn initialise(dir: &Path, name: &str, migrator: &Migrator) -> Result<Event, StoreError> {
        let root = absolute(dir)?;
        for sub in MEDIA_DIRS {
            let path = root.join(sub);
            std::fs::create_dir_all(&path).map_err(StoreError::io("create the folder", &path))?;
        }
        let db = root.join(DB_FILE);
        // Mark the file as ours while it is still in rollback-journal mode, so that the mark
        // is in the main file itself (not only in the WAL) from the first moment on.
        {
            let opts = SqliteConnectOptions::new()
                .filename(&db)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Delete)
                .pragma("application_id", APPLICATION_ID.to_string());
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
                .map_err(StoreError::db(&db))?;
            // The pragma above only runs on connect; read it back to be sure it took.
            let id: i64 = sqlx::query_scalar("PRAGMA application_id")
                .fetch_one(&pool)
                .await
                .map_err(StoreError::db(&db))?;
            pool.close().await;
            if id != i64::from(APPLICATION_ID) {
                return Err(StoreError::Corrupt {
                    path: db,
                    reason: "could not mark the new database".into(),
                });
            }
        }
        let pool = connect(&db).await?;
        migrator
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: db.clone(),
                source,
            })?;
        let uuid = uuid::Uuid::now_v7().to_string();
        let created_at = now_rfc3339();
        sqlx::query("INSERT INTO event (id, uuid, name, created_at) VALUES (1, ?, ?, ?)")
            .bind(&uuid)
            .bind(name)
            .bind(&created_at)
            .execute(&pool)
            .await
            .map_err(StoreError::db(&db))?;
        let info = load_info(&pool, &root).await?;
        tracing::info!(path = %root.display(), "created event");
        Ok(Event { root, pool, info })
    }

    #[doc(hidden)]
    pub async fn open_with(dir: &Path, migrator: &Migrator) -> Result<Event, StoreError> {
        if !dir.exists() {
            return Err(StoreError::NotFound { path: dir.into() });
        }
        if !dir.is_dir() {
            return Err(StoreError::NotAnEvent {
                path: dir.into(),
                reason: "it is a file, not a folder".into(),
            });
        }
        let root = absolute(dir)?;
        let db = root.join(DB_FILE);
        if !db.is_file() {
            return Err(StoreError::NotAnEvent {
                path: root,
                reason: format!("it has no {DB_FILE}"),
            });
        }
        check_header(&db)?;
        let pool = connect(&db).await?;
        match Self::check_and_migrate(&root, &db, &pool, migrator).await {
            Ok(info) => {
                for sub in MEDIA_DIRS {
                    let path = root.join(sub);
                    std::fs::create_dir_all(&path)
                        .map_err(StoreError::io("create the folder", &path))?;
                }
                tracing::info!(path = %root.display(), "opened event");
                Ok(Event { root, pool, info })
            }
            Err(e) => {
                pool.close().await;
                Err(e)
            }
        }
    }

    async fn check_and_migrate(
        root: &Path,
        db: &Path,
        pool: &SqlitePool,
        migrator: &Migrator,
    ) -> Result<EventInfo, StoreError> {
        let check: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(db))?;
        if check.first().map(String::as_str) != Some("ok") {
            return Err(StoreError::Corrupt {
                path: db.into(),
                reason: check.join("; "),
            });
        }
        let has_table: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(pool)
        .await
        .map_err(StoreError::db(db))?;
        if has_table.is_none() {
            return Err(StoreError::Corrupt {
                path: db.into(),
                reason: "it has no schema (was its creation interrupted?)".into(),
            });
        }
        let applied: Vec<(i64, bool)> =
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(db))?;
        let supported = latest_version(migrator);
        if let Some(found) = applied
            .iter()
            .map(|(v, _)| *v)
            .max()
            .filter(|v| *v > supported)
        {
            return Err(StoreError::NewerVersion {
                path: db.into(),
                found,
                supported,
            });
        }
        let pending = migrator
            .iter()
            .any(|m| !applied.iter().any(|(v, ok)| *v == m.version && *ok));
        if pending {
            let current = applied.iter().map(|(v, _)| *v).max().unwrap_or(0);
            let backup = db.with_file_name(format!("{DB_FILE}.before-schema-{supported}.bak"));
            tracing::info!(backup = %backup.display(), from = current, to = supported, "migrating event database");
            let _ = std::fs::remove_file(&backup);
            sqlx::query("VACUUM INTO ?")
                .bind(backup.to_string_lossy().into_owned())
                .execute(pool)
                .await
                .map_err(StoreError::db(db))?;
            migrator
                .run(pool)
                .await
                .map_err(|source| StoreError::Migrate {
                    path: db.into(),
                    source,
                })?;
        }
        load_info(pool, root).await
    }

    pub fn info(&self) -> &EventInfo {
        &self.info
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    pub fn originals_dir(&self) -> PathBuf {
        self.root.join("originals")
    }

    pub fn renders_dir(&self) -> PathBuf {
        self.root.join("renders")
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.root.join("recordings")
    }

    pub fn exports_dir(&self) -> PathBuf {
        self.root.join("exports")
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the database after checkpointing the WAL into the main file, so that the
    /// folder can be copied as it is.
    pub async fn close(self) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "could not checkpoint the event database on close");
        }
        self.pool.close().await;
    }
}

/// The newest schema version this build can write.
pub fn latest_version(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn connect(db: &Path) -> Result<SqlitePool, StoreError> {
    let opts = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed transaction survives a power cut, not only a crash.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .map_err(StoreError::db(db))
}

async fn load_info(pool: &SqlitePool, root: &Path) -> Result<EventInfo, StoreError> {
    let db = root.join(DB_FILE);
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT uuid, name, created_at FROM event WHERE id = 1")
            .fetch_optional(pool)
            .await
            .map_err(StoreError::db(&db))?;
    let Some((uuid, name, created_at)) = row else {
        return Err(StoreError::Corrupt {
            path: db,
            reason: "the event row is missing".into(),
        });
    };
    let version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(&db))?;
    Ok(EventInfo {
        uuid,
        name,
        created_at,
        path: root.to_string_lossy().into_owned(),
        schema_version: u32::try_from(version).unwrap_or(u32::MAX),
    })
}

/// Reads the 100-byte SQLite header without opening the database, so that a file that is
/// not ours is refused before SQLite could write anything to it.
fn check_header(db: &Path) -> Result<(), StoreError> {
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(db).map_err(StoreError::io("read", db))?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(StoreError::io("read", db)(e)),
        }
    }
    if read == 0 {
        return Err(StoreError::Corrupt {
            path: db.into(),
            reason: "the file is empty".into(),
        });
    }
    if read < header.len() || &header[..16] != b"SQLite format 3\0" {
        return Err(StoreError::Corrupt {
            path: db.into(),
            reason: "the file is not an SQLite database".into(),
        });
    }
    let app_id = u32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if app_id != APPLICATION_ID {
        return Err(StoreError::NotAnEvent {
            path: db.into(),
            reason: "its database belongs to another program".into(),
        });
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::InvalidName("the name is empty".into()));
    }
    if name.chars().count() > 200 {
        return Err(StoreError::InvalidName(
            "the name is longer than 200 characters".into(),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidName(
            "the name contains control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

fn absolute(dir: &Path) -> Result<PathBuf, StoreError> {
    std::fs::canonicalize(dir).map_err(StoreError::io("resolve", dir))
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}
