use std::ffi::CString;

use ffmpeg_next::{codec::Id, format::Pixel};
use serde::Serialize;

use crate::ffi;

/// The video codecs Popbooth records and streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum VideoCodec {
    H264,
    Hevc,
}

impl VideoCodec {
    fn id(self) -> Id {
        match self {
            VideoCodec::H264 => Id::H264,
            VideoCodec::Hevc => Id::HEVC,
        }
    }
}

/// One encoder of this FFmpeg build and whether it opened on this machine.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct EncoderReport {
    /// FFmpeg's name, e.g. `libx264`, `h264_nvenc`, `hevc_vaapi`.
    pub name: String,
    pub codec: VideoCodec,
    pub hardware: bool,
    /// True when the encoder opened for 1280x720 at 30 fps.
    pub opens: bool,
    /// Why it did not open (FFmpeg's error text), when it did not.
    pub error: Option<String>,
    /// True when a short clip it encoded decoded back to the source picture
    /// ([`crate::self_test`]); drivers exist that open and then emit green or black frames.
    pub works: bool,
    /// Why the self-test failed or was not run, when `works` is false.
    pub check_error: Option<String>,
}

/// Lists the H.264 and HEVC encoders of this FFmpeg build and tries to open each one for a
/// 1280x720, 30 fps stream. Hardware encoders that need a device and a frames context
/// (VAAPI, QSV) get both, so "does not open" means the hardware or driver is missing.
///
/// Each one that opens then gets the self-test ([`crate::self_test`]): opening is no proof
/// that an encoder produces good pictures.
pub fn probe_encoders() -> Result<Vec<EncoderReport>, crate::CaptureError> {
    crate::init()?;
    let mut out = Vec::new();
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        for entry in ffi::encoders_of(codec.id()) {
            let name = entry.codec.name().to_owned();
            let opened = try_open(&entry, 1280, 720, 30);
            let takes_yuv420 = entry
                .codec
                .video()
                .ok()
                .and_then(|v| v.formats())
                .is_none_or(|mut f| f.any(|p| p == Pixel::YUV420P));
            let checked = match (&opened, entry.wrapper.as_deref()) {
                (Err(_), _) => Err("it does not open".to_owned()),
                (Ok(()), _) if !takes_yuv420 => Err(
                    "not checked: it does not take YUV 4:2:0 frames, which Popbooth records"
                        .to_owned(),
                ),
                (Ok(()), Some("vaapi" | "qsv")) => Err(
                    "not checked: uploading frames to VAAPI/QSV surfaces is not built yet"
                        .to_owned(),
                ),
                (Ok(()), _) => crate::self_test(&name).map(drop).map_err(|e| e.to_string()),
            };
            out.push(EncoderReport {
                name,
                codec,
                hardware: entry.hardware,
                opens: opened.is_ok(),
                error: opened.err(),
                works: checked.is_ok(),
                check_error: checked.err(),
            });
        }
    }
    Ok(out)
}

fn try_open(entry: &ffi::CodecEntry, width: u32, height: u32, fps: i32) -> Result<(), String> {
    let codec = entry.codec;
    let mut enc = ffmpeg_next::codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(|e| e.to_string())?;
    enc.set_width(width);
    enc.set_height(height);
    enc.set_time_base(ffmpeg_next::Rational::new(1, fps));
    enc.set_frame_rate(Some(ffmpeg_next::Rational::new(fps, 1)));
    enc.set_bit_rate(4_000_000);
    // Keep the device alive until the encoder has been opened and closed again.
    let mut _device = None;
    match entry.wrapper.as_deref() {
        Some(kind @ ("vaapi" | "qsv")) => {
            let kind_c = CString::new(kind).map_err(|e| e.to_string())?;
            let device =
                ffi::HwDevice::create(&kind_c).map_err(|e| format!("no {kind} device: {e}"))?;
            let hw = if kind == "vaapi" {
                Pixel::VAAPI
            } else {
                Pixel::QSV
            };
            device
                .attach_frames(&mut enc, hw.into(), Pixel::NV12.into(), width, height)
                .map_err(|e| format!("{kind} frames context: {e}"))?;
            _device = Some(device);
        }
        _ => {
            // System-memory encoders (software, NVENC, AMF, VideoToolbox, MediaFoundation):
            // the first pixel format they list is the one they prefer.
            let format = codec
                .video()
                .ok()
                .and_then(|v| v.formats())
                .and_then(|mut f| f.next())
                .unwrap_or(Pixel::YUV420P);
            enc.set_format(format);
        }
    }
    let mut options = ffmpeg_next::Dictionary::new();
    crate::encode::quiet_options(codec.name(), &mut options);
    enc.open_as_with(codec, options)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// H.264 encoders in this platform's order of preference, ending in software. VAAPI and QSV
/// are left out of recording until frames are uploaded to their surfaces (they take hardware
/// frames only); `probe_encoders` still checks them.
pub fn h264_preference() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["h264_videotoolbox", "libx264"]
    } else if cfg!(target_os = "windows") {
        &["h264_nvenc", "h264_amf", "h264_mf", "libx264"]
    } else {
        &["h264_nvenc", "libx264"]
    }
}

/// The first H.264 encoder of [`h264_preference`] that opens for this size and rate and
/// passes the self-test.
pub fn choose_h264(width: u32, height: u32, fps: u32) -> Result<String, crate::CaptureError> {
    crate::init()?;
    let mut last_error = String::from("no H.264 encoder in this FFmpeg build");
    for name in h264_preference() {
        let Some(entry) = ffi::encoders_of(Id::H264)
            .into_iter()
            .find(|e| e.codec.name() == *name)
        else {
            continue;
        };
        let opened = try_open(&entry, width, height, i32::try_from(fps).unwrap_or(30));
        match opened.and_then(|()| crate::self_test(name).map(drop).map_err(|e| e.to_string())) {
            Ok(()) => {
                tracing::info!(encoder = name, "chose H.264 encoder");
                return Ok((*name).to_owned());
            }
            Err(e) => {
                tracing::info!(encoder = name, error = %e, "encoder does not work");
                last_error = format!("{name}: {e}");
            }
        }
    }
    Err(crate::CaptureError::NoEncoder(last_error))
}

/// The slowest (best-looking) libx264 preset that still encodes `width`x`height` at least
/// 1.3 times faster than `fps` on this machine, measured on a short test encode. Falls back
/// to `ultrafast`.
pub fn software_preset(
    width: u32,
    height: u32,
    fps: u32,
) -> Result<&'static str, crate::CaptureError> {
    const PRESETS: [&str; 4] = ["faster", "veryfast", "superfast", "ultrafast"];
    let job = |preset: &str| crate::bench::EncodeJob {
        frames: fps.clamp(10, 30),
        width,
        height,
        fps,
        encoder: "libx264".into(),
        preset: preset.into(),
    };
    for preset in PRESETS {
        let t = crate::bench::encode_in_process(&job(preset), |_| {})?;
        tracing::info!(preset, fps = t.fps(), "libx264 preset speed");
        if t.fps() >= f64::from(fps) * 1.3 {
            return Ok(preset);
        }
    }
    Ok("ultrafast")
}
