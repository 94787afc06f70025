use std::collections::BTreeMap;
use std::path::Path;

use ffmpeg_next::{codec::Id, format::Pixel};
use serde::{Deserialize, Serialize};

use crate::ffi;

/// The video codecs Popbooth records and streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
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
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
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
/// that an encoder produces good pictures. Takes a few seconds; [`EncoderCache`] keeps the
/// answer per machine.
pub fn probe_encoders() -> Result<Vec<EncoderReport>, crate::CaptureError> {
    crate::init()?;
    let mut out = Vec::new();
    for codec in [VideoCodec::H264, VideoCodec::Hevc] {
        for entry in ffi::encoders_of(codec.id()) {
            let name = entry.codec.name().to_owned();
            let opened = try_open(&entry, 1280, 720, 30);
            let takes_yuv420 = crate::encode::hardware_frames(&name).is_some()
                || entry
                    .codec
                    .video()
                    .ok()
                    .and_then(|v| v.formats())
                    .is_none_or(|mut f| f.any(|p| p == Pixel::YUV420P || p == Pixel::NV12));
            let checked = match &opened {
                Err(_) => Err("it does not open".to_owned()),
                Ok(()) if !takes_yuv420 => Err(
                    "not checked: it takes neither YUV 4:2:0 nor NV12 frames, which Popbooth records"
                        .to_owned(),
                ),
                Ok(()) => crate::self_test(&name).map(drop).map_err(|e| e.to_string()),
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

/// Opens `entry` as recording would (hardware device and frames context for VAAPI and QSV;
/// system-memory encoders in the first pixel format they list, the one they prefer).
fn try_open(entry: &ffi::CodecEntry, width: u32, height: u32, fps: u32) -> Result<(), String> {
    let name = entry.codec.name();
    let format = entry
        .codec
        .video()
        .ok()
        .and_then(|v| v.formats())
        .and_then(|mut f| f.next())
        .unwrap_or(Pixel::YUV420P);
    crate::VideoEncoder::open(&crate::EncoderSettings {
        format,
        ..crate::EncoderSettings::new(name, width, height, fps)
    })
    .map(drop)
    .map_err(|e| match e {
        crate::CaptureError::Encoder { error, .. } => error.to_string(),
        other => other.to_string(),
    })
}

/// H.264 encoders in this platform's order of preference (NVENC, QSV, VAAPI, AMF,
/// VideoToolbox, MediaFoundation, as each platform has them), ending in software.
pub fn h264_preference() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["h264_videotoolbox", "libx264"]
    } else if cfg!(target_os = "windows") {
        &["h264_nvenc", "h264_qsv", "h264_amf", "h264_mf", "libx264"]
    } else {
        &["h264_nvenc", "h264_qsv", "h264_vaapi", "libx264"]
    }
}

/// The first H.264 encoder of [`h264_preference`] that the probe found working.
pub fn choose_h264(reports: &[EncoderReport]) -> Result<String, crate::CaptureError> {
    h264_preference()
        .iter()
        .find(|name| reports.iter().any(|r| r.name == **name && r.works))
        .map(|name| (*name).to_owned())
        .ok_or_else(|| {
            let why: Vec<String> = reports
                .iter()
                .filter(|r| r.codec == VideoCodec::H264)
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.name,
                        r.check_error
                            .as_deref()
                            .unwrap_or("not in the preference list")
                    )
                })
                .collect();
            crate::CaptureError::NoEncoder(if why.is_empty() {
                "no H.264 encoder in this FFmpeg build".into()
            } else {
                why.join("; ")
            })
        })
}

/// The slowest (best-looking) libx264 preset that still encodes `width`x`height` at least
/// 1.3 times faster than `fps` on this machine, measured on a short test encode. Falls back
/// to `ultrafast`.
pub fn software_preset(
    width: u32,
    height: u32,
    fps: u32,
) -> Result<&'static str, crate::CaptureError> {
    let job = |preset: &str| crate::bench::EncodeJob {
        frames: fps.clamp(10, 30),
        width,
        height,
        fps,
        encoder: "libx264".into(),
        preset: preset.into(),
    };
    for preset in SOFTWARE_PRESETS {
        let t = crate::bench::encode_in_process(&job(preset), |_| {})?;
        tracing::info!(preset, fps = t.fps(), "libx264 preset speed");
        if t.fps() >= f64::from(fps) * 1.3 {
            return Ok(preset);
        }
    }
    Ok("ultrafast")
}

