use std::time::{Duration, Instant};

use ffmpeg_next::{Dictionary, format::Pixel, frame, media, software::scaling};

use crate::{CaptureError, ffi};

/// The built-in test camera: FFmpeg's `testsrc2` pattern through the `lavfi` input device. It
/// stands in for a camera when none is attached, in the demo and in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCamera {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for TestCamera {
    fn default() -> Self {
        TestCamera {
            width: 1280,
            height: 720,
            fps: 30,
        }
    }
}

impl TestCamera {
    /// The lavfi filter graph that produces this camera's picture.
    pub fn graph(&self) -> String {
        format!(
            "testsrc2=size={}x{}:rate={}",
            self.width, self.height, self.fps
        )
    }

    fn validate(&self) -> Result<(), CaptureError> {
        let ok = |v: u32| (16..=8192).contains(&v) && v.is_multiple_of(2);
        if ok(self.width) && ok(self.height) {
            Ok(())
        } else {
            Err(CaptureError::InvalidSize {
                width: self.width,
                height: self.height,
            })
        }
    }
}

/// A decoded picture as tightly packed 8-bit RGB rows (no padding between rows).
#[derive(Clone, PartialEq, Eq)]
pub struct RgbFrame {
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes, row after row.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for RgbFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RgbFrame({}x{}, {} bytes)",
            self.width,
            self.height,
            self.data.len()
        )
    }
}

impl RgbFrame {
    /// The RGB value at (x, y), or None outside the picture.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        self.data.get(i..i + 3).map(|p| [p[0], p[1], p[2]])
    }
}

impl RgbFrame {
    /// JPEG bytes of the frame, scaled down (never up) so that its longer side is at most
    /// `max_side`.
    pub fn to_jpeg(&self, max_side: u32, quality: u8) -> Result<Vec<u8>, CaptureError> {
        let img = image::RgbImage::from_raw(self.width, self.height, self.data.clone())
            .ok_or_else(|| CaptureError::Encode("frame size does not match its data".into()))?;
        let longer = self.width.max(self.height).max(1);
        let img = if longer > max_side {
            let scale = max_side as f32 / longer as f32;
            let (w, h) = (
                ((self.width as f32 * scale).round() as u32).max(1),
                ((self.height as f32 * scale).round() as u32).max(1),
            );
            image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle)
        } else {
            img
        };
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&img)
            .map_err(|e| CaptureError::Encode(e.to_string()))?;
        Ok(out)
    }
}

/// Where pictures come from: the built-in test camera or a capture device opened through
/// libavdevice. Written as text (`--source`) it is `test`, or the input device's name, a colon
/// and the device as that input names it: `v4l2:/dev/video0`, `avfoundation:0` (video
/// device 0; `avfoundation:0:0` adds microphone 0), `dshow:video=HD Pro Webcam C920`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Test(TestCamera),
    Device(Device),
}

/// A capture device and the mode asked of it (None: the device's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The libavdevice input: `v4l2`, `avfoundation`, `dshow`.
    pub input: String,
    /// The device as that input names it.
    pub device: String,
    pub size: Option<(u32, u32)>,
    pub fps: Option<u32>,
}

/// The input devices that list and open cameras, per platform.
pub fn camera_input() -> &'static str {
    if cfg!(target_os = "macos") {
        "avfoundation"
    } else if cfg!(target_os = "windows") {
        "dshow"
    } else {
        "v4l2"
    }
}

const KNOWN_INPUTS: &[&str] = &["v4l2", "avfoundation", "dshow", "lavfi"];

impl std::str::FromStr for Source {
    type Err = CaptureError;

