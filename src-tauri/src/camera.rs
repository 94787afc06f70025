//! Glue for the Booth's camera: `popbooth_capture::CameraHub` (one thread that owns the
//! camera and feeds the live view, the recording and stills) turned into typed events for the
//! UI, with the recording's status kept for the screen.
//!
//! Live view frames reach the webview through the `popbooth-live` URI scheme: a request for
//! `frame?after=N` is answered with the first frame newer than N (a long poll), so the
//! webview gets binary JPEGs without JSON or base64. State changes go out as typed events.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use popbooth_capture::{
    CameraHub, CameraState, HubEvent, RecordEvent, RecordReport, RecordSettings, RgbFrame, Source,
};
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri::http::{Request, Response};
use tauri_specta::Event as _;

use crate::AppError;

/// The URI scheme the webview fetches frames from.
pub const SCHEME: &str = "popbooth-live";

/// Longest a request waits for a new frame before it is answered "no content".
const WAIT: Duration = Duration::from_secs(2);

/// What the camera is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CameraPhase {
    Off,
    Live,
    Reconnecting,
}

/// Sent whenever the camera's state changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct CameraStatus {
    pub phase: CameraPhase,
    /// The `--source` text of the camera, e.g. `test`, `v4l2:/dev/video0`.
    pub source: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Reconnecting: the attempt (1 for the first), the wait before it and why.
    pub attempt: u32,
    pub retry_in_ms: u32,
    pub reason: Option<String>,
    /// The microphone recordings take their sound from (`alsa:hw:1,0`); None: the camera's
    /// own sound (the test camera's tone).
    pub mic: Option<String>,
    /// Why the microphone could not be opened (the camera runs on without it).
    pub mic_error: Option<String>,
}

impl CameraStatus {
    fn off(source: &Source, mic: Option<&str>) -> CameraStatus {
        CameraStatus {
            phase: CameraPhase::Off,
            source: source.to_string(),
            mic: mic.map(str::to_owned),
            mic_error: None,
            width: 0,
            height: 0,
            fps: 0,
            attempt: 0,
            retry_in_ms: 0,
            reason: None,
        }
    }
}

/// What a recording is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RecordingPhase {
    Recording,
    Stopped,
    Failed,
}

/// Sent when a recording starts, about once a second while it runs, and when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct RecordingStatus {
    pub phase: RecordingPhase,
    /// The file being written (the newest segment).
    pub file: String,
    pub encoder: String,
    /// The recording's frame rate: `frames / fps` is its length.
    pub fps: u32,
    pub frames: u32,
    pub dropped: u32,
    pub audio: bool,
    /// Said once, plainly, when the encoder failed over to software.
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The hub and what the screen is shown of it.
#[derive(Debug)]
pub struct Camera {
    hub: CameraHub,
    status: Arc<Mutex<CameraStatus>>,
    recording: Arc<Mutex<Option<RecordingStatus>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for Camera {
    fn default() -> Self {
        Camera {
            status: Arc::new(Mutex::new(CameraStatus::off(&Source::default(), None))),
            hub: CameraHub::default(),
            recording: Arc::default(),
        }
    }
}

impl Camera {
    pub fn status(&self) -> CameraStatus {
        lock(&self.status).clone()
    }

    pub fn source(&self) -> Source {
        self.hub.source()
    }

    /// The microphone chosen for the sound, if any.
    pub fn mic(&self) -> Option<String> {
        self.hub.mic()
    }

    pub fn is_running(&self) -> bool {
        self.hub.is_running()
    }

    /// Switches to `source` with sound from `mic` (None: the source's own); a running camera
    /// is restarted on it (a recording is ended).
    pub fn select(
        &self,
        app: &AppHandle,
        source: Source,
        mic: Option<String>,
    ) -> Result<(), AppError> {
        let was_running = self.is_running();
        self.stop(app);
        self.hub.select(source, mic);
        if was_running {
            self.start(app)
        } else {
            self.set_off(app);
            Ok(())
        }
    }

    fn set_off(&self, app: &AppHandle) {
        set_status(
            &self.status,
            app,
            CameraStatus::off(&self.source(), self.mic().as_deref()),
        );
    }

    /// Starts the camera (once; a second start does nothing).
    pub fn start(&self, app: &AppHandle) -> Result<(), AppError> {
        let (status, recording, app) = (self.status.clone(), self.recording.clone(), app.clone());
        let (source, mic) = (self.source(), self.mic());
        Ok(self.hub.start(move |event| match event {
            HubEvent::State { state, mic_error } => {
                let off = CameraStatus::off(&source, mic.as_deref());
                let next = match state {
                    CameraState::Live(format) => CameraStatus {
                        phase: CameraPhase::Live,
                        width: format.width,
                        height: format.height,
                        fps: format.fps,
                        mic_error,
                        ..off
                    },
                    CameraState::Reconnecting {
                        attempt,
                        retry_in,
                        reason,
                    } => CameraStatus {
                        phase: CameraPhase::Reconnecting,
                        attempt,
                        retry_in_ms: retry_in.as_millis().try_into().unwrap_or(u32::MAX),
                        reason: Some(reason),
                        ..off
                    },
                };
                set_status(&status, &app, next);
            }
            HubEvent::RecordingFailed(error) => {
                if let Some(mut s) = lock(&recording).take() {
                    s.phase = RecordingPhase::Failed;
                    s.error = Some(error);
                    emit(&app, s);
                }
            }
        })?)
    }

