//! Recording to fragmented MP4: a crash or power cut leaves a file that plays up to its last
//! complete fragment (one second), because every fragment carries its own index (`moof`) and
//! the file never needs a final rewrite to be readable.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_next::{Dictionary, frame};

use crate::{CaptureError, EncoderSettings, LavfiSource, TestCamera, VideoEncoder};

/// What to record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSettings {
    pub out: PathBuf,
    pub camera: TestCamera,
    /// FFmpeg encoder name, e.g. `libx264`.
    pub encoder: String,
    pub preset: Option<String>,
    /// Stop after this long (None: until `stop` is set).
    pub duration: Option<Duration>,
}

/// What a recording did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordReport {
    /// Frames written to the file.
    pub frames: u64,
    /// Frames the camera delivered that had to be skipped because encoding fell behind
    /// real time.
    pub dropped: u64,
    /// Seconds of video in the file.
    pub seconds: f64,
    pub bytes: u64,
}

/// Progress the recorder reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordEvent {
    /// The file exists with its header; frames follow.
    Started,
    /// Frames written and dropped so far.
    Progress { frames: u64, dropped: u64 },
}

/// Key frames (and so fragments) this often.
const FRAGMENT_SECONDS: u32 = 1;

/// Records the test camera in real time until `duration` has passed or `stop` is set.
pub fn record(
    settings: &RecordSettings,
    stop: &AtomicBool,
    mut on_event: impl FnMut(RecordEvent),
) -> Result<RecordReport, CaptureError> {
    let camera = settings.camera;
    let mut source = LavfiSource::test_camera(&camera)?;
    let out_err = |error| CaptureError::Output {
        path: settings.out.clone(),
        error,
    };
    let mut output = ffmpeg_next::format::output_as(&settings.out, "mp4").map_err(out_err)?;
    let mut encoder = VideoEncoder::open(&EncoderSettings {
        preset: settings.preset.clone(),
        gop: Some(camera.fps * FRAGMENT_SECONDS),
        global_header: true,
        ..EncoderSettings::new(&settings.encoder, camera.width, camera.height, camera.fps)
    })?;
    {
        let codec = ffmpeg_next::encoder::find_by_name(&settings.encoder);
        let mut stream = output.add_stream(codec).map_err(out_err)?;
        stream.set_parameters(encoder.context());
        stream.set_time_base(encoder.time_base());
    }
    let mut options = Dictionary::new();
    // A fragment at every key frame, an index that needs no rewrite at the end, and each
    // packet handed to the OS as soon as it is muxed.
    options.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
    options.set("flush_packets", "1");
    output.write_header_with(options).map_err(out_err)?;
    on_event(RecordEvent::Started);

    let stream_tb = output
        .stream(0)
        .map(|s| s.time_base())
        .ok_or_else(|| out_err(ffmpeg_next::Error::StreamNotFound))?;
    let encoder_tb = encoder.time_base();
    let mut bytes = 0u64;
    let mut write_error = None;
    let mut write = |p: &mut ffmpeg_next::Packet| {
        p.set_stream(0);
        p.rescale_ts(encoder_tb, stream_tb);
        bytes += p.size() as u64;
        if let Err(e) = p.write_interleaved(&mut output) {
            write_error.get_or_insert(e);
        }
    };

    let interval = Duration::from_secs_f64(1.0 / f64::from(camera.fps.max(1)));
    let limit = settings
        .duration
        .map(|d| (d.as_secs_f64() * f64::from(camera.fps)).round() as u64);
    let started = Instant::now();
    let (mut delivered, mut frames, mut dropped) = (0u64, 0u64, 0u64);
    let mut picture = frame::Video::empty();
    while !stop.load(Ordering::Relaxed) && limit.is_none_or(|n| delivered < n) {
        // The camera delivers frame n at n * interval; wait for it as a live source would.
        let due = started + interval.mul_f64(delivered as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if !source.next_frame(&mut picture)? {
            break;
        }
        delivered += 1;
        // More than two frames late: a live camera would have moved on; skip this one.
        if Instant::now() > due + interval * 2 {
            dropped += 1;
            continue;
        }
        encoder.encode(&mut picture, &mut write)?;
        frames += 1;
        if frames % u64::from(camera.fps.max(1)) == 0 {
            on_event(RecordEvent::Progress { frames, dropped });
        }
    }
    encoder.finish(&mut write)?;
    if let Some(e) = write_error {
        return Err(out_err(e));
    }
    crate::ffi::write_trailer(&mut output).map_err(out_err)?;
    on_event(RecordEvent::Progress { frames, dropped });
    Ok(RecordReport {
        frames,
        dropped,
        seconds: frames as f64 / f64::from(camera.fps.max(1)),
        bytes,
    })
}