    fn from_str(s: &str) -> Result<Source, CaptureError> {
        let bad = |why: &str| CaptureError::BadSource {
            source_name: s.to_owned(),
            reason: why.to_owned(),
        };
        if s.contains('\0') {
            return Err(bad("it contains a NUL character"));
        }
        if s == "test" {
            return Ok(Source::Test(TestCamera::default()));
        }
        let (input, device) = s
            .split_once(':')
            .ok_or_else(|| bad("write `test` or INPUT:DEVICE, e.g. v4l2:/dev/video0"))?;
        if !KNOWN_INPUTS.contains(&input) {
            return Err(bad(&format!(
                "the input must be one of {}",
                KNOWN_INPUTS.join(", ")
            )));
        }
        if device.is_empty() {
            return Err(bad("the device after the colon is missing"));
        }
        Ok(Source::Device(Device {
            input: input.to_owned(),
            device: device.to_owned(),
            size: None,
            fps: None,
        }))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Test(_) => f.write_str("test"),
            Source::Device(d) => write!(f, "{}:{}", d.input, d.device),
        }
    }
}

impl Default for Source {
    fn default() -> Self {
        Source::Test(TestCamera::default())
    }
}

impl Source {
    /// The same source asked for another picture size and frame rate (None keeps what it
    /// has). The test camera's size must be even and 16 to 8192 px a side.
    pub fn with_mode(self, size: Option<(u32, u32)>, fps: Option<u32>) -> Source {
        match self {
            Source::Test(mut t) => {
                if let Some((w, h)) = size {
                    (t.width, t.height) = (w, h);
                }
                if let Some(fps) = fps {
                    t.fps = fps;
                }
                Source::Test(t)
            }
            Source::Device(mut d) => {
                d.size = size.or(d.size);
                d.fps = fps.or(d.fps);
                Source::Device(d)
            }
        }
    }

    /// The size and rate it is expected to deliver: the test camera's, or what was asked of
    /// the device (1920x1080 at 30 fps when nothing was: what booth webcams give).
    pub fn nominal_mode(&self) -> (u32, u32, u32) {
        match self {
            Source::Test(t) => (t.width, t.height, t.fps),
            Source::Device(d) => {
                let (w, h) = d.size.unwrap_or((1920, 1080));
                (w, h, d.fps.unwrap_or(30))
            }
        }
    }

    /// What the source is, for people and for the `source` column of a shot.
    pub fn label(&self) -> String {
        match self {
            Source::Test(_) => "test camera".into(),
            Source::Device(d) => format!("{}:{}", d.input, d.device),
        }
    }
}

/// A capture device that libavdevice lists on this system.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct DeviceInfo {
    /// What `--source` takes to open it, e.g. `v4l2:/dev/video0`.
    pub source: String,
    /// The device's own name, e.g. `HD Pro Webcam C920`.
    pub name: String,
    pub video: bool,
    pub audio: bool,
    /// The system's default device.
    pub default: bool,
}

/// The cameras that this platform's input device (v4l2, avfoundation, dshow) finds. An input
/// that cannot list its devices (avfoundation in FFmpeg 5) is reported as an error.
pub fn list_devices() -> Result<Vec<DeviceInfo>, CaptureError> {
    list_input(camera_input(), Media::Video)
}

/// The input device that lists and opens microphones on this platform: ALSA on Linux (a
/// webcam's microphone is an ALSA device of its own), dshow, avfoundation.
pub fn mic_input() -> &'static str {
    if cfg!(target_os = "linux") {
        "alsa"
    } else {
        camera_input()
    }
}

/// The microphones [`mic_input`] finds; each `source` is what `with_mic` and `--mic` take.
pub fn list_microphones() -> Result<Vec<DeviceInfo>, CaptureError> {
    list_input(mic_input(), Media::Audio)
}