/// The libx264 presets tried, best-looking first.
const SOFTWARE_PRESETS: [&str; 4] = ["faster", "veryfast", "superfast", "ultrafast"];

/// What the encoder probe found on this machine, kept in a JSON file so that the app starts
/// in milliseconds instead of seconds. It is probed again when the machine changes (another
/// FFmpeg, GPU or driver) or when asked ([`EncoderCache::refresh`]).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct EncoderCache {
    /// What the answers depend on: FFmpeg version, OS, GPU devices and drivers.
    pub machine: String,
    /// When it was probed, seconds since the Unix epoch.
    pub probed_at: u64,
    pub encoders: Vec<EncoderReport>,
    /// libx264 preset that keeps up, by `WIDTHxHEIGHT@FPS`.
    pub presets: BTreeMap<String, String>,
}

impl EncoderCache {
    /// The cache in `file` if it was made on this machine as it is now; otherwise a new
    /// probe, written to `file` (a cache that cannot be written is logged, not an error).
    pub fn load(file: &Path) -> Result<EncoderCache, crate::CaptureError> {
        let machine = machine_fingerprint();
        let cached = std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice::<EncoderCache>(&b).ok())
            .filter(|c| c.machine == machine);
        match cached {
            Some(c) => Ok(c),
            None => Self::refresh(file),
        }
    }

    /// Probes again and rewrites `file`.
    pub fn refresh(file: &Path) -> Result<EncoderCache, crate::CaptureError> {
        let cache = EncoderCache {
            machine: machine_fingerprint(),
            probed_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            encoders: probe_encoders()?,
            presets: BTreeMap::new(),
        };
        cache.save(file);
        Ok(cache)
    }

    /// The libx264 preset for this size and rate: from the cache, or measured and kept.
    pub fn software_preset(
        &mut self,
        file: &Path,
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<String, crate::CaptureError> {
        let key = format!("{width}x{height}@{fps}");
        if let Some(p) = self.presets.get(&key) {
            return Ok(p.clone());
        }
        let preset = software_preset(width, height, fps)?.to_owned();
        self.presets.insert(key, preset.clone());
        self.save(file);
        Ok(preset)
    }

    /// How to record `source` into `out`: `encoder` (None: the best that works here) with
    /// `preset` (None: for libx264, the one that keeps up), and libx264 to fall back on when
    /// a hardware encoder fails.
    pub fn record_settings(
        &mut self,
        file: &Path,
        source: &crate::Source,
        out: &Path,
        encoder: Option<&str>,
        preset: Option<&str>,
    ) -> Result<crate::RecordSettings, crate::CaptureError> {
        let (width, height, fps) = source.nominal_mode();
        let encoder = match encoder {
            Some(name) => name.to_owned(),
            None => self.h264()?,
        };
        let software = |this: &mut Self| this.software_preset(file, width, height, fps);
        let preset = match (encoder.as_str(), preset) {
            (_, Some(p)) => Some(p.to_owned()),
            ("libx264", None) => Some(software(self)?),
            _ => None,
        };
        let fallback = if encoder == "libx264" {
            None
        } else {
            Some(crate::Fallback {
                encoder: "libx264".into(),
                preset: Some(software(self)?),
            })
        };
        Ok(crate::RecordSettings {
            out: out.to_owned(),
            source: source.clone(),
            encoder,
            preset,
            fallback,
            audio: true,
            mic: None,
            duration: None,
            fail_encoder_after: None,
        })
    }

    /// The H.264 encoder to record with ([`choose_h264`]).
    pub fn h264(&self) -> Result<String, crate::CaptureError> {
        choose_h264(&self.encoders)
    }

    fn save(&self, file: &Path) {
        let written = serde_json::to_vec_pretty(self)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                popbooth_store::write_atomically(file, &bytes).map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            tracing::warn!(file = %file.display(), error = %e, "could not keep the encoder probe");
        }
    }
}

/// What encoder answers depend on: this FFmpeg, the OS, and the GPU devices and drivers
/// that the hardware encoders use.
fn machine_fingerprint() -> String {
    let mut parts = vec![
        format!("ffmpeg {}", ffi::version_info()),
        format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    ];
    if let Ok(dir) = std::fs::read_dir("/dev/dri") {
        let mut nodes: Vec<String> = dir
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        nodes.sort();
        parts.push(format!("dri {}", nodes.join(",")));
    }
    if let Ok(v) = std::fs::read_to_string("/proc/driver/nvidia/version") {
        parts.push(v.lines().next().unwrap_or_default().trim().to_owned());
    }
    parts.join("; ")
}
