//! Glue for the Booth's camera. One thread owns the camera (`popbooth_capture::run_camera`,
//! which reopens it with backoff when it vanishes) and feeds everything that needs its
//! frames: the live view, the recording in progress, and stills. A device can be opened only
//! once, so nothing else opens it while this runs.
//!
//! Live view frames reach the webview through the `popbooth-live` URI scheme: a request for
//! `frame?after=N` is answered with the first frame newer than N (a long poll), so the
//! webview gets binary JPEGs without JSON or base64. State changes go out as typed events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use popbooth_capture::{
    Backoff, CameraSource, CameraState, Captured, LiveEncoder, LiveFrame, RecordEvent,
    RecordSettings, Recorder, RgbFrame, Source, StreamFormat,
};
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri::http::{Request, Response};
use tauri_specta::Event as _;
use tokio::sync::{oneshot, watch};

use crate::AppError;

/// The URI scheme the webview fetches frames from.
pub const SCHEME: &str = "popbooth-live";

/// Longest a request waits for a new frame before it is answered "no content".
const WAIT: Duration = Duration::from_secs(2);

/// Longest side of live view pictures.
const LIVE_SIDE: u32 = 1280;

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

/// The camera thread and what it shares with the commands.
#[derive(Debug)]
pub struct Camera {
    frames: watch::Sender<Option<Arc<LiveFrame>>>,
    running: Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
    source: Mutex<(Source, Option<String>)>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    status: Mutex<CameraStatus>,
    /// The format of the camera while it is live.
    format: Mutex<Option<StreamFormat>>,
    recording: Mutex<Option<Recording>>,
    /// Stills asked for: each gets the next frame.
    stills: Mutex<Vec<oneshot::Sender<RgbFrame>>>,
}

#[derive(Debug)]
struct Recording {
    recorder: Recorder<'static>,
    status: Arc<Mutex<RecordingStatus>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for Camera {
    fn default() -> Self {
        let source = Source::default();
        Camera {
            frames: watch::channel(None).0,
            running: Mutex::new(None),
            shared: Arc::new(Shared {
                status: Mutex::new(CameraStatus::off(&source, None)),
                format: Mutex::new(None),
                recording: Mutex::new(None),
                stills: Mutex::new(Vec::new()),
            }),
            source: Mutex::new((source, None)),
        }
    }
}

impl Camera {
    pub fn status(&self) -> CameraStatus {
        lock(&self.shared.status).clone()
    }

    pub fn source(&self) -> Source {
        lock(&self.source).0.clone()
    }

    /// The microphone chosen for the sound, if any.
    pub fn mic(&self) -> Option<String> {
        lock(&self.source).1.clone()
    }

    pub fn is_running(&self) -> bool {
        lock(&self.running).is_some()
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
        *lock(&self.source) = (source, mic);
        if was_running {
            self.start(app)?;
        } else {
            self.set_off(app);
        }
        Ok(())
    }

    fn set_off(&self, app: &AppHandle) {
        let (source, mic) = lock(&self.source).clone();
        self.set_status(app, CameraStatus::off(&source, mic.as_deref()));
    }

