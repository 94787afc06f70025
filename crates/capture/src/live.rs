//! Live view: the camera's frames as JPEG pictures for the screen, each stamped with the
//! moment it was captured so that the screen can measure capture-to-screen latency.

use std::sync::atomic::AtomicBool;
use std::time::{SystemTime, UNIX_EPOCH};

use ffmpeg_next::{format::Pixel, frame, software::scaling};

use crate::{
    Backoff, CameraState, CaptureError, EncoderSettings, LavfiSource, TestCamera, VideoEncoder,
    run_camera,
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

/// Runs the test camera's live view until `stop` is set (on the calling thread): frames at
/// the camera's rate, at most `max_side` pixels wide, through `on_frame`; state changes
/// (live, reconnecting) through `on_state`.
pub fn run_live_view(
    camera: TestCamera,
    max_side: u32,
    stop: &AtomicBool,
    mut on_frame: impl FnMut(LiveFrame),
    on_state: impl FnMut(CameraState),
) {
    let mut seq = 0u64;
    let mut maker: Option<JpegMaker> = None;
    run_camera(
        || LavfiSource::test_camera(&camera),
        camera.fps,
        Backoff::default(),
        stop,
        |picture| {
            let captured_at_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            // A reopened camera may deliver another size or format: start afresh then.
            let jpeg = match maker.as_mut().filter(|m| m.source == source_of(picture)) {
                Some(m) => m.jpeg(picture),
                None => {
                    JpegMaker::new(picture, max_side).and_then(|m| maker.insert(m).jpeg(picture))
                }
            };
            match jpeg {
                Ok(jpeg) if !jpeg.is_empty() => {
                    seq += 1;
                    on_frame(LiveFrame {
                        seq,
                        captured_at_ms,
                        jpeg,
                    });
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "live view: a frame could not be encoded"),
            }
        },
        on_state,
    );
}
