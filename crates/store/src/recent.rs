use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{EventInfo, StoreError};

/// How many events the "open recent" list keeps.
const MAX_RECENT: usize = 12;

/// One entry of the "open recent" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct RecentEvent {
    pub name: String,
    pub path: String,
    /// RFC 3339, UTC: when it was last opened.
    pub opened_at: String,
    /// False when the folder is gone (unplugged drive, moved); the UI greys it out.
    /// Worked out again on every [`RecentEvents::list`], whatever the file says.
    #[serde(default)]
    pub available: bool,
}

/// The recently opened events, newest first, kept as a small JSON file (in the app's config
/// folder) that is replaced atomically on every change.
#[derive(Debug, Clone)]
pub struct RecentEvents {
    file: PathBuf,
}

impl RecentEvents {
    pub fn new(file: impl Into<PathBuf>) -> Self {
        RecentEvents { file: file.into() }
    }

    /// The list, newest first. A missing or unreadable file is an empty list: losing the
    /// recent list must never keep the app from starting.
    pub fn list(&self) -> Vec<RecentEvent> {
        let mut list: Vec<RecentEvent> = std::fs::read(&self.file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        for entry in &mut list {
            entry.available = Path::new(&entry.path).join(crate::DB_FILE).is_file();
        }
        list
    }

    /// Puts `event` at the top of the list.
    pub fn touch(&self, event: &EventInfo) -> Result<Vec<RecentEvent>, StoreError> {
        let mut list = self.list();
        list.retain(|e| e.path != event.path);
        list.insert(
            0,
            RecentEvent {
                name: event.name.clone(),
                path: event.path.clone(),
                opened_at: crate::event::now_rfc3339(),
                available: true,
            },
        );
        list.truncate(MAX_RECENT);
        self.save(&list)?;
        Ok(list)
    }

    /// Removes `path` from the list (the event itself is not touched).
    pub fn forget(&self, path: &str) -> Result<Vec<RecentEvent>, StoreError> {
        let mut list = self.list();
        list.retain(|e| e.path != path);
        self.save(&list)?;
        Ok(list)
    }

    fn save(&self, list: &[RecentEvent]) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(list).map_err(|e| StoreError::Io {
            action: "write",
            path: self.file.clone(),
            source: std::io::Error::other(e),
        })?;
        crate::write_atomically(&self.file, &bytes)
    }
}
