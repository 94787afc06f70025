//! Recording to fragmented MP4: a crash or power cut leaves a file that plays up to its last
//! complete fragment (one second), because every fragment carries its own index (`moof`), the
//! file never needs a final rewrite to be readable, and each finished fragment is synced to
//! disk. When the encoder gives out in the middle (a hardware encoder's driver crashing), the
//! recording goes on in the fallback encoder in a new segment file beside the first.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ffmpeg_next::{Dictionary, Packet, Rational, frame};

use crate::audio::AudioEncoder;
use crate::{CameraSource, CaptureError, EncoderSettings, Media, Source, VideoEncoder};

/// What to record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSettings {
    pub out: PathBuf,
    pub source: Source,
    /// FFmpeg encoder name, e.g. `h264_nvenc`, `libx264`.
    pub encoder: String,
    pub preset: Option<String>,
    /// Used when `encoder` does not open or fails mid-recording (None: fail instead).
    pub fallback: Option<Fallback>,
    /// Record sound too: the source's own, or the microphone's.
    pub audio: bool,
    /// A microphone of its own (`alsa:default`, ...), instead of the source's sound.
    pub mic: Option<String>,
    /// Stop after this long (None: until `stop` is set).
    pub duration: Option<Duration>,
    /// Tests only: the first encoder fails from this frame on.
    #[doc(hidden)]
    pub fail_encoder_after: Option<u64>,
}

/// The encoder to continue with when the chosen one fails (libx264 with a preset that keeps
/// up, normally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub encoder: String,
    pub preset: Option<String>,
}

/// What a recording did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordReport {
    /// Frames written to the files.
    pub frames: u64,
    /// Frames the camera delivered that had to be skipped because encoding fell behind
    /// real time, or that the device itself skipped (gaps in its timestamps).
    pub dropped: u64,
    /// Seconds of video written.
    pub seconds: f64,
    /// Seconds of sound written (0 without audio).
    pub audio_seconds: f64,
    pub bytes: u64,
    /// The files, in order: one, or more when the encoder failed over.
    pub segments: Vec<Segment>,
}

/// One file of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub path: PathBuf,
    pub encoder: String,
    pub frames: u64,
}

/// Progress the recorder reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordEvent {
    /// A file exists with its header; frames follow.
    Started {
        file: PathBuf,
        encoder: String,
        width: u32,
        height: u32,
        fps: u32,
        audio: bool,
    },
    /// Frames written and dropped so far (about once a second).
    Progress { frames: u64, dropped: u64 },
    /// `from` failed (to open, or in the middle); recording goes on with `to` into `file`.
    /// Reported once per recording.
    FellBack {
        from: String,
        to: String,
        reason: String,
        file: PathBuf,
    },
}

/// Key frames (and so fragments) this often.
const FRAGMENT_SECONDS: u32 = 1;

/// The picture and sound a recorder gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamFormat {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// The time base of the video frames' timestamps (to notice frames the device skipped).
    pub time_base: Rational,
    /// Sample rate and channels of the sound, if there is sound to record.
    pub audio: Option<(u32, u16)>,
}

impl StreamFormat {
    /// What `source` delivers (its sound only if it decodes some).
    pub fn of(source: &CameraSource) -> StreamFormat {
        let (width, height) = source.size();
        StreamFormat {
            width,
            height,
            fps: source.fps(),
            time_base: source.video_time_base(),
            audio: source.audio_format(),
        }
    }
}

/// A recording in progress, fed with frames by whoever owns the camera (the CLI's loop in
/// [`record`], the app's camera thread beside its live view). Frames of another size or
/// format than the first are converted, so a camera that reconnects in another mode does not
/// end the recording.
pub struct Recorder<'a> {
    format: StreamFormat,
    current: Writer,
    fallback: Option<Fallback>,
    /// The first encoder's settings, to open the fallback with the same stream.
    base: EncoderSettings,
    out: PathBuf,
    segments: Vec<Closed>,
    gaps: GapCounter,
    frames: u64,
    dropped: u64,
    on_event: Box<dyn FnMut(RecordEvent) + Send + 'a>,
}

