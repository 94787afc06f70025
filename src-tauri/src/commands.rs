//! The Tauri commands: one-line adapters from the UI to [`Shell`].

use tauri::State;

use crate::{AppError, AppState, Shell};
use popbooth_store::{EventInfo, RecentEvent};

/// Everything the UI needs to draw its first screen.
#[tauri::command]
#[specta::specta]
pub async fn app_state(shell: State<'_, Shell>) -> Result<AppState, AppError> {
    Ok(shell.snapshot().await)
}

/// Creates an event in `dir` (new or empty) and makes it the open event.
#[tauri::command]
#[specta::specta]
pub async fn create_event(
    shell: State<'_, Shell>,
    dir: String,
    name: String,
) -> Result<EventInfo, AppError> {
    shell.create(dir.as_ref(), &name).await
}

/// Opens the event in `dir` and makes it the open event.
#[tauri::command]
#[specta::specta]
pub async fn open_event(shell: State<'_, Shell>, dir: String) -> Result<EventInfo, AppError> {
    shell.open(dir.as_ref()).await
}

/// Closes the open event (the UI returns to the picker).
#[tauri::command]
#[specta::specta]
pub async fn close_event(shell: State<'_, Shell>) -> Result<(), AppError> {
    shell.close().await;
    Ok(())
}

/// Removes an entry from the recent list; the event's folder is not touched.
#[tauri::command]
#[specta::specta]
pub async fn forget_recent(
    shell: State<'_, Shell>,
    path: String,
) -> Result<Vec<RecentEvent>, AppError> {
    Ok(shell.recent().forget(&path)?)
}
