//! The Tauri commands: one-line adapters from the UI to [`Shell`].

use base64::Engine;
use popbooth_capture::TestCamera;
use popbooth_store::{EventInfo, RecentEvent, Shot};
use serde::Serialize;
use tauri::State;

use crate::{AppError, AppState, Shell};

/// A still from the camera the Booth uses, to show that capture works.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraCheck {
    /// What the picture comes from, for people: "Built-in test camera".
    pub source: String,
    /// A `data:image/jpeg;base64,...` URL, at most 640 px wide.
    pub image: String,
    /// The full size the source delivers.
    pub width: u32,
    pub height: u32,
    /// Video devices the system shows (e.g. `/dev/video0`).
    pub devices: Vec<String>,
}

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

/// A shot just saved into the event, with a preview for the screen.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PhotoTaken {
    pub shot: Shot,
    /// A `data:image/jpeg;base64,...` URL, at most 480 px on its longer side.
    pub preview: String,
}

/// Takes `count` photos `interval_ms` apart into the open event (the countdown before it
/// is the UI's).
#[tauri::command]
#[specta::specta]
pub async fn take_photos(
    shell: State<'_, Shell>,
    count: u32,
    interval_ms: u32,
) -> Result<Vec<PhotoTaken>, AppError> {
    let taken = shell
        .shoot(count, std::time::Duration::from_millis(interval_ms.into()))
        .await?;
    Ok(taken
        .into_iter()
        .map(|t| PhotoTaken {
            shot: t.shot,
            preview: jpeg_data_url(&t.preview),
        })
        .collect())
}

fn jpeg_data_url(jpeg: &[u8]) -> String {
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    )
}

/// Grabs one frame from the built-in test camera (FFmpeg, off the UI thread).
#[tauri::command]
#[specta::specta]
pub async fn camera_check() -> Result<CameraCheck, AppError> {
    tauri::async_runtime::spawn_blocking(|| {
        let camera = TestCamera::default();
        let frame = popbooth_capture::grab_frame(&camera)?;
        let jpeg = frame.to_jpeg(640, 85)?;
        Ok(CameraCheck {
            source: "Built-in test camera".into(),
            image: jpeg_data_url(&jpeg),
            width: frame.width,
            height: frame.height,
            devices: popbooth_capture::video_devices(),
        })
    })
    .await
    .map_err(|e| AppError {
        kind: "app".into(),
        message: format!("the camera check stopped: {e}"),
    })?
}

/// Starts the live view; frames are then fetched from `popbooth-live://localhost/frame`.
#[tauri::command]
#[specta::specta]
pub fn live_view_start(live: State<'_, crate::live::Live>) -> Result<(), AppError> {
    live.start().map_err(|e| AppError {
        kind: "capture".into(),
        message: format!("the live view could not start: {e}"),
    })
}

/// Stops the live view (the camera is released).
#[tauri::command]
#[specta::specta]
pub fn live_view_stop(live: State<'_, crate::live::Live>) {
    live.stop();
}