/// Devices of `input` that give `wanted` (a device that names no media type is taken to
/// give what its input device is for).
fn list_input(input: &'static str, wanted: Media) -> Result<Vec<DeviceInfo>, CaptureError> {
    crate::init()?;
    let Some(ffmpeg_next::Format::Input(format)) = std::ffi::CString::new(input)
        .ok()
        .and_then(|c| ffi::find_input_format(&c))
    else {
        return Err(CaptureError::MissingInputFormat(input));
    };
    let listed = match ffi::list_input_sources(&format) {
        Ok(listed) => listed,
        // v4l2 answers "no such file" when there is no /dev/video* at all.
        Err(ffmpeg_next::Error::Other { errno }) if errno == ffmpeg_next::util::error::ENOENT => {
            Vec::new()
        }
        Err(error) => {
            return Err(CaptureError::ListDevices {
                input: input.into(),
                error,
            });
        }
    };
    Ok(listed
        .into_iter()
        .filter_map(|d| {
            let untyped = !d.video && !d.audio;
            let (video, audio) = (
                d.video || (untyped && wanted == Media::Video),
                d.audio || (untyped && wanted == Media::Audio),
            );
            let gives = match wanted {
                Media::Video => video,
                Media::Audio => audio,
            };
            gives.then(|| DeviceInfo {
                source: match (input, wanted) {
                    // dshow opens `video=NAME` and `audio=NAME`; the others take the name.
                    ("dshow", Media::Video) => format!("dshow:video={}", d.name),
                    ("dshow", Media::Audio) => format!("dshow:audio={}", d.name),
                    _ => format!("{input}:{}", d.name),
                },
                name: if d.description.is_empty() {
                    d.name
                } else {
                    d.description
                },
                video,
                audio,
                default: d.default,
            })
        })
        .collect())
}

/// What [`CameraSource::next`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Video,
    Audio,
}

/// How to ask a device for its mode: the size and rate asked for, or the booth default of
/// 1920x1080 at 30 fps. Webcams give 1080p30 only compressed (USB 2 has not the bandwidth for
/// raw 1080p at 30), so with `compressed` V4L2 is asked for MJPEG and DirectShow for its
/// MJPEG stream. Drivers that cannot fit the size take the nearest they have (V4L2) or fail
/// (then the caller tries the next way).
fn device_options(d: &Device, compressed: bool) -> Dictionary<'static> {
    let (w, h) = d.size.unwrap_or((1920, 1080));
    let mut options = Dictionary::new();
    options.set("video_size", &format!("{w}x{h}"));
    options.set("framerate", &d.fps.unwrap_or(30).to_string());
    match d.input.as_str() {
        "v4l2" if compressed => options.set("input_format", "mjpeg"),
        "dshow" if compressed => options.set("vcodec", "mjpeg"),
        _ => {}
    }
    options
}

/// A real-time pace for sources that would otherwise run as fast as they are read (the
/// test camera): frame n is handed out at `started + n * interval`, as a camera delivers it.
#[derive(Debug)]
struct Pacing {
    interval: Duration,
    started: Option<Instant>,
    frames: u32,
}

/// An open camera: the test camera or a device, decoding its video (and its audio, when it
/// has some and it was asked for).
pub struct CameraSource {
    name: String,
    input: ffmpeg_next::format::context::Input,
    video_index: usize,
    video: ffmpeg_next::decoder::Video,
    audio: Option<(usize, ffmpeg_next::decoder::Audio)>,
    packet: ffmpeg_next::Packet,
    /// A decoder that may hold another frame from the last packet.
    pending: Option<Media>,
    /// A microphone of its own, replacing the source's sound.
    mic: Option<crate::mic::Mic>,
    pacing: Option<Pacing>,
    /// When the last video frame was due (paced sources) or arrived (devices).
    frame_at: Instant,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource")
            .field("name", &self.name)
            .field("audio", &self.audio.is_some())
            .finish()
    }
}

