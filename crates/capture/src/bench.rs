//! The encode benchmark behind `popbooth bench encode`: the same job encoded in-process
//! through `ffmpeg-next` and by the `ffmpeg` command-line tool, in the same run.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use ffmpeg_next::frame;

use crate::{CaptureError, EncoderSettings, VideoEncoder};

/// One encode job: `frames` frames of FFmpeg's testsrc2 at the given size and rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeJob {
    pub frames: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub encoder: String,
    pub preset: String,
}

impl Default for EncodeJob {
    /// The anchor job: 300 frames of 1920x1080 at 30 fps, libx264 `veryfast`.
    fn default() -> Self {
        EncodeJob {
            frames: 300,
            width: 1920,
            height: 1080,
            fps: 30,
            encoder: "libx264".into(),
            preset: "veryfast".into(),
        }
    }
}

impl EncodeJob {
    fn graph(&self) -> String {
        format!(
            "testsrc2=size={}x{}:rate={}",
            self.width, self.height, self.fps
        )
    }
}

/// How fast a job ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    pub frames: u32,
    pub seconds: f64,
    /// Bytes of encoded video produced (the two sides should be close: same work).
    pub bytes: u64,
}

impl Throughput {
    pub fn fps(&self) -> f64 {
        self.frames as f64 / self.seconds.max(1e-9)
    }
}

/// Runs the lavfi `graph` (a source such as testsrc2) straight in libavfilter and hands its
/// first `frames` frames to `each` until it returns false. Frames come from the filter's
/// buffer pool, without the `lavfi` input device's copy of each into a packet and the
/// decode back that the `ffmpeg` tool (and [`CameraSource`]) go through.
fn filter_frames(
    graph: &str,
    frames: u32,
    mut each: impl FnMut(frame::Video) -> bool,
) -> Result<(), CaptureError> {
    crate::init()?;
    let err = |error| CaptureError::Decode {
        source_name: graph.to_owned(),
        error,
    };
    let mut g = ffmpeg_next::filter::Graph::new();
    let sink = ffmpeg_next::filter::find("buffersink")
        .ok_or(CaptureError::MissingInputFormat("buffersink"))?;
    g.add(&sink, "out", "").map_err(err)?;
    g.input("out", 0).map_err(err)?.parse(graph).map_err(err)?;
    g.validate().map_err(err)?;
    let mut out = g
        .get("out")
        .ok_or_else(|| err(ffmpeg_next::Error::FilterNotFound))?;
    for _ in 0..frames {
        let mut frame = frame::Video::empty();
        out.sink().frame(&mut frame).map_err(err)?;
        if !each(frame) {
            break;
        }
    }
    Ok(())
}

/// Generates and encodes the job in this process; `progress` gets the frames done so far.
/// The source runs on its own thread a few frames ahead, so that the encoder's threads
/// never wait for a picture (the `ffmpeg` tool of FFmpeg 5 does the two in turn), and its
/// frames come straight from libavfilter ([`filter_frames`]).
pub fn encode_in_process(
    job: &EncodeJob,
    mut progress: impl FnMut(u32),
) -> Result<Throughput, CaptureError> {
    let started = Instant::now();
    let mut encoder = VideoEncoder::open(&EncoderSettings {
        preset: Some(job.preset.clone()),
        ..EncoderSettings::new(&job.encoder, job.width, job.height, job.fps)
    })?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<frame::Video>(4);
    let (graph, frames) = (job.graph(), job.frames);
    let producer = std::thread::Builder::new()
        .name("bench-source".into())
        .spawn(move || filter_frames(&graph, frames, |frame| tx.send(frame).is_ok()))
        .map_err(|e| CaptureError::Tool {
            tool: "bench".into(),
            reason: format!("cannot start the source thread: {e}"),
        })?;
    let mut bytes = 0u64;
    let mut count = |p: &mut ffmpeg_next::Packet| bytes += p.size() as u64;
    let mut done = 0;
    let mut result = Ok(());
    for mut frame in rx.iter() {
        if let Err(e) = encoder.encode(&mut frame, &mut count) {
            result = Err(e);
            break;
        }
        done += 1;
        progress(done);
    }
    // Dropping the receiver stops the producer if the encoder failed.
    let produced = producer.join().unwrap_or_else(|_| {
        Err(CaptureError::Tool {
            tool: "bench".into(),
            reason: "the source thread panicked".into(),
        })
    });
    result?;
    produced?;
    encoder.finish(&mut count)?;
    Ok(Throughput {
        frames: done,
        seconds: started.elapsed().as_secs_f64(),
        bytes,
    })
}

/// Runs the same job with the `ffmpeg` tool (`ffmpeg` is its path or name on PATH), its
/// H.264 stream piped back and counted.
pub fn encode_with_ffmpeg_tool(job: &EncodeJob, ffmpeg: &Path) -> Result<Throughput, CaptureError> {
    let tool_err = |reason: String| CaptureError::Tool {
        tool: ffmpeg.display().to_string(),
        reason,
    };
    let started = Instant::now();
    let mut child = Command::new(ffmpeg)
        .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
        .args(["-f", "lavfi", "-i", &job.graph()])
        .args(["-frames:v", &job.frames.to_string()])
        .args([
            "-c:v",
            &job.encoder,
            "-preset",
            &job.preset,
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-f", "h264", "pipe:1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_err(format!("cannot start it: {e}")))?;
    let mut bytes = 0u64;
    if let Some(mut out) = child.stdout.take() {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match out.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => bytes += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(tool_err(e.to_string())),
            }
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| tool_err(e.to_string()))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(tool_err(format!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(Throughput {
        frames: job.frames,
        seconds,
        bytes,
    })
}
