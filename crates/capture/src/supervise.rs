//! Keeping a camera alive: a source that fails or ends (unplugged, asleep, driver hiccup)
//! is reopened with exponential backoff, and frames resume without restarting anything.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_next::frame;

use crate::{CaptureError, LavfiSource};

/// What the camera is doing, for the UI ("live", "reconnecting in 2 s").
#[derive(Debug, Clone, PartialEq)]
pub enum CameraState {
    Live,
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

/// Runs a camera until `stop` is set: `open` (re)opens the source, each decoded frame goes to
/// `on_frame`, and every change of state to `on_state`. Frames are paced at `fps`, as a live
/// camera delivers them. Returns when stopped; a failing source is never an error here.
pub fn run_camera(
    mut open: impl FnMut() -> Result<LavfiSource, CaptureError>,
    fps: u32,
    backoff: Backoff,
    stop: &AtomicBool,
    mut on_frame: impl FnMut(&frame::Video),
    mut on_state: impl FnMut(CameraState),
) {
    let interval = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut retry_in = backoff.initial;
    let mut attempt = 0u32;
    let mut picture = frame::Video::empty();
    while !stop.load(Ordering::Relaxed) {
        let reason = match open() {
            Ok(mut source) => {
                on_state(CameraState::Live);
                let started = Instant::now();
                let mut n = 0u32;
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let due = started + interval * n;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    match source.next_frame(&mut picture) {
                        Ok(true) => {
                            // Frames flow again: the next loss starts from the first retry.
                            attempt = 0;
                            retry_in = backoff.initial;
                            n += 1;
                            on_frame(&picture);
                        }
                        Ok(false) => break "the camera stopped sending pictures".to_owned(),
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
