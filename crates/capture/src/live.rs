//! Live view: the camera's frames as JPEG pictures for the screen, each stamped with the
//! moment it was captured so that the screen can measure capture-to-screen latency.

use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ffmpeg_next::{format::Pixel, frame, software::scaling};

use crate::{
    Backoff, CameraSource, CameraState, CaptureError, Captured, EncoderSettings, Source,
    VideoEncoder, run_camera,
};

/// One picture of the live view.
#[derive(Debug, Clone)]
pub struct LiveFrame {
    /// 1, 2, 3, ... for the life of the view.
    pub seq: u64,
    /// When the frame came from the camera, in milliseconds since the Unix epoch.
    pub captured_at_ms: u64,
    pub jpeg: Vec<u8>,
}

/// MJPEG quantiser of live frames (2 best .. 31 worst): good enough to frame a shot, small
/// enough to move 30 times a second.
const LIVE_QSCALE: i32 = 6;

/// Turns decoded frames into JPEGs with FFmpeg's own MJPEG encoder (SIMD, a few ms per 720p
/// frame; a pure-Rust encoder through RGB took about 200 ms here). Frames are scaled to
/// full-range YUV 4:2:0, which JPEG expects.
struct JpegMaker {
    source: (u32, u32, Pixel),
    scaler: scaling::Context,
    scaled: frame::Video,
    encoder: VideoEncoder,
}

fn source_of(f: &frame::Video) -> (u32, u32, Pixel) {
    (f.width(), f.height(), f.format())
}

impl JpegMaker {
    fn new(src: &frame::Video, max_side: u32) -> Result<JpegMaker, CaptureError> {
        let (w, h) = (src.width(), src.height());
        let scale = (max_side as f64 / f64::from(w.max(h))).min(1.0);
        // Even sizes for 4:2:0.
        let (dw, dh) = (
            ((f64::from(w) * scale) as u32 / 2 * 2).max(2),
            ((f64::from(h) * scale) as u32 / 2 * 2).max(2),
        );
        let scaler = scaling::Context::get(
            src.format(),
            w,
            h,
            Pixel::YUVJ420P,
            dw,
            dh,
            scaling::Flags::BILINEAR,
        )
        .map_err(|error| CaptureError::Encoder {
            name: "mjpeg".into(),
            error,
        })?;
        let encoder = VideoEncoder::open(&EncoderSettings {
            format: Pixel::YUVJ420P,
            options: vec![
                ("flags".into(), "+qscale".into()),
                ("global_quality".into(), (LIVE_QSCALE * 118).to_string()), // FF_QP2LAMBDA
            ],
            ..EncoderSettings::new("mjpeg", dw, dh, 30)
        })?;
        Ok(JpegMaker {
            source: source_of(src),
            scaler,
            scaled: frame::Video::empty(),
            encoder,
        })
    }

    fn jpeg(&mut self, src: &frame::Video) -> Result<Vec<u8>, CaptureError> {
        self.scaler
            .run(src, &mut self.scaled)
            .map_err(|error| CaptureError::Encoder {
                name: "mjpeg".into(),
                error,
            })?;
        let mut out = Vec::new();
        self.encoder.encode(&mut self.scaled, &mut |p| {
            out = p.data().map(<[u8]>::to_vec).unwrap_or_default();
        })?;
        Ok(out)
    }
}

/// Live view pictures from camera frames: each frame scaled to at most `max_side` pixels,
/// made a JPEG, numbered and stamped with its capture time. A camera that comes back in
/// another size or format is handled.
pub struct LiveEncoder {
    max_side: u32,
    seq: u64,
    maker: Option<JpegMaker>,
}

impl std::fmt::Debug for LiveEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveEncoder")
            .field("seq", &self.seq)
            .finish()
    }
}

impl LiveEncoder {
    pub fn new(max_side: u32) -> LiveEncoder {
        LiveEncoder {
            max_side,
            seq: 0,
            maker: None,
        }
    }

    /// The live picture of `picture`, taken at `taken_at`.
    pub fn encode(
        &mut self,
        picture: &frame::Video,
        taken_at: Instant,
    ) -> Result<Option<LiveFrame>, CaptureError> {
        // Wall-clock capture time, for the screen to compare with its own clock.
        let captured_at_ms = SystemTime::now()
            .checked_sub(taken_at.elapsed())
            .unwrap_or_else(SystemTime::now)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let jpeg = match self
            .maker
            .as_mut()
            .filter(|m| m.source == source_of(picture))
        {
            Some(m) => m.jpeg(picture)?,
            None => self
                .maker
                .insert(JpegMaker::new(picture, self.max_side)?)
                .jpeg(picture)?,
        };
        if jpeg.is_empty() {
            return Ok(None);
        }
        self.seq += 1;
        Ok(Some(LiveFrame {
            seq: self.seq,
            captured_at_ms,
            jpeg,
        }))
    }
}

/// Runs a camera's live view until `stop` is set (on the calling thread): frames at the
/// camera's rate, at most `max_side` pixels wide, through `on_frame`; state changes
/// (live, reconnecting) through `on_state`.
pub fn run_live_view(
    source: &Source,
    max_side: u32,
    stop: &AtomicBool,
    mut on_frame: impl FnMut(LiveFrame),
    on_state: impl FnMut(CameraState),
) {
    let mut live = LiveEncoder::new(max_side);
    run_camera(
        || CameraSource::open(source, false),
        Backoff::default(),
        stop,
        |captured| {
            if let Captured::Video { frame, taken_at } = captured {
                match live.encode(frame, taken_at) {
                    Ok(Some(f)) => on_frame(f),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "live view: a frame could not be encoded"),
                }
            }
        },
        on_state,
    );
}
