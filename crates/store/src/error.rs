use std::path::PathBuf;

/// Everything that can go wrong creating or opening an event. Each variant names the path so
/// that the message alone tells the user what to look at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} does not exist", path.display())]
    NotFound { path: PathBuf },

    #[error("{} is not a Popbooth event: {reason}", path.display())]
    NotAnEvent { path: PathBuf, reason: String },

    #[error(
        "{} was written by a newer version of Popbooth (schema {found}, this version knows up to {supported}); update Popbooth to open it",
        path.display()
    )]
    NewerVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("the event database {} is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },

    #[error("{} already holds an event; open it instead", path.display())]
    AlreadyExists { path: PathBuf },

    #[error("{} is not empty; choose a new or empty folder for a new event", path.display())]
    FolderNotEmpty { path: PathBuf },

    #[error("invalid event name: {0}")]
    InvalidName(String),

    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("database error in {}: {source}", path.display())]
    Database {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },

    #[error("could not update the schema of {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

impl StoreError {
    /// A stable, machine-readable name for the kind of error (used by the UI and `--json`).
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "not_found",
            StoreError::NotAnEvent { .. } => "not_an_event",
            StoreError::NewerVersion { .. } => "newer_version",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::AlreadyExists { .. } => "already_exists",
            StoreError::FolderNotEmpty { .. } => "folder_not_empty",
            StoreError::InvalidName(_) => "invalid_name",
            StoreError::Io { .. } => "io",
            StoreError::Database { .. } => "database",
            StoreError::Migrate { .. } => "migrate",
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// Maps a database error, recognising SQLite's "not a database" and "corrupt" codes.
    pub(crate) fn db(path: impl Into<PathBuf>) -> impl FnOnce(sqlx::Error) -> Self {
        let path = path.into();
        move |source| {
            // SQLITE_CORRUPT = 11, SQLITE_NOTADB = 26 (primary result codes).
            let corrupt = source
                .as_database_error()
                .and_then(|e| e.code())
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| matches!(c & 0xff, 11 | 26));
            if corrupt {
                StoreError::Corrupt {
                    path,
                    reason: source.to_string(),
                }
            } else {
                StoreError::Database { path, source }
            }
        }
    }
}