impl std::fmt::Debug for Recorder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("out", &self.out)
            .field("frames", &self.frames)
            .finish()
    }
}

impl<'a> Recorder<'a> {
    /// Opens `settings.out` for frames of `format` (falling back at once when the chosen
    /// encoder does not open) and reports `Started`.
    pub fn start(
        settings: &RecordSettings,
        format: StreamFormat,
        on_event: impl FnMut(RecordEvent) + Send + 'a,
    ) -> Result<Recorder<'a>, CaptureError> {
        let mut on_event: Box<dyn FnMut(RecordEvent) + Send + 'a> = Box::new(on_event);
        let audio = format.audio.filter(|_| settings.audio);
        let base = EncoderSettings {
            preset: settings.preset.clone(),
            gop: Some(format.fps * FRAGMENT_SECONDS),
            global_header: true,
            ..EncoderSettings::new(&settings.encoder, format.width, format.height, format.fps)
        };
        let mut fallback = settings.fallback.clone();
        let current = match Writer::open(&settings.out, &base, audio) {
            Ok(mut w) => {
                if let Some(n) = settings.fail_encoder_after {
                    w.video.fail_after(n);
                }
                w
            }
            Err(e) => match fallback.take() {
                Some(fb) if fb.encoder != settings.encoder => {
                    let w = Writer::open(&settings.out, &fb.settings(&base), audio)?;
                    tracing::warn!(from = %settings.encoder, to = %fb.encoder, error = %e, "encoder does not open; using the fallback");
                    on_event(RecordEvent::FellBack {
                        from: settings.encoder.clone(),
                        to: fb.encoder,
                        reason: e.to_string(),
                        file: settings.out.clone(),
                    });
                    w
                }
                _ => return Err(e),
            },
        };
        let mut recorder = Recorder {
            format,
            current,
            fallback,
            base,
            out: settings.out.clone(),
            segments: Vec::new(),
            gaps: GapCounter::new(format.time_base, format.fps),
            frames: 0,
            dropped: 0,
            on_event,
        };
        recorder.started();
        Ok(recorder)
    }

    fn started(&mut self) {
        let event = RecordEvent::Started {
            file: self.current.path.clone(),
            encoder: self.current.video.name().to_owned(),
            width: self.format.width,
            height: self.format.height,
            fps: self.format.fps,
            audio: self.current.audio.is_some(),
        };
        (self.on_event)(event);
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Encodes a video frame that the camera took at `taken_at`. A frame more than two frame
    /// times late is dropped (a live camera would have moved on) and counted. If the encoder
    /// fails and there is a fallback, the recording continues with it in a new segment and
    /// `FellBack` is reported; only a second failure is an error.
    pub fn push_video(
        &mut self,
        picture: &mut frame::Video,
        taken_at: Instant,
    ) -> Result<(), CaptureError> {
        let interval = Duration::from_secs_f64(1.0 / f64::from(self.format.fps.max(1)));
        self.dropped += self.gaps.missing_before(picture.timestamp());
        if Instant::now() > taken_at + interval * 2 {
            self.dropped += 1;
            return Ok(());
        }
        match self.current.video(picture) {
            Ok(()) => {}
            Err(e @ CaptureError::Encoder { .. }) if self.fallback.is_some() => {
                self.fail_over(e)?;
                self.current.video(picture)?;
            }
            Err(e) => return Err(e),
        }
        self.frames += 1;
        if self
            .frames
            .is_multiple_of(u64::from(self.format.fps.max(1)))
        {
            let (frames, dropped) = (self.frames, self.dropped);
            (self.on_event)(RecordEvent::Progress { frames, dropped });
        }
        Ok(())
    }

    /// Encodes sound (ignored when the recording has none).
    pub fn push_audio(&mut self, sound: &frame::Audio) -> Result<(), CaptureError> {
        self.current.audio(sound)
    }

    fn fail_over(&mut self, error: CaptureError) -> Result<(), CaptureError> {
        let Some(fb) = self.fallback.take() else {
            return Err(error);
        };
        let from = self.current.video.name().to_owned();
        tracing::warn!(%from, to = %fb.encoder, %error, "encoder failed while recording; continuing in a new segment");
        let path = segment_path(&self.out, self.segments.len() + 2);
        let audio = self
            .current
            .audio
            .is_some()
            .then_some(())
            .and(self.format.audio);
        let next = Writer::open(&path, &fb.settings(&self.base), audio)?;
        let failed = std::mem::replace(&mut self.current, next);
        self.segments.push(failed.close(false));
        (self.on_event)(RecordEvent::FellBack {
            from,
            to: fb.encoder,
            reason: error.to_string(),
            file: path,
        });
        self.started();
        Ok(())
    }

    /// Flushes the encoders, writes the trailer and reports what was recorded.
    pub fn finish(mut self) -> Result<RecordReport, CaptureError> {
        self.segments.push(self.current.close(true));
        if let Some(e) = self.segments.iter().find_map(|s| s.error) {
            return Err(CaptureError::Output {
                path: self.out.clone(),
                error: e,
            });
        }
        let (frames, dropped) = (self.frames, self.dropped);
        (self.on_event)(RecordEvent::Progress { frames, dropped });
        Ok(RecordReport {
            frames,
            dropped,
            seconds: frames as f64 / f64::from(self.format.fps.max(1)),
            audio_seconds: self.segments.iter().map(|s| s.audio_seconds).sum(),
            bytes: self.segments.iter().map(|s| s.bytes).sum(),
            segments: self
                .segments
                .into_iter()
                .map(|s| Segment {
                    path: s.path,
                    encoder: s.encoder,
                    frames: s.frames,
                })
                .collect(),
        })
    }
}

