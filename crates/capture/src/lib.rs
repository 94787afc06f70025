//! Capture: everything that turns light and sound into files, through FFmpeg (`ffmpeg-next`).
//!
//! Owns the camera sources (the built-in test camera, FFmpeg's `lavfi` test pattern and tone;
//! capture devices through libavdevice: v4l2, avfoundation, dshow), keeping a source alive
//! when it drops out, the live view's JPEGs, stills and bursts saved into the event, the hot
//! folder of a tethered DSLR, the H.264/HEVC encoders (which exist, which open, which pass a
//! decode-back self-test, kept per machine; which to use, which libx264 preset keeps up),
//! recording with sound to fragmented MP4 with a software fallback, and the encode
//! benchmark. This crate never prints and knows nothing of the GUI.

mod audio;
pub mod bench;
mod encode;
mod encoders;
mod error;
mod ffi;
mod hotfolder;
mod hub;
mod live;
mod mic;
mod record;
mod source;
mod stills;
mod supervise;
mod verify;

pub use encode::{EncoderSettings, VideoEncoder};
pub use encoders::{
    EncoderCache, EncoderReport, VideoCodec, choose_h264, h264_preference, probe_encoders,
    software_preset,
};
pub use error::CaptureError;
pub use hotfolder::{HotFolderConfig, HotFolderEvent, watch_hot_folder};
pub use hub::{CameraHub, HubEvent};
pub use live::{LiveEncoder, LiveFrame, run_live_view};
pub use record::{
    Fallback, RecordEvent, RecordReport, RecordSettings, Recorder, Segment, StreamFormat, record,
};
pub use source::{
    CameraSource, Device, DeviceInfo, Media, RgbFrame, Source, TestCamera, burst, camera_input,
    grab_frame, list_devices, list_microphones, mic_input, to_rgb,
};
pub use stills::{Taken, save_shot, shoot, start_session};
pub use supervise::{Backoff, CameraState, Captured, run_camera};
pub use verify::{MAX_MEAN_LUMA_DIFF, self_test};

use std::sync::OnceLock;

/// Initialises FFmpeg once per process (devices registered, its own logging quietened to
/// errors so that it does not spam the terminal). Every entry point calls it.
pub fn init() -> Result<(), CaptureError> {
    static INIT: OnceLock<Result<(), ffmpeg_next::Error>> = OnceLock::new();
    INIT.get_or_init(|| {
        ffmpeg_next::init()?;
        ffmpeg_next::log::set_level(ffmpeg_next::log::Level::Fatal);
        Ok(())
    })
    .map_err(|e| CaptureError::Init(e.to_string()))
}

/// FFmpeg's own version string (e.g. `5.1.9-0+deb12u1`) and the libavcodec version.
pub fn ffmpeg_version() -> FfmpegVersion {
    let v = ffmpeg_next::codec::version();
    FfmpegVersion {
        ffmpeg: ffi::version_info(),
        libavcodec: format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff),
    }
}

/// See [`ffmpeg_version`].
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct FfmpegVersion {
    pub ffmpeg: String,
    pub libavcodec: String,
}