    /// Starts the camera thread (once; a second start does nothing).
    pub fn start(&self, app: &AppHandle) -> Result<(), AppError> {
        let mut running = lock(&self.running);
        if running.is_some() {
            return Ok(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (source, mic) = lock(&self.source).clone();
        let (frames, shared, thread_stop, app) = (
            self.frames.clone(),
            self.shared.clone(),
            stop.clone(),
            app.clone(),
        );
        let handle = std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || {
                camera_thread(
                    &source,
                    mic.as_deref(),
                    &thread_stop,
                    &frames,
                    &shared,
                    &app,
                )
            })
            .map_err(|e| AppError::new("capture", format!("the camera could not start: {e}")))?;
        *running = Some((stop, handle));
        Ok(())
    }

    /// Stops the camera thread and waits for it; a recording in progress is finished first.
    pub fn stop(&self, app: &AppHandle) {
        let taken = lock(&self.running).take();
        if let Some((stop, handle)) = taken {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
        if let Some(rec) = lock(&self.shared.recording).take() {
            finish_recording(app, rec);
        }
        *lock(&self.shared.format) = None;
        self.set_off(app);
    }

    fn set_status(&self, app: &AppHandle, status: CameraStatus) {
        set_status(&self.shared, app, status);
    }

    /// The next frame of the running camera as RGB (for stills), or None when the camera is
    /// not running or gives no frame within three seconds.
    pub async fn grab(&self) -> Option<RgbFrame> {
        if !self.is_running() {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.stills).push(tx);
        tokio::time::timeout(Duration::from_secs(3), rx)
            .await
            .ok()?
            .ok()
    }

    /// Starts recording the running camera with `settings` (its `source` is ignored: the
    /// frames are the camera's). Blocking: opens the encoders.
    pub fn start_recording(
        &self,
        app: &AppHandle,
        settings: &RecordSettings,
    ) -> Result<RecordingStatus, AppError> {
        let mut slot = lock(&self.shared.recording);
        if slot.is_some() {
            return Err(AppError::new("capture", "a recording is already running"));
        }
        let format = lock(&self.shared.format).ok_or_else(|| {
            AppError::new(
                "capture",
                "the camera is not live: start the live view, or wait until it reconnects",
            )
        })?;
        let status = Arc::new(Mutex::new(RecordingStatus {
            phase: RecordingPhase::Recording,
            file: settings.out.to_string_lossy().into_owned(),
            encoder: settings.encoder.clone(),
            fps: format.fps,
            frames: 0,
            dropped: 0,
            audio: false,
            notice: None,
            error: None,
        }));
        let (events_status, events_app) = (status.clone(), app.clone());
        let recorder = Recorder::start(settings, format, move |event| {
            let mut s = lock(&events_status);
            match event {
                RecordEvent::Started {
                    file,
                    encoder,
                    audio,
                    ..
                } => {
                    s.file = file.to_string_lossy().into_owned();
                    s.encoder = encoder;
                    s.audio = audio;
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
        })?;
        let first = lock(&status).clone();
        *slot = Some(Recording { recorder, status });
        Ok(first)
    }

    /// The recording in progress, if any.
    pub fn recording(&self) -> Option<RecordingStatus> {
        lock(&self.shared.recording)
            .as_ref()
            .map(|r| lock(&r.status).clone())
    }

    /// Ends the recording in progress (None when there is none).
    pub fn stop_recording(&self, app: &AppHandle) -> Option<RecordingStatus> {
        let rec = lock(&self.shared.recording).take()?;
        Some(finish_recording(app, rec))
    }

    /// Answers one `popbooth-live://localhost/frame?after=N` request.
    pub async fn respond(&self, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let after: u64 = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut rx = self.frames.subscribe();
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

fn set_status(shared: &Shared, app: &AppHandle, status: CameraStatus) {
    *lock(&shared.status) = status.clone();
    if let Err(e) = status.emit(app) {
        tracing::warn!(error = %e, "could not send the camera status");
    }
}

fn finish_recording(app: &AppHandle, rec: Recording) -> RecordingStatus {
    let mut status = lock(&rec.status).clone();
    match rec.recorder.finish() {
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
    status
}

/// The camera thread: frames to stills, the recording and the live view, until `stop`.
fn camera_thread(
    source: &Source,
    mic: Option<&str>,
    stop: &AtomicBool,
    frames: &watch::Sender<Option<Arc<LiveFrame>>>,
    shared: &Shared,
    app: &AppHandle,
) {
    let mut live = LiveEncoder::new(LIVE_SIDE);
    let name = source.to_string();
    // Set by the opener, read by the state reporter: two closures, one thread.
    let mic_error = std::cell::RefCell::new(None);
    popbooth_capture::run_camera(
        || {
            let mut camera = CameraSource::open(source, true)?;
            // A microphone that does not open leaves the camera running on its own sound.
            *mic_error.borrow_mut() =
                mic.and_then(|m| camera.use_mic(m).err().map(|e| e.to_string()));
            Ok(camera)
        },
        Backoff::default(),
        stop,
        |captured| match captured {
            Captured::Video { frame, taken_at } => {
                let waiting = std::mem::take(&mut *lock(&shared.stills));
                if !waiting.is_empty() {
                    match popbooth_capture::to_rgb(frame) {
                        Ok(rgb) => waiting.into_iter().for_each(|w| {
                            let _ = w.send(rgb.clone());
                        }),
                        Err(e) => tracing::warn!(error = %e, "a still could not be converted"),
                    }
                }
                record(app, shared, |r| r.push_video(frame, taken_at));
                match live.encode(frame, taken_at) {
                    Ok(Some(f)) => {
                        frames.send_replace(Some(Arc::new(f)));
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "live view: a frame could not be encoded"),
                }
            }
            Captured::Audio(sound) => record(app, shared, |r| r.push_audio(sound)),
        },
        |state| {
            let status = match state {
                CameraState::Live(format) => {
                    *lock(&shared.format) = Some(format);
                    CameraStatus {
                        phase: CameraPhase::Live,
                        width: format.width,
                        height: format.height,
                        fps: format.fps,
                        mic_error: mic_error.borrow().clone(),
                        ..CameraStatus::off(source, mic)
                    }
                }
                CameraState::Reconnecting {
                    attempt,
                    retry_in,
                    reason,
                } => CameraStatus {
                    phase: CameraPhase::Reconnecting,
                    attempt,
                    retry_in_ms: retry_in.as_millis().try_into().unwrap_or(u32::MAX),
                    reason: Some(reason),
                    ..CameraStatus::off(source, mic)
                },
            };
            tracing::info!(camera = %name, ?status.phase, "camera state");
            set_status(shared, app, status);
        },
    );
}

/// Hands a frame to the recording in progress; a recording whose encoders fail for good is
/// ended (what was written stays playable) and reported as failed.
fn record(
    app: &AppHandle,
    shared: &Shared,
    push: impl FnOnce(&mut Recorder<'static>) -> Result<(), popbooth_capture::CaptureError>,
) {
    let mut slot = lock(&shared.recording);
    let Some(rec) = slot.as_mut() else { return };
    if let Err(e) = push(&mut rec.recorder) {
        tracing::error!(error = %e, "recording failed");
        if let Some(rec) = slot.take() {
            lock(&rec.status).error = Some(e.to_string());
            let mut status = finish_recording(app, rec);
            if status.phase != RecordingPhase::Failed {
                status.phase = RecordingPhase::Failed;
                emit(app, status);
            }
        }
    }
}
