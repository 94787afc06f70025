//! A microphone that is its own input device (on Linux a webcam's microphone is an ALSA or
//! PulseAudio device beside its V4L2 video; on Windows and macOS any microphone can be opened
//! alone too). It is read on a thread of its own, because reading an input blocks until it
//! has data and the camera's thread must not wait on the microphone or the other way round.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ffmpeg_next::{Dictionary, frame, media};

use crate::{CaptureError, ffi};

/// Frames queued between the microphone's thread and the camera's (about 2 s of 20 ms
/// frames); when full, new frames are dropped rather than blocking the microphone.
const QUEUE: usize = 100;

/// A microphone being read.
pub(crate) struct Mic {
    frames: mpsc::Receiver<frame::Audio>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Sample rate and channels.
    pub(crate) format: (u32, u16),
}

impl std::fmt::Debug for Mic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mic").field("format", &self.format).finish()
    }
}

impl Mic {
    /// Opens `spec` (`INPUT:DEVICE`, e.g. `alsa:default`, `pulse:default`,
    /// `dshow:audio=Microphone (USB)`, `avfoundation::0`; `lavfi:sine` in tests) and starts
    /// reading it. Fails when it does not open or has no audio.
    pub(crate) fn open(spec: &str) -> Result<Mic, CaptureError> {
        crate::init()?;
        let bad = |why: &str| CaptureError::BadSource {
            source_name: spec.to_owned(),
            reason: why.to_owned(),
        };
        let (input, device) = spec
            .split_once(':')
            .ok_or_else(|| bad("write the microphone as INPUT:DEVICE, e.g. alsa:default"))?;
        if device.contains('\0') {
            return Err(bad("it contains a NUL character"));
        }
        let format = std::ffi::CString::new(input)
            .ok()
            .and_then(|c| ffi::find_input_format(&c))
            .ok_or_else(|| bad("this FFmpeg has no such input"))?;
        let open_err = |error| CaptureError::Open {
            source_name: spec.to_owned(),
            error,
        };
        let opened = ffmpeg_next::format::open_with(device, &format, Dictionary::new())
            .map_err(open_err)?
            .input();
        let (index, params, time_base) = {
            let stream = opened
                .streams()
                .best(media::Type::Audio)
                .ok_or_else(|| bad("it has no sound"))?;
            (stream.index(), stream.parameters(), stream.time_base())
        };
        let decoder = ffmpeg_next::codec::context::Context::from_parameters(params)
            .and_then(|c| c.decoder().audio())
            .map_err(open_err)?;
        let format = (decoder.rate(), decoder.channels().max(1));
        // Synthetic inputs (lavfi) run as fast as they are read: pace them to real time.
        let paced = input == "lavfi";
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let name = spec.to_owned();
        let thread = std::thread::Builder::new()
            .name("microphone".into())
            .spawn(move || {
                let reader = Reader {
                    input: opened,
                    index,
                    decoder,
                    time_base: f64::from(time_base),
                    paced,
                };
                if let Err(e) = reader.run(&tx, &thread_stop) {
                    tracing::warn!(microphone = %name, error = %e, "the microphone stopped");
                }
            })
            .map_err(|e| CaptureError::Thread(e.to_string()))?;
        Ok(Mic {
            frames: rx,
            stop,
            thread: Some(thread),
            format,
        })
    }

    /// The next frame the microphone has delivered, if one is waiting.
    pub(crate) fn try_next(&self) -> Option<frame::Audio> {
        self.frames.try_recv().ok()
    }
}

impl Drop for Mic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Reader {
    input: ffmpeg_next::format::context::Input,
    index: usize,
    decoder: ffmpeg_next::decoder::Audio,
    time_base: f64,
    paced: bool,
}

impl Reader {
    fn run(
        mut self,
        tx: &mpsc::SyncSender<frame::Audio>,
        stop: &AtomicBool,
    ) -> Result<(), ffmpeg_next::Error> {
        let started = Instant::now();
        let mut first_pts = None;
        for (stream, packet) in self.input.packets() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if stream.index() != self.index {
                continue;
            }
            self.decoder.send_packet(&packet)?;
            let mut f = frame::Audio::empty();
            while self.decoder.receive_frame(&mut f).is_ok() {
                if self.paced
                    && let Some(pts) = f.pts()
                {
                    let first = *first_pts.get_or_insert(pts);
                    let due =
                        started + Duration::from_secs_f64((pts - first) as f64 * self.time_base);
                    // Sleep in short steps so that a stop is honoured at once.
                    while let Some(wait) = due.checked_duration_since(Instant::now()) {
                        if stop.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                        std::thread::sleep(wait.min(Duration::from_millis(20)));
                    }
                }
                match tx.try_send(std::mem::replace(&mut f, frame::Audio::empty())) {
                    Ok(()) | Err(mpsc::TrySendError::Full(_)) => {}
                    Err(mpsc::TrySendError::Disconnected(_)) => return Ok(()),
                }
            }
        }
        Ok(())
    }
}
