//! The camera hub: one thread owns the camera ([`run_camera`], which reopens it with backoff
//! when it vanishes) and feeds everything that needs its frames: the live view (the newest
//! JPEG, published on a watch channel), the recording in progress, and stills asked for. A
//! device opens only once, so the app reads all of its pictures through here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::{
    Backoff, CameraSource, CameraState, CaptureError, Captured, LiveEncoder, LiveFrame,
    RecordEvent, RecordReport, RecordSettings, Recorder, RgbFrame, Source, StreamFormat,
    run_camera, to_rgb,
};

/// Longest side of live view pictures.
const LIVE_SIDE: u32 = 1280;

/// What the hub's thread reports.
#[derive(Debug)]
pub enum HubEvent {
    /// The camera's state, and why the microphone did not open if it did not (the camera
    /// then runs on its own sound).
    State {
        state: CameraState,
        mic_error: Option<String>,
    },
    /// The recording's encoders failed for good: it was ended (what was written stays
    /// playable) with this error.
    RecordingFailed(String),
}

type Running = (Arc<AtomicBool>, std::thread::JoinHandle<()>);

/// The camera thread and what it shares with its callers.
#[derive(Debug)]
pub struct CameraHub {
    frames: watch::Sender<Option<Arc<LiveFrame>>>,
    running: Mutex<Option<Running>>,
    /// The source and the microphone (None: the source's own sound).
    source: Mutex<(Source, Option<String>)>,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// The format of the camera while it is live.
    format: Mutex<Option<StreamFormat>>,
    recorder: Mutex<Option<Recorder<'static>>>,
    /// Stills asked for: each gets the next frame.
    stills: Mutex<Vec<oneshot::Sender<RgbFrame>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for CameraHub {
    fn default() -> Self {
        CameraHub {
            frames: watch::channel(None).0,
            running: Mutex::new(None),
            source: Mutex::new((Source::default(), None)),
            shared: Arc::default(),
        }
    }
}

impl CameraHub {
    pub fn source(&self) -> Source {
        lock(&self.source).0.clone()
    }

    pub fn mic(&self) -> Option<String> {
        lock(&self.source).1.clone()
    }

    /// Chooses the source and microphone for the next [`CameraHub::start`].
    pub fn select(&self, source: Source, mic: Option<String>) {
        *lock(&self.source) = (source, mic);
    }

    pub fn is_running(&self) -> bool {
        lock(&self.running).is_some()
    }

    /// The format of the camera while it is live.
    pub fn format(&self) -> Option<StreamFormat> {
        *lock(&self.shared.format)
    }

    /// Live view pictures: the newest one, and a change each time a new one comes.
    pub fn frames(&self) -> watch::Receiver<Option<Arc<LiveFrame>>> {
        self.frames.subscribe()
    }

    /// Starts the camera thread (once; a second start does nothing); `on_event` hears from it.
    pub fn start(
        &self,
        on_event: impl Fn(HubEvent) + Send + Sync + 'static,
    ) -> Result<(), CaptureError> {
        let mut running = lock(&self.running);
        if running.is_some() {
            return Ok(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (source, mic) = lock(&self.source).clone();
        let (frames, shared, thread_stop) =
            (self.frames.clone(), self.shared.clone(), stop.clone());
        let handle = std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || {
                camera_thread(
                    &source,
                    mic.as_deref(),
                    &thread_stop,
                    &frames,
                    &shared,
                    &on_event,
                )
            })
            .map_err(|e| CaptureError::Thread(format!("the camera could not start: {e}")))?;
        *running = Some((stop, handle));
        Ok(())
    }

    /// Stops the camera thread and waits for it; a recording in progress is finished and its
    /// result returned.
    pub fn stop(&self) -> Option<Result<RecordReport, CaptureError>> {
        let taken = lock(&self.running).take();
        if let Some((stop, handle)) = taken {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
        *lock(&self.shared.format) = None;
        self.stop_recording()
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

    /// Starts recording the live camera with `settings` (its `source` is ignored: the frames
    /// are the camera's); the recorder's events go to `on_event`. Blocking: opens encoders.
    pub fn start_recording(
        &self,
        settings: &RecordSettings,
        on_event: impl FnMut(RecordEvent) + Send + 'static,
    ) -> Result<StreamFormat, CaptureError> {
        let mut slot = lock(&self.shared.recorder);
        if slot.is_some() {
            return Err(CaptureError::Busy("a recording is already running".into()));
        }
        let format = self.format().ok_or_else(|| {
            CaptureError::Busy(
                "the camera is not live: start the live view, or wait until it reconnects".into(),
            )
        })?;
        *slot = Some(Recorder::start(settings, format, on_event)?);
        Ok(format)
    }

    pub fn is_recording(&self) -> bool {
        lock(&self.shared.recorder).is_some()
    }

    /// Ends the recording in progress (None when there is none).
    pub fn stop_recording(&self) -> Option<Result<RecordReport, CaptureError>> {
        let recorder = lock(&self.shared.recorder).take()?;
        Some(recorder.finish())
    }
}

/// The camera thread: frames to stills, the recording and the live view, until `stop`.
fn camera_thread(
    source: &Source,
    mic: Option<&str>,
    stop: &AtomicBool,
    frames: &watch::Sender<Option<Arc<LiveFrame>>>,
    shared: &Shared,
    on_event: &(dyn Fn(HubEvent) + Send + Sync),
) {
    let mut live = LiveEncoder::new(LIVE_SIDE);
    // Set by the opener, read by the state reporter: two closures, one thread.
    let mic_error = std::cell::RefCell::new(None);
    run_camera(
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
                    match to_rgb(frame) {
                        Ok(rgb) => waiting.into_iter().for_each(|w| {
                            let _ = w.send(rgb.clone());
                        }),
                        Err(e) => tracing::warn!(error = %e, "a still could not be converted"),
                    }
                }
                record(shared, on_event, |r| r.push_video(frame, taken_at));
                match live.encode(frame, taken_at) {
                    Ok(Some(f)) => {
                        frames.send_replace(Some(Arc::new(f)));
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "live view: a frame could not be encoded"),
                }
            }
            Captured::Audio(sound) => record(shared, on_event, |r| r.push_audio(sound)),
        },
        |state| {
            *lock(&shared.format) = match &state {
                CameraState::Live(format) => Some(*format),
                CameraState::Reconnecting { .. } => None,
            };
            tracing::info!(camera = %source, ?state, "camera state");
            on_event(HubEvent::State {
                state,
                mic_error: mic_error.borrow().clone(),
            });
        },
    );
}

/// Hands a frame to the recording in progress; one whose encoders fail for good is ended
/// (what was written stays playable) and reported.
fn record(
    shared: &Shared,
    on_event: &(dyn Fn(HubEvent) + Send + Sync),
    push: impl FnOnce(&mut Recorder<'static>) -> Result<(), CaptureError>,
) {
    let mut slot = lock(&shared.recorder);
    let Some(recorder) = slot.as_mut() else {
        return;
    };
    if let Err(e) = push(recorder) {
        tracing::error!(error = %e, "recording failed");
        if let Some(recorder) = slot.take()
            && let Err(closing) = recorder.finish()
        {
            tracing::warn!(error = %closing, "closing the failed recording");
        }
        on_event(HubEvent::RecordingFailed(e.to_string()));
    }
}