impl CameraSource {
    /// Opens `source`. With `audio`, the test camera adds a 440 Hz tone and a device's own
    /// audio stream (avfoundation `V:A`, dshow `video=..:audio=..`) is decoded too.
    pub fn open(source: &Source, audio: bool) -> Result<CameraSource, CaptureError> {
        match source {
            Source::Test(camera) => {
                camera.validate()?;
                let graph = if audio {
                    format!(
                        "{}[out0];sine=frequency=440:sample_rate=48000[out1]",
                        camera.graph()
                    )
                } else {
                    camera.graph()
                };
                let mut opened = Self::open_input("lavfi", &graph, Dictionary::new(), audio)?;
                opened.pacing = Some(Pacing {
                    interval: Duration::from_secs_f64(1.0 / f64::from(camera.fps.max(1))),
                    started: None,
                    frames: 0,
                });
                Ok(opened)
            }
            Source::Device(d) => {
                // The mode (asked for, or the booth default of 1080p30) compressed, then raw;
                // then, for the default only, whatever the camera gives by itself. A mode
                // asked for explicitly is never silently changed.
                let asked = d.size.is_some() || d.fps.is_some();
                let mut attempts = vec![device_options(d, true)];
                if matches!(d.input.as_str(), "v4l2" | "dshow") {
                    attempts.push(device_options(d, false));
                }
                if !asked {
                    attempts.push(Dictionary::new());
                }
                let mut last = None;
                for options in attempts {
                    match Self::open_input(&d.input, &d.device, options, audio) {
                        Ok(opened) => return Ok(opened),
                        Err(e) => {
                            tracing::info!(device = %d.device, error = %e, "the camera refused a mode; trying the next");
                            last = Some(e);
                        }
                    }
                }
                Err(last.unwrap_or(CaptureError::NoVideo(d.device.clone())))
            }
        }
    }

    /// Opens a `lavfi` filter graph, e.g. `testsrc2=size=1920x1080:rate=30`, read as fast
    /// as frames are asked for (benchmarks, self-tests).
    pub fn lavfi(graph: &str) -> Result<CameraSource, CaptureError> {
        Self::open_input("lavfi", graph, Dictionary::new(), false)
    }

    fn open_input(
        input: &str,
        name: &str,
        options: Dictionary,
        audio: bool,
    ) -> Result<CameraSource, CaptureError> {
        crate::init()?;
        let format = std::ffi::CString::new(input)
            .ok()
            .and_then(|c| ffi::find_input_format(&c))
            .ok_or_else(|| CaptureError::MissingInputFormat(static_input_name(input)))?;
        if name.contains('\0') {
            return Err(CaptureError::BadSource {
                source_name: name.into(),
                reason: "it contains a NUL character".into(),
            });
        }
        let full_name = format!("{input}:{name}");
        let opened = ffmpeg_next::format::open_with(name, &format, options)
            .map_err(|error| CaptureError::Open {
                source_name: full_name.clone(),
                error,
            })?
            .input();
        let decode_err = |error| CaptureError::Decode {
            source_name: full_name.clone(),
            error,
        };
        let (video_index, params) = {
            let stream = opened
                .streams()
                .best(media::Type::Video)
                .ok_or_else(|| CaptureError::NoVideo(full_name.clone()))?;
            (stream.index(), stream.parameters())
        };
        let video = ffmpeg_next::codec::context::Context::from_parameters(params)
            .and_then(|c| c.decoder().video())
            .map_err(decode_err)?;
        let audio = match opened.streams().best(media::Type::Audio) {
            Some(stream) if audio => Some((
                stream.index(),
                ffmpeg_next::codec::context::Context::from_parameters(stream.parameters())
                    .and_then(|c| c.decoder().audio())
                    .map_err(decode_err)?,
            )),
            _ => None,
        };
        Ok(CameraSource {
            name: full_name,
            input: opened,
            video_index,
            video,
            audio,
            packet: ffmpeg_next::Packet::empty(),
            pending: None,
            mic: None,
            pacing: None,
            frame_at: Instant::now(),
        })
    }

    /// The source's name, as in error messages: `lavfi:testsrc2=...`, `v4l2:/dev/video0`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Width and height of its pictures.
    pub fn size(&self) -> (u32, u32) {
        (self.video.width(), self.video.height())
    }

