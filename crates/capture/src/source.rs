use ffmpeg_next::{format::Pixel, frame, media, software::scaling};

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

/// The video capture devices the system shows (Linux: `/dev/video*`), sorted. Opening them
/// comes with the capture issue; for now the Booth uses the test camera and lists these.
pub fn video_devices() -> Vec<String> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    let mut found: Vec<String> = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("video")
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
                .then(|| format!("/dev/{name}"))
        })
        .collect();
    found.sort();
    found
}

/// A `lavfi` filter graph opened as an input (the test camera is one) that yields decoded
/// frames in the source's own pixel format.
pub struct LavfiSource {
    name: String,
    input: ffmpeg_next::format::context::Input,
    index: usize,
    decoder: ffmpeg_next::decoder::Video,
    packet: ffmpeg_next::Packet,
}

impl std::fmt::Debug for LavfiSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LavfiSource")
            .field("name", &self.name)
            .finish()
    }
}

impl LavfiSource {
    /// Opens the test camera.
    pub fn test_camera(camera: &TestCamera) -> Result<LavfiSource, CaptureError> {
        camera.validate()?;
        Self::open(&camera.graph())
    }

    /// Opens any lavfi graph, e.g. `testsrc2=size=1920x1080:rate=30`.
    pub fn open(graph: &str) -> Result<LavfiSource, CaptureError> {
        crate::init()?;
        let lavfi =
            ffi::find_input_format(c"lavfi").ok_or(CaptureError::MissingInputFormat("lavfi"))?;
        let name = graph.to_owned();
        let input = ffmpeg_next::format::open(&name, &lavfi)
            .map_err(|error| CaptureError::Open {
                source_name: name.clone(),
                error,
            })?
            .input();
        let (index, params) = {
            let stream = input
                .streams()
                .best(media::Type::Video)
                .ok_or_else(|| CaptureError::NoVideo(name.clone()))?;
            (stream.index(), stream.parameters())
        };
        let decoder = ffmpeg_next::codec::context::Context::from_parameters(params)
            .and_then(|c| c.decoder().video())
            .map_err(|error| CaptureError::Decode {
                source_name: name.clone(),
                error,
            })?;
        Ok(LavfiSource {
            name,
            input,
            index,
            decoder,
            packet: ffmpeg_next::Packet::empty(),
        })
    }

    /// Decodes the next frame into `frame`. `Ok(false)` at the end of the source.
    pub fn next_frame(&mut self, frame: &mut frame::Video) -> Result<bool, CaptureError> {
        loop {
            match self.packet.read(&mut self.input) {
                Ok(()) => {}
                Err(ffmpeg_next::Error::Eof) => return Ok(false),
                Err(e) => return Err(self.decode_err(e)),
            }
            if self.packet.stream() != self.index {
                continue;
            }
            self.decoder
                .send_packet(&self.packet)
                .map_err(|e| self.decode_err(e))?;
            match self.decoder.receive_frame(frame) {
                Ok(()) => return Ok(true),
                Err(ffmpeg_next::Error::Other { errno })
                    if errno == ffmpeg_next::util::error::EAGAIN => {}
                Err(e) => return Err(self.decode_err(e)),
            }
        }
    }

    fn decode_err(&self, error: ffmpeg_next::Error) -> CaptureError {
        CaptureError::Decode {
            source_name: self.name.clone(),
            error,
        }
    }
}

/// Takes `count` shots from one live test-camera session, `interval` apart (a burst for a
/// photo strip), each handed to `on_shot` as soon as it is taken with its 1-based number.
/// The source is paced like a real camera: frames arrive at its frame rate.
pub fn burst(
    camera: &TestCamera,
    count: u32,
    interval: std::time::Duration,
    mut on_shot: impl FnMut(u32, RgbFrame) -> Result<(), CaptureError>,
) -> Result<(), CaptureError> {
    let mut source = LavfiSource::test_camera(camera)?;
    let frame_time = std::time::Duration::from_secs_f64(1.0 / f64::from(camera.fps.max(1)));
    let step = (interval.as_secs_f64() * f64::from(camera.fps))
        .round()
        .max(1.0) as u64;
    let started = std::time::Instant::now();
    let mut decoded = frame::Video::empty();
    let mut index = 0u64;
    for shot in 1..=count {
        let wanted = u64::from(shot - 1) * step;
        loop {
            let due = started + frame_time.mul_f64(index as f64);
            if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                std::thread::sleep(wait);
            }
            if !source.next_frame(&mut decoded)? {
                return Err(CaptureError::NoFrame {
                    source_name: camera.graph(),
                });
            }
            index += 1;
            if index > wanted {
                break;
            }
        }
        let rgb = to_rgb(&decoded).map_err(|e| source.decode_err(e))?;
        on_shot(shot, rgb)?;
    }
    Ok(())
}

/// Opens the test camera, decodes its first frame and converts it to RGB at full size.
pub fn grab_frame(camera: &TestCamera) -> Result<RgbFrame, CaptureError> {
    let mut source = LavfiSource::test_camera(camera)?;
    let mut decoded = frame::Video::empty();
    if !source.next_frame(&mut decoded)? {
        return Err(CaptureError::NoFrame {
            source_name: camera.graph(),
        });
    }
    to_rgb(&decoded).map_err(|e| source.decode_err(e))
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