impl Fallback {
    fn settings(&self, base: &EncoderSettings) -> EncoderSettings {
        EncoderSettings {
            encoder: self.encoder.clone(),
            preset: self.preset.clone(),
            ..base.clone()
        }
    }
}

/// Records `settings.source` in real time until `duration` has passed or `stop` is set.
pub fn record(
    settings: &RecordSettings,
    stop: &AtomicBool,
    on_event: impl FnMut(RecordEvent) + Send,
) -> Result<RecordReport, CaptureError> {
    let mut source = CameraSource::open(&settings.source, settings.audio)?;
    if let Some(mic) = settings.mic.as_deref().filter(|_| settings.audio) {
        source.use_mic(mic)?;
    }
    let format = StreamFormat::of(&source);
    let mut recorder = Recorder::start(settings, format, on_event)?;
    let limit = settings
        .duration
        .map(|d| (d.as_secs_f64() * f64::from(format.fps)).round() as u64);
    let mut delivered = 0u64;
    let mut picture = frame::Video::empty();
    let mut sound = frame::Audio::empty();
    let result = loop {
        if stop.load(Ordering::Relaxed) || limit.is_some_and(|n| delivered >= n) {
            break Ok(());
        }
        let pushed = match source.next(&mut picture, &mut sound) {
            Ok(Some(Media::Audio)) => recorder.push_audio(&sound),
            Ok(Some(Media::Video)) => {
                delivered += 1;
                recorder.push_video(&mut picture, source.frame_at())
            }
            Ok(None) => break Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = pushed {
            break Err(e);
        }
    };
    // Whatever happened, the file gets its last packets and trailer.
    let report = recorder.finish();
    result?;
    report
}

/// `clip.mp4` -> `clip-part2.mp4`.
fn segment_path(first: &Path, n: usize) -> PathBuf {
    let stem = first
        .file_stem()
        .map_or_else(|| "recording".into(), |s| s.to_string_lossy().into_owned());
    let ext = first
        .extension()
        .map_or_else(|| "mp4".into(), |s| s.to_string_lossy().into_owned());
    first.with_file_name(format!("{stem}-part{n}.{ext}"))
}

/// Counts frames a device skipped, from gaps in its timestamps.
struct GapCounter {
    last: Option<i64>,
    /// One frame's length in the stream's time base.
    frame: f64,
}

impl GapCounter {
    fn new(time_base: Rational, fps: u32) -> GapCounter {
        let tb = f64::from(time_base);
        GapCounter {
            last: None,
            frame: if tb > 0.0 {
                1.0 / (f64::from(fps.max(1)) * tb)
            } else {
                0.0
            },
        }
    }

    fn missing_before(&mut self, ts: Option<i64>) -> u64 {
        let Some(ts) = ts else { return 0 };
        let gap = self.last.replace(ts).map_or(0.0, |last| (ts - last) as f64);
        if self.frame > 0.0 && gap > self.frame * 1.5 {
            (gap / self.frame).round() as u64 - 1
        } else {
            0
        }
    }
}

/// One open MP4 file with its encoders.
struct Writer {
    path: PathBuf,
    output: ffmpeg_next::format::context::Output,
    video: VideoEncoder,
    audio: Option<AudioEncoder>,
    /// (encoder time base, stream time base) per stream: 0 video, 1 audio.
    time_bases: [(Rational, Rational); 2],
    bytes: u64,
    frames: u64,
    syncer: Syncer,
    write_error: Option<ffmpeg_next::Error>,
}

/// What [`Writer::close`] leaves.
struct Closed {
    path: PathBuf,
    encoder: String,
    frames: u64,
    bytes: u64,
    audio_seconds: f64,
    error: Option<ffmpeg_next::Error>,
}

impl Writer {
    fn open(
        path: &Path,
        video: &EncoderSettings,
        audio: Option<(u32, u16)>,
    ) -> Result<Writer, CaptureError> {
        let out_err = |error| CaptureError::Output {
            path: path.to_owned(),
            error,
        };
        if path.to_str().is_none_or(|p| p.contains('\0')) {
            return Err(out_err(ffmpeg_next::Error::InvalidData));
        }
        let video = VideoEncoder::open(video)?;
        let audio = audio
            .map(|(rate, channels)| AudioEncoder::open(rate, channels, true))
            .transpose()?;
        let mut output = ffmpeg_next::format::output_as(path, "mp4").map_err(out_err)?;
        {
            let mut stream = output
                .add_stream(video.context().codec())
                .map_err(out_err)?;
            stream.set_parameters(video.context());
            stream.set_time_base(video.time_base());
        }
        if let Some(a) = &audio {
            let mut stream = output.add_stream(a.context().codec()).map_err(out_err)?;
            stream.set_parameters(a.context());
            stream.set_time_base(a.time_base());
        }
        let mut options = Dictionary::new();
        // A fragment at every key frame, an index that needs no rewrite at the end, and each
        // packet handed to the OS as soon as it is muxed.
        options.set("movflags", "frag_keyframe+empty_moov+default_base_moof");
        options.set("flush_packets", "1");
        output.write_header_with(options).map_err(out_err)?;
        let stream_tb = |i| output.stream(i).map(|s| s.time_base());
        let video_tb = stream_tb(0).ok_or_else(|| out_err(ffmpeg_next::Error::StreamNotFound))?;
        let audio_tb = stream_tb(1).unwrap_or(video_tb);
        let syncer = Syncer::start(path);
        Ok(Writer {
            path: path.to_owned(),
            time_bases: [
                (video.time_base(), video_tb),
                (
                    audio.as_ref().map_or(video_tb, AudioEncoder::time_base),
                    audio_tb,
                ),
            ],
            output,
            video,
            audio,
            bytes: 0,
            frames: 0,
            syncer,
            write_error: None,
        })
    }

    /// The packet sink of stream `stream` (0 video, 1 audio) and the encoders, borrowed
    /// apart so that an encoder can write through the sink.
    fn split(&mut self, stream: usize) -> (Sink<'_>, &mut VideoEncoder, Option<&mut AudioEncoder>) {
        let sink = Sink {
            output: &mut self.output,
            stream,
            time_bases: self.time_bases[stream],
            bytes: &mut self.bytes,
            syncer: &self.syncer,
            error: &mut self.write_error,
        };
        (sink, &mut self.video, self.audio.as_mut())
    }

    fn video(&mut self, picture: &mut frame::Video) -> Result<(), CaptureError> {
        let (mut sink, video, _) = self.split(0);
        video.encode(picture, &mut |p| sink.write(p))?;
        self.frames += 1;
        Ok(())
    }

    fn audio(&mut self, sound: &frame::Audio) -> Result<(), CaptureError> {
        match self.split(1) {
            (mut sink, _, Some(audio)) => audio.encode(sound, &mut |p| sink.write(p)),
            _ => Ok(()),
        }
    }

    /// Flushes the encoders (the video encoder only when it is `healthy`: a failed one has
    /// nothing more to give) and writes the trailer. Errors are kept in the result.
    fn close(mut self, healthy: bool) -> Closed {
        let mut error = None;
        if healthy {
            let (mut sink, video, _) = self.split(0);
            if let Err(e) = video.finish(&mut |p| sink.write(p)) {
                tracing::warn!(error = %e, "flushing the video encoder failed");
            }
        }
        if let (mut sink, _, Some(audio)) = self.split(1)
            && let Err(e) = audio.finish(&mut |p| sink.write(p))
        {
            tracing::warn!(error = %e, "flushing the audio encoder failed");
        }
        if let Err(e) = crate::ffi::write_trailer(&mut self.output) {
            error = Some(e);
        }
        self.syncer.sync_now();
        Closed {
            error: self.write_error.or(error),
            path: self.path,
            encoder: self.video.name().to_owned(),
            frames: self.frames,
            bytes: self.bytes,
            audio_seconds: self.audio.as_ref().map_or(0.0, AudioEncoder::seconds),
        }
    }
}

/// Writes packets of one stream of a [`Writer`] (borrowing only what writing needs, so that
/// the encoder can be borrowed at the same time).
struct Sink<'a> {
    output: &'a mut ffmpeg_next::format::context::Output,
    stream: usize,
    time_bases: (Rational, Rational),
    bytes: &'a mut u64,
    syncer: &'a Syncer,
    error: &'a mut Option<ffmpeg_next::Error>,
}