    /// Its frame rate, rounded: the test camera's own, else what the stream says (its
    /// average rate, else its base rate), else 30.
    pub fn fps(&self) -> u32 {
        if let Some(p) = &self.pacing {
            return (1.0 / p.interval.as_secs_f64()).round() as u32;
        }
        let usable =
            |r: ffmpeg_next::Rational| (r.numerator() > 0 && r.denominator() > 0).then_some(r);
        let stream_rate = self
            .input
            .stream(self.video_index)
            .and_then(|s| usable(s.avg_frame_rate()).or_else(|| usable(s.rate())));
        stream_rate.map_or(30, |r| (f64::from(r).round() as u32).clamp(1, 240))
    }

    /// The time base of video frame timestamps.
    pub fn video_time_base(&self) -> ffmpeg_next::Rational {
        self.input
            .stream(self.video_index)
            .map_or(ffmpeg_next::Rational::new(1, 1_000_000), |s| s.time_base())
    }

    /// Takes the sound from the microphone `spec` (`INPUT:DEVICE`: `alsa:default`,
    /// `pulse:default`, `dshow:audio=...`) instead of the source's own: a webcam's microphone
    /// on Linux is a device of its own. It is read on its own thread.
    /// On failure the source keeps its own sound (if any).
    pub fn use_mic(&mut self, spec: &str) -> Result<(), CaptureError> {
        self.mic = Some(crate::mic::Mic::open(spec)?);
        self.audio = None;
        Ok(())
    }

    /// Sample rate and channel count of the sound being decoded, if any.
    pub fn audio_format(&self) -> Option<(u32, u16)> {
        match &self.mic {
            Some(mic) => Some(mic.format),
            None => self
                .audio
                .as_ref()
                .map(|(_, d)| (d.rate(), d.channels().max(1))),
        }
    }

    /// True when audio is being decoded.
    pub fn has_audio(&self) -> bool {
        self.mic.is_some() || self.audio.is_some()
    }

    /// When the last video frame was taken: its due time for the test camera, its arrival
    /// for a device. Recording measures how late it is from this.
    pub fn frame_at(&self) -> Instant {
        self.frame_at
    }

    /// Decodes the next video frame into `frame`, skipping audio. `Ok(false)` at the end.
    pub fn next_frame(&mut self, frame: &mut frame::Video) -> Result<bool, CaptureError> {
        let mut ignored = frame::Audio::empty();
        loop {
            match self.next(frame, &mut ignored)? {
                Some(Media::Video) => return Ok(true),
                Some(Media::Audio) => {}
                None => return Ok(false),
            }
        }
    }

    /// Decodes the next video or audio frame, in the order the source delivers them.
    /// `Ok(None)` at the end of the source.
    pub fn next(
        &mut self,
        video: &mut frame::Video,
        audio: &mut frame::Audio,
    ) -> Result<Option<Media>, CaptureError> {
        loop {
            if let Some(sound) = self.mic.as_ref().and_then(crate::mic::Mic::try_next) {
                *audio = sound;
                return Ok(Some(Media::Audio));
            }
            if let Some(kind) = self.pending.take()
                && self.receive(kind, video, audio)?
            {
                self.pending = Some(kind);
                return Ok(Some(self.arrived(kind)));
            }
            match self.packet.read(&mut self.input) {
                Ok(()) => {}
                Err(ffmpeg_next::Error::Eof) => return Ok(None),
                Err(e) => return Err(self.decode_err(e)),
            }
            let kind = match self.packet.stream() {
                i if i == self.video_index => {
                    self.video
                        .send_packet(&self.packet)
                        .map_err(|e| self.decode_err(e))?;
                    Media::Video
                }
                i if self.audio.as_ref().is_some_and(|(a, _)| *a == i) => {
                    if let Some((_, decoder)) = self.audio.as_mut() {
                        decoder.send_packet(&self.packet).map_err(|error| {
                            CaptureError::Decode {
                                source_name: self.name.clone(),
                                error,
                            }
                        })?;
                    }
                    Media::Audio
                }
                _ => continue,
            };
            self.pending = Some(kind);
        }
    }

