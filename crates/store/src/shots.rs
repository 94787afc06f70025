//! Originals and the shots that record them. An original is written once, named by the
//! SHA-256 of its bytes, and never changed: a temporary file is written and synced, then
//! renamed into place, so a crash leaves either the whole file or none.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::fsutil::write_once;
use crate::{Event, StoreError};

/// A file in `originals/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalFile {
    /// Relative to the event folder, e.g. `originals/3a7b...e1.jpg`.
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

/// A single shot or a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Single,
    Burst,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Single => "single",
            SessionKind::Burst => "burst",
        }
    }
}

/// A shot as the event database records it.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type, sqlx::FromRow,
)]
pub struct Shot {
    pub id: String,
    pub session_id: String,
    pub seq: u32,
    pub taken_at: String,
    pub source: String,
    pub width: u32,
    pub height: u32,
    pub file: String,
    pub sha256: String,
    pub bytes: u32,
}

/// What the camera delivered for one shot, already encoded (e.g. JPEG).
#[derive(Debug, Clone, Copy)]
pub struct NewShot<'a> {
    pub source: &'a str,
    pub width: u32,
    pub height: u32,
    /// The file's extension, without the dot.
    pub extension: &'a str,
    pub data: &'a [u8],
}

/// The SHA-256 of `data`, lower-case hex: the name of its original.
pub fn content_hash(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

impl Event {
    /// Writes `data` into `originals/` once (a file with the same content is kept as it is).
    pub fn write_original(&self, data: &[u8], extension: &str) -> Result<OriginalFile, StoreError> {
        let sha256 = content_hash(data);
        let ext: String = extension
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let name = format!("{sha256}.{ext}");
        let dir = self.originals_dir();
        write_once(&dir, &name, data)?;
        Ok(OriginalFile {
            file: format!("originals/{name}"),
            sha256,
            bytes: data.len() as u64,
        })
    }

    /// Starts a capture session of `planned` shots; returns its id.
    pub async fn start_session(
        &self,
        kind: SessionKind,
        planned: u32,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO capture_session (id, started_at, kind, shots_planned) VALUES (?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(crate::event::now_rfc3339())
        .bind(kind.as_str())
        .bind(planned.max(1))
        .execute(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))?;
        Ok(id)
    }

    /// Saves one shot of a session: the original file first (synced), then its row, so a
    /// row never points at a missing file.
    pub async fn add_shot(
        &self,
        session_id: &str,
        seq: u32,
        shot: NewShot<'_>,
    ) -> Result<Shot, StoreError> {
        let original = self.write_original(shot.data, shot.extension)?;
        let row = Shot {
            id: uuid::Uuid::now_v7().to_string(),
            session_id: session_id.to_owned(),
            seq,
            taken_at: crate::event::now_rfc3339(),
            source: shot.source.to_owned(),
            width: shot.width,
            height: shot.height,
            file: original.file,
            sha256: original.sha256,
            bytes: u32::try_from(original.bytes).unwrap_or(u32::MAX),
        };
        sqlx::query(
            "INSERT INTO shot (id, session_id, seq, taken_at, source, width, height, file, sha256, bytes)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.id)
        .bind(&row.session_id)
        .bind(row.seq)
        .bind(&row.taken_at)
        .bind(&row.source)
        .bind(row.width)
        .bind(row.height)
        .bind(&row.file)
        .bind(&row.sha256)
        .bind(row.bytes)
        .execute(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))?;
        Ok(row)
    }

    /// The shot whose original has this SHA-256, if any.
    pub async fn shot_by_sha256(&self, sha256: &str) -> Result<Option<Shot>, StoreError> {
        sqlx::query_as(
            "SELECT id, session_id, seq, taken_at, source, width, height, file, sha256, bytes
             FROM shot WHERE sha256 = ? LIMIT 1",
        )
        .bind(sha256)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))
    }

    /// The shot with this id, if the event has it.
    pub async fn shot(&self, id: &str) -> Result<Option<Shot>, StoreError> {
        sqlx::query_as(
            "SELECT id, session_id, seq, taken_at, source, width, height, file, sha256, bytes
             FROM shot WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))
    }

    /// Every shot, oldest first.
    pub async fn shots(&self) -> Result<Vec<Shot>, StoreError> {
        sqlx::query_as(
            "SELECT id, session_id, seq, taken_at, source, width, height, file, sha256, bytes
             FROM shot ORDER BY taken_at, session_id, seq",
        )
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))
    }
}
