//! Keeping a camera alive: a source that fails or ends (unplugged, asleep, driver hiccup)
//! is reopened with exponential backoff, and frames resume without restarting anything.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_next::frame;

use crate::{CameraSource, CaptureError, Media, StreamFormat};

/// What the camera is doing, for the UI ("live", "reconnecting in 2 s").
#[derive(Debug, Clone, PartialEq)]
pub enum CameraState {
    /// Frames flow, in this format.
    Live(StreamFormat),
    Reconnecting {
        /// 1 for the first retry after a loss.
        attempt: u32,
        retry_in: Duration,
        reason: String,
    },
}

/// Retry timing: `initial`, doubling up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(5),
        }
    }
}

/// A frame from [`run_camera`].
#[allow(missing_debug_implementations)] // FFmpeg frames have no Debug.
pub enum Captured<'f> {
    /// A picture and when the camera took it.
    Video {
        frame: &'f mut frame::Video,
        taken_at: Instant,
    },
    Audio(&'f frame::Audio),
}

/// Runs a camera until `stop` is set: `open` (re)opens the source, each decoded frame (video,
/// and audio if the source was opened with it) goes to `on_frame`, and every change of state
/// to `on_state`. Returns when stopped; a failing
/// source is never an error here.
pub fn run_camera(
    mut open: impl FnMut() -> Result<CameraSource, CaptureError>,
    backoff: Backoff,
    stop: &AtomicBool,
    mut on_frame: impl FnMut(Captured<'_>),
    mut on_state: impl FnMut(CameraState),
) {
    let mut retry_in = backoff.initial;
    let mut attempt = 0u32;
    let mut picture = frame::Video::empty();
    let mut sound = frame::Audio::empty();
    while !stop.load(Ordering::Relaxed) {
        let reason = match open() {
            Ok(mut source) => {
                on_state(CameraState::Live(StreamFormat::of(&source)));
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    match source.next(&mut picture, &mut sound) {
                        Ok(Some(Media::Video)) => {
                            // Frames flow again: the next loss starts from the first retry.
                            attempt = 0;
                            retry_in = backoff.initial;
                            on_frame(Captured::Video {
                                frame: &mut picture,
                                taken_at: source.frame_at(),
                            });
                        }
                        Ok(Some(Media::Audio)) => on_frame(Captured::Audio(&sound)),
                        Ok(None) => break "the camera stopped sending pictures".to_owned(),
                        Err(e) => break e.to_string(),
                    }
                }
            }
            Err(e) => e.to_string(),
        };
        attempt += 1;
        tracing::warn!(%reason, attempt, ?retry_in, "camera lost; reconnecting");
        on_state(CameraState::Reconnecting {
            attempt,
            retry_in,
            reason,
        });
        // Sleep in short steps so that a stop is honoured at once.
        let until = Instant::now() + retry_in;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20).min(retry_in));
        }
        retry_in = (retry_in * 2).min(backoff.max);
    }
}
