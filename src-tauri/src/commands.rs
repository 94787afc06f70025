//! The Tauri commands: one-line adapters from the UI to [`Shell`].

use base64::Engine;
use popbooth_capture::{DeviceInfo, EncoderCache, EncoderReport, Source};
use popbooth_store::{EventInfo, RecentEvent, Shot};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::camera::{Camera, CameraStatus, RecordingStatus};
use crate::hotfolder::HotFolder;
use crate::{AppError, AppState, Shell};

/// A still from the camera the Booth uses, to show that capture works.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraCheck {
    /// What the picture comes from, for people: "Built-in test camera", `v4l2:/dev/video0`.
    pub source: String,
    /// A `data:image/jpeg;base64,...` URL, at most 640 px wide.
    pub image: String,
    /// The full size the source delivers.
    pub width: u32,
    pub height: u32,
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

/// Closes the open event (the UI returns to the picker); its recording and hot folder stop
/// first.
#[tauri::command]
#[specta::specta]
pub async fn close_event(
    app: AppHandle,
    shell: State<'_, Shell>,
    hot: State<'_, HotFolder>,
) -> Result<(), AppError> {
    hot.stop().await;
    recording_stop(app).await?;
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
    camera: State<'_, Camera>,
    count: u32,
    interval_ms: u32,
) -> Result<Vec<PhotoTaken>, AppError> {
    let taken = shell
        .shoot(
            &camera,
            count,
            std::time::Duration::from_millis(interval_ms.into()),
        )
        .await?;
    Ok(taken
        .into_iter()
        .map(|t| PhotoTaken {
            shot: t.shot,
            preview: jpeg_data_url(&t.preview),
        })
        .collect())
}

pub(crate) fn jpeg_data_url(jpeg: &[u8]) -> String {
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    )
}

/// Grabs one frame from the Booth's camera: from the running camera when it is on, else
/// from the source opened for the purpose (FFmpeg, off the UI thread).
#[tauri::command]
#[specta::specta]
pub async fn camera_check(camera: State<'_, Camera>) -> Result<CameraCheck, AppError> {
    let source = camera.source();
    let frame = match camera.grab().await {
        Some(frame) => frame,
        None => {
            let source = source.clone();
            tauri::async_runtime::spawn_blocking(move || popbooth_capture::grab_frame(&source))
                .await
                .map_err(AppError::thread)??
        }
    };
    let jpeg = tauri::async_runtime::spawn_blocking(move || {
        frame
            .to_jpeg(640, 85)
            .map(|jpeg| (jpeg, frame.width, frame.height))
    })
    .await
    .map_err(AppError::thread)??;
    Ok(CameraCheck {
        source: match &source {
            Source::Test(_) => "Built-in test camera".into(),
            Source::Device(_) => source.label(),
        },
        image: jpeg_data_url(&jpeg.0),
        width: jpeg.1,
        height: jpeg.2,
    })
}

/// The cameras the system shows and which one the Booth uses.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CameraList {
    pub cameras: Vec<DeviceInfo>,
    /// The `source` of the camera in use (`test` for the built-in test camera).
    pub selected: String,
    /// Why the system's cameras could not be listed, if they could not.
    pub error: Option<String>,
    /// Microphones that are devices of their own (ALSA on Linux, dshow, avfoundation).
    pub microphones: Vec<DeviceInfo>,
    /// The microphone in use; None: the camera's own sound.
    pub mic: Option<String>,
}

/// Lists the cameras and microphones (through libavdevice: v4l2 and alsa, avfoundation,
/// dshow).
#[tauri::command]
#[specta::specta]
pub async fn list_cameras(camera: State<'_, Camera>) -> Result<CameraList, AppError> {
    let (cameras, mics) = tauri::async_runtime::spawn_blocking(|| {
        (
            popbooth_capture::list_devices(),
            popbooth_capture::list_microphones(),
        )
    })
    .await
    .map_err(AppError::thread)?;
    let (cameras, error) = match cameras {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Ok(CameraList {
        cameras,
        selected: camera.source().to_string(),
        error,
        // A microphone list that cannot be had leaves the camera's own sound.
        microphones: mics.unwrap_or_default(),
        mic: camera.mic(),
    })
}

/// Makes `source` (`test` or one of `list_cameras`) the Booth's camera, with sound from
/// `mic` (one of `list_cameras`' microphones; None: the camera's own).
#[tauri::command]
#[specta::specta]
pub async fn select_camera(
    app: AppHandle,
    camera: State<'_, Camera>,
    source: String,
    mic: Option<String>,
) -> Result<CameraStatus, AppError> {
    let source: Source = source.parse()?;
    // Restarting the camera joins its thread: off the async threads.
    let app2 = app.clone();
    tauri::async_runtime::spawn_blocking(move || app2.state::<Camera>().select(&app2, source, mic))
        .await
        .map_err(AppError::thread)??;
    Ok(camera.status())
}

/// What the camera is doing now (changes come as `CameraStatus` events).
#[tauri::command]
#[specta::specta]
pub fn camera_status(camera: State<'_, Camera>) -> CameraStatus {
    camera.status()
}

/// Starts the camera and its live view; frames are then fetched from
/// `popbooth-live://localhost/frame`.
#[tauri::command]
#[specta::specta]
pub fn live_view_start(app: AppHandle, camera: State<'_, Camera>) -> Result<(), AppError> {
    camera.start(&app)
}

/// Stops the camera (a recording in progress is finished; the device is released).
#[tauri::command]
#[specta::specta]
pub async fn live_view_stop(app: AppHandle, camera: State<'_, Camera>) -> Result<(), AppError> {
    // Joining the camera thread and finishing a recording block: off the async threads.
    let app2 = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        app2.state::<Camera>().stop(&app2);
    })
    .await
    .map_err(AppError::thread)?;
    let _ = camera;
    Ok(())
}