impl Sink<'_> {
    fn write(&mut self, p: &mut Packet) {
        p.set_stream(self.stream);
        p.rescale_ts(self.time_bases.0, self.time_bases.1);
        *self.bytes += p.size() as u64;
        // A video key frame starts a fragment: the one before it is now written out.
        let fragment_done = self.stream == 0 && p.is_key();
        if let Err(e) = p.write_interleaved(self.output) {
            self.error.get_or_insert(e);
        }
        if fragment_done {
            self.syncer.sync_soon();
        }
    }
}

/// Syncs a recording's file to disk once per fragment on its own thread, so that a slow
/// disk (an SD card) never holds up the encoder. A power cut then loses at most the
/// fragment being written.
struct Syncer {
    tx: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Syncer {
    fn start(path: &Path) -> Syncer {
        let file = match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot sync the recording");
                return Syncer {
                    tx: None,
                    thread: None,
                };
            }
        };
        // One request waiting is enough: requests made while a sync runs are covered by it.
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("record-sync".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    if let Err(e) = file.sync_data() {
                        tracing::warn!(error = %e, "syncing the recording failed");
                    }
                }
            })
            .ok();
        Syncer {
            tx: thread.is_some().then_some(tx),
            thread,
        }
    }

    fn sync_soon(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(());
        }
    }

    /// A last sync, then the thread ends.
    fn sync_now(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.sync_now();
    }
}