    /// Takes a decoded frame of `kind`; false when that decoder wants more input.
    fn receive(
        &mut self,
        kind: Media,
        video: &mut frame::Video,
        audio: &mut frame::Audio,
    ) -> Result<bool, CaptureError> {
        let received = match kind {
            Media::Video => self.video.receive_frame(video),
            Media::Audio => match self.audio.as_mut() {
                Some((_, decoder)) => decoder.receive_frame(audio),
                None => return Ok(false),
            },
        };
        match received {
            Ok(()) => Ok(true),
            Err(ffmpeg_next::Error::Other { errno })
                if errno == ffmpeg_next::util::error::EAGAIN =>
            {
                Ok(false)
            }
            Err(ffmpeg_next::Error::Eof) => Ok(false),
            Err(e) => Err(self.decode_err(e)),
        }
    }

    /// Paces a video frame of a synthetic source and notes when it was taken.
    fn arrived(&mut self, kind: Media) -> Media {
        if kind != Media::Video {
            return kind;
        }
        self.frame_at = match self.pacing.as_mut() {
            Some(p) => {
                let started = *p.started.get_or_insert_with(Instant::now);
                let due = started + p.interval * p.frames;
                p.frames += 1;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                due
            }
            None => Instant::now(),
        };
        kind
    }

    fn decode_err(&self, error: ffmpeg_next::Error) -> CaptureError {
        CaptureError::Decode {
            source_name: self.name.clone(),
            error,
        }
    }
}

fn static_input_name(input: &str) -> &'static str {
    KNOWN_INPUTS
        .iter()
        .find(|k| **k == input)
        .copied()
        .unwrap_or("the requested")
}

/// Takes `count` shots from one live camera session, `interval` apart (a burst for a photo
/// strip), each handed to `on_shot` as soon as it is taken with its 1-based number.
pub fn burst(
    source: &Source,
    count: u32,
    interval: Duration,
    mut on_shot: impl FnMut(u32, RgbFrame) -> Result<(), CaptureError>,
) -> Result<(), CaptureError> {
    let mut camera = CameraSource::open(source, false)?;
    let mut decoded = frame::Video::empty();
    let no_frame = |camera: &CameraSource| CaptureError::NoFrame {
        source_name: camera.name().to_owned(),
    };
    if !camera.next_frame(&mut decoded)? {
        return Err(no_frame(&camera));
    }
    let mut next_shot_at = camera.frame_at();
    for shot in 1..=count {
        // The frame taken is the first one at or after the shot's moment.
        while camera.frame_at() < next_shot_at {
            if !camera.next_frame(&mut decoded)? {
                return Err(no_frame(&camera));
            }
        }
        next_shot_at = camera.frame_at() + interval;
        let rgb = to_rgb(&decoded).map_err(|e| camera.decode_err(e))?;
        on_shot(shot, rgb)?;
    }
    Ok(())
}

/// Opens the source, decodes its first frame and converts it to RGB at full size.
pub fn grab_frame(source: &Source) -> Result<RgbFrame, CaptureError> {
    let mut camera = CameraSource::open(source, false)?;
    let mut decoded = frame::Video::empty();
    if !camera.next_frame(&mut decoded)? {
        return Err(CaptureError::NoFrame {
            source_name: camera.name().to_owned(),
        });
    }
    to_rgb(&decoded).map_err(|e| camera.decode_err(e))
}

/// A decoded frame (any pixel format) as packed RGB at its own size.
pub fn to_rgb(decoded: &frame::Video) -> Result<RgbFrame, ffmpeg_next::Error> {
    let (w, h) = (decoded.width(), decoded.height());
    let mut scaler = scaling::Context::get(
        decoded.format(),
        w,
        h,
        Pixel::RGB24,
        w,
        h,
        scaling::Flags::BILINEAR,
    )?;
    let mut rgb = frame::Video::empty();
    scaler.run(decoded, &mut rgb)?;
    let stride = rgb.stride(0);
    let row = w as usize * 3;
    let plane = rgb.data(0);
    let mut data = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        data.extend_from_slice(&plane[y * stride..y * stride + row]);
    }
    Ok(RgbFrame {
        width: w,
        height: h,
        data,
    })
}