/// Starts recording the camera into the event's `recordings/` folder, with the best encoder
/// that works on this machine (probed once and kept) and libx264 to fall back on.
#[tauri::command]
#[specta::specta]
pub async fn recording_start(
    app: AppHandle,
    shell: State<'_, Shell>,
) -> Result<RecordingStatus, AppError> {
    let event = shell.event("recordings are saved into it").await?;
    let name = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .map_err(|e| AppError::new("app", e.to_string()))?;
    let out = event.root().join("recordings").join(format!("{name}.mp4"));
    let cache_file = encoder_cache_file(&app)?;
    tauri::async_runtime::spawn_blocking(move || {
        let camera = app.state::<Camera>();
        let mut cache = EncoderCache::load(&cache_file)?;
        // The camera's thread feeds the recording, microphone included.
        let settings = cache.record_settings(&cache_file, &camera.source(), &out, None, None)?;
        camera.start_recording(&app, &settings)
    })
    .await
    .map_err(AppError::thread)?
}

/// The recording in progress, if any (changes come as `RecordingStatus` events).
#[tauri::command]
#[specta::specta]
pub fn recording_status(camera: State<'_, Camera>) -> Option<RecordingStatus> {
    camera.recording()
}

/// Ends the recording (its last status; None when none was running).
#[tauri::command]
#[specta::specta]
pub async fn recording_stop(app: AppHandle) -> Result<Option<RecordingStatus>, AppError> {
    tauri::async_runtime::spawn_blocking(move || app.state::<Camera>().stop_recording(&app))
        .await
        .map_err(AppError::thread)
}

/// The encoders and how they fared on this machine.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct EncoderSummary {
    pub machine: String,
    pub encoders: Vec<EncoderReport>,
    /// The encoder recordings use.
    pub records_with: Option<String>,
    /// Why no encoder works, when none does.
    pub problem: Option<String>,
}

/// What the encoder probe found (kept per machine; `refresh` probes again).
#[tauri::command]
#[specta::specta]
pub async fn encoders(app: AppHandle, refresh: bool) -> Result<EncoderSummary, AppError> {
    let file = encoder_cache_file(&app)?;
    let cache = tauri::async_runtime::spawn_blocking(move || {
        if refresh {
            EncoderCache::refresh(&file)
        } else {
            EncoderCache::load(&file)
        }
    })
    .await
    .map_err(AppError::thread)??;
    let chosen = cache.h264();
    Ok(EncoderSummary {
        problem: chosen.as_ref().err().map(ToString::to_string),
        records_with: chosen.ok(),
        machine: cache.machine,
        encoders: cache.encoders,
    })
}

fn encoder_cache_file(app: &AppHandle) -> Result<std::path::PathBuf, AppError> {
    Ok(app.path().app_cache_dir()?.join("encoders.json"))
}

/// Starts importing the files a tethered camera writes into `dir` (activity comes as
/// `HotFolderActivity` events).
#[tauri::command]
#[specta::specta]
pub async fn hot_folder_start(
    app: AppHandle,
    shell: State<'_, Shell>,
    hot: State<'_, HotFolder>,
    dir: String,
) -> Result<(), AppError> {
    let event = shell.event("imported shots are saved into it").await?;
    hot.start(&app, dir.into(), event).await
}

/// Stops the hot folder.
#[tauri::command]
#[specta::specta]
pub async fn hot_folder_stop(hot: State<'_, HotFolder>) -> Result<(), AppError> {
    hot.stop().await;
    Ok(())
}
