//! Glue for the hot folder: one watcher task (`popbooth_capture::watch_hot_folder`) importing
//! a tethered camera's files into the open event, its activity sent as typed events.

use std::path::PathBuf;
use std::time::Duration;

use popbooth_capture::{HotFolderConfig, HotFolderEvent};
use popbooth_store::{Event, Shot};
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_specta::Event as _;
use tokio::sync::{Mutex, watch};

use crate::AppError;

/// What happened in the hot folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum HotFolderKind {
    Watching,
    Reconnecting,
    Imported,
    Duplicate,
    Rejected,
    Stopped,
}

/// Sent for each thing the watcher does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct HotFolderActivity {
    pub kind: HotFolderKind,
    pub folder: String,
    /// The file concerned (imported, duplicate, rejected).
    pub file: Option<String>,
    /// Why it was rejected, why the folder is unreachable, or why watching ended.
    pub reason: Option<String>,
    pub retry_in_ms: u32,
    pub shot: Option<Shot>,
}

impl HotFolderActivity {
    fn new(kind: HotFolderKind, folder: &str) -> HotFolderActivity {
        HotFolderActivity {
            kind,
            folder: folder.to_owned(),
            file: None,
            reason: None,
            retry_in_ms: 0,
            shot: None,
        }
    }

    fn from_event(folder: &str, event: HotFolderEvent) -> HotFolderActivity {
        let file = |p: PathBuf| Some(p.to_string_lossy().into_owned());
        let base = |kind| HotFolderActivity::new(kind, folder);
        match event {
            HotFolderEvent::Watching => base(HotFolderKind::Watching),
            HotFolderEvent::Reconnecting { retry_in, reason } => HotFolderActivity {
                reason: Some(reason),
                retry_in_ms: retry_in.as_millis().try_into().unwrap_or(u32::MAX),
                ..base(HotFolderKind::Reconnecting)
            },
            HotFolderEvent::Imported { file: f, shot } => HotFolderActivity {
                file: file(f),
                shot: Some(*shot),
                ..base(HotFolderKind::Imported)
            },
            HotFolderEvent::Duplicate { file: f } => HotFolderActivity {
                file: file(f),
                ..base(HotFolderKind::Duplicate)
            },
            HotFolderEvent::Rejected { file: f, reason } => HotFolderActivity {
                file: file(f),
                reason: Some(reason),
                ..base(HotFolderKind::Rejected)
            },
        }
    }
}

type Running = (
    String,
    watch::Sender<bool>,
    tauri::async_runtime::JoinHandle<()>,
);

/// The watcher, if one runs.
#[derive(Debug, Default)]
pub struct HotFolder {
    running: Mutex<Option<Running>>,
}

impl HotFolder {
    /// Watches `dir` for `event` (a watcher already running is stopped first).
    pub async fn start(&self, app: &AppHandle, dir: PathBuf, event: Event) -> Result<(), AppError> {
        if dir.as_os_str().is_empty() {
            return Err(AppError::new("hot_folder", "choose a folder to watch"));
        }
        self.stop().await;
        let folder = dir.to_string_lossy().into_owned();
        let (stop_tx, stop_rx) = watch::channel(false);
        let (task_app, task_folder) = (app.clone(), folder.clone());
        let task = tauri::async_runtime::spawn(async move {
            let send = |a: HotFolderActivity| {
                if let Err(e) = a.emit(&task_app) {
                    tracing::warn!(error = %e, "could not send hot folder activity");
                }
            };
            let config = HotFolderConfig {
                poll: Duration::from_millis(500),
                ..HotFolderConfig::default()
            };
            let ended = popbooth_capture::watch_hot_folder(&dir, &event, config, stop_rx, |e| {
                send(HotFolderActivity::from_event(&task_folder, e))
            })
            .await;
            send(HotFolderActivity {
                reason: ended.err().map(|e| e.to_string()),
                ..HotFolderActivity::new(HotFolderKind::Stopped, &task_folder)
            });
        });
        *self.running.lock().await = Some((folder, stop_tx, task));
        Ok(())
    }

    /// Stops the watcher and waits for it.
    pub async fn stop(&self) {
        if let Some((_, stop, task)) = self.running.lock().await.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
    }
}