    /// Stops the camera and waits for it; a recording in progress is finished first.
    pub fn stop(&self, app: &AppHandle) {
        let finished = self.hub.stop();
        self.finished(app, finished);
        self.set_off(app);
    }

    /// The next frame of the running camera as RGB (for stills), or None when the camera is
    /// not running or gives no frame within three seconds.
    pub async fn grab(&self) -> Option<RgbFrame> {
        self.hub.grab().await
    }

    /// Starts recording the running camera with `settings` (its `source` is ignored: the
    /// frames are the camera's). Blocking: opens the encoders.
    pub fn start_recording(
        &self,
        app: &AppHandle,
        settings: &RecordSettings,
    ) -> Result<RecordingStatus, AppError> {
        let first = RecordingStatus {
            phase: RecordingPhase::Recording,
            file: settings.out.to_string_lossy().into_owned(),
            encoder: settings.encoder.clone(),
            fps: self.hub.format().map_or(0, |f| f.fps),
            frames: 0,
            dropped: 0,
            audio: false,
            notice: None,
            error: None,
        };
        *lock(&self.recording) = Some(first);
        let (recording, events_app) = (self.recording.clone(), app.clone());
        let started = self.hub.start_recording(settings, move |event| {
            let mut slot = lock(&recording);
            let Some(s) = slot.as_mut() else { return };
            match event {
                RecordEvent::Started {
                    file,
                    encoder,
                    audio,
                    fps,
                    ..
                } => {
                    s.file = file.to_string_lossy().into_owned();
                    s.encoder = encoder;
                    s.audio = audio;
                    s.fps = fps;
                }
                RecordEvent::Progress { frames, dropped } => {
                    s.frames = frames.try_into().unwrap_or(u32::MAX);
                    s.dropped = dropped.try_into().unwrap_or(u32::MAX);
                }
                RecordEvent::FellBack { from, to, .. } => {
                    s.notice = Some(format!(
                        "The video encoder {from} stopped working, so recording continues with \
                         the software encoder ({to}) in a new file next to the first. Nothing \
                         recorded so far is lost."
                    ));
                }
            }
            emit(&events_app, s.clone());
        });
        if let Err(e) = started {
            *lock(&self.recording) = None;
            return Err(e.into());
        }
        self.recording()
            .ok_or_else(|| AppError::new("capture", "the recording ended at once"))
    }

    /// The recording in progress, if any.
    pub fn recording(&self) -> Option<RecordingStatus> {
        lock(&self.recording).clone()
    }

    /// Ends the recording in progress (None when there is none).
    pub fn stop_recording(&self, app: &AppHandle) -> Option<RecordingStatus> {
        let finished = self.hub.stop_recording();
        self.finished(app, finished)
    }

    /// Reports how a recording ended.
    fn finished(
        &self,
        app: &AppHandle,
        result: Option<Result<RecordReport, popbooth_capture::CaptureError>>,
    ) -> Option<RecordingStatus> {
        let mut status = lock(&self.recording).take()?;
        match result? {
            Ok(report) => {
                status.phase = RecordingPhase::Stopped;
                status.frames = report.frames.try_into().unwrap_or(u32::MAX);
                status.dropped = report.dropped.try_into().unwrap_or(u32::MAX);
            }
            Err(e) => {
                status.phase = RecordingPhase::Failed;
                status.error = Some(e.to_string());
            }
        }
        emit(app, status.clone());
        Some(status)
    }

    /// Answers one `popbooth-live://localhost/frame?after=N` request.
    pub async fn respond(&self, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let after: u64 = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut rx = self.hub.frames();
        let waited = tokio::time::timeout(
            WAIT,
            rx.wait_for(|f| f.as_ref().is_some_and(|f| f.seq > after)),
        )
        .await;
        let frame = match waited {
            Ok(Ok(frame)) => frame.clone(),
            _ => None,
        };
        let builder = Response::builder()
            .header("Access-Control-Allow-Origin", "*")
            .header("Access-Control-Expose-Headers", "X-Seq, X-Captured-At")
            .header("Cache-Control", "no-store");
        let response = match frame {
            Some(f) => builder
                .status(200)
                .header("Content-Type", "image/jpeg")
                .header("X-Seq", f.seq.to_string())
                .header("X-Captured-At", f.captured_at_ms.to_string())
                .body(f.jpeg.clone()),
            None => builder.status(204).body(Vec::new()),
        };
        response.unwrap_or_else(|_| Response::new(Vec::new()))
    }
}

fn emit(app: &AppHandle, status: RecordingStatus) {
    if let Err(e) = status.emit(app) {
        tracing::warn!(error = %e, "could not send the recording status");
    }
}

fn set_status(slot: &Mutex<CameraStatus>, app: &AppHandle, status: CameraStatus) {
    *lock(slot) = status.clone();
    if let Err(e) = status.emit(app) {
        tracing::warn!(error = %e, "could not send the camera status");
    }
}
