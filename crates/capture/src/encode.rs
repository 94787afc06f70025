//! Encoding decoded frames with one FFmpeg video encoder.

use std::ffi::CString;

use ffmpeg_next::software::scaling;
use ffmpeg_next::{Dictionary, Packet, Rational, codec, format::Pixel, frame, picture};

use crate::{CaptureError, ffi};

/// What to open: the encoder by FFmpeg name and the stream it will get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderSettings {
    /// e.g. `libx264`, `h264_nvenc`.
    pub encoder: String,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// The encoder's speed preset (`veryfast`, ...), when it has one.
    pub preset: Option<String>,
    /// Frames between key frames (None: the encoder's default).
    pub gop: Option<u32>,
    /// Put codec headers in the stream parameters (MP4 needs this) instead of in-band.
    pub global_header: bool,
    /// The pixel format the encoder is opened for (YUV 4:2:0 unless said otherwise). Frames
    /// of another format or size are converted on the way in; VAAPI and QSV encoders get
    /// NV12 uploaded to hardware surfaces whatever this says.
    pub format: Pixel,
    /// Extra encoder options (FFmpeg's AVOptions by name).
    pub options: Vec<(String, String)>,
}

impl EncoderSettings {
    /// `encoder` at `width`x`height` and `fps`, everything else default.
    pub fn new(encoder: &str, width: u32, height: u32, fps: u32) -> Self {
        EncoderSettings {
            encoder: encoder.into(),
            width,
            height,
            fps,
            preset: None,
            gop: None,
            global_header: false,
            format: Pixel::YUV420P,
            options: Vec::new(),
        }
    }
}

/// An open encoder. Frames go in with [`VideoEncoder::encode`]; packets come out through the
/// callback, in decoding order.
pub struct VideoEncoder {
    name: String,
    encoder: ffmpeg_next::encoder::Video,
    packet: Packet,
    next_pts: i64,
    time_base: Rational,
    /// What the encoder takes in system memory (for hardware encoders: what is uploaded).
    input: (u32, u32, Pixel),
    /// Converts frames of another size or format; rebuilt when the source changes.
    converter: Option<((u32, u32, Pixel), scaling::Context)>,
    converted: frame::Video,
    /// VAAPI/QSV: the device their surfaces live on (kept alive as long as the encoder).
    hw_device: Option<ffi::HwDevice>,
    /// Fault injection for tests of the fallback: fail the frame after this many.
    fail_after: Option<u64>,
}

/// The hardware surface format of encoders that take only hardware frames (VAAPI, QSV).
pub(crate) fn hardware_frames(encoder: &str) -> Option<(&'static str, Pixel)> {
    if encoder.ends_with("_vaapi") {
        Some(("vaapi", Pixel::VAAPI))
    } else if encoder.ends_with("_qsv") {
        Some(("qsv", Pixel::QSV))
    } else {
        None
    }
}

impl std::fmt::Debug for VideoEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoEncoder")
            .field("name", &self.name)
            .finish()
    }
}

impl VideoEncoder {
    /// Opens a system-memory encoder for frames of `settings.format`, threads chosen by the encoder
    /// (as the `ffmpeg` tool does).
    pub fn open(settings: &EncoderSettings) -> Result<VideoEncoder, CaptureError> {
        crate::init()?;
        let err = |error| CaptureError::Encoder {
            name: settings.encoder.clone(),
            error,
        };
        let codec = ffmpeg_next::encoder::find_by_name(&settings.encoder)
            .ok_or(ffmpeg_next::Error::EncoderNotFound)
            .map_err(err)?;
        let mut ctx = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(err)?;
        ctx.set_width(settings.width);
        ctx.set_height(settings.height);
        ctx.set_format(settings.format);
        let mut input_format = settings.format;
        let mut hw_device = None;
        if let Some((kind, surface)) = hardware_frames(&settings.encoder) {
            let kind_c = CString::new(kind).map_err(|_| err(ffmpeg_next::Error::Bug))?;
            let device = ffi::HwDevice::create(&kind_c).map_err(err)?;
            device
                .attach_frames(
                    &mut ctx,
                    surface.into(),
                    Pixel::NV12.into(),
                    settings.width,
                    settings.height,
                )
                .map_err(err)?;
            input_format = Pixel::NV12;
            hw_device = Some(device);
        }
        let fps = i32::try_from(settings.fps).unwrap_or(30).max(1);
        ctx.set_time_base(Rational::new(1, fps));
        ctx.set_frame_rate(Some(Rational::new(fps, 1)));
        if let Some(gop) = settings.gop {
            ctx.set_gop(gop);
        }
        if settings.global_header {
            ctx.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        ctx.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: 0,
            ..Default::default()
        });
        let mut options = Dictionary::new();
        if let Some(preset) = &settings.preset {
            options.set("preset", preset);
        }
        for (k, v) in &settings.options {
            options.set(k, v);
        }
        quiet_options(&settings.encoder, &mut options);
        let encoder = ctx.open_as_with(codec, options).map_err(err)?;
        Ok(VideoEncoder {
            name: settings.encoder.clone(),
            encoder,
            packet: Packet::empty(),
            next_pts: 0,
            time_base: Rational::new(1, fps),
            input: (settings.width, settings.height, input_format),
            converter: None,
            converted: frame::Video::empty(),
            hw_device,
            fail_after: None,
        })
    }

    /// Makes [`VideoEncoder::encode`] fail from frame `n` on, as a driver that gives out in
    /// the middle of a recording does (tests of the software fallback).
    #[doc(hidden)]
    pub fn fail_after(&mut self, n: u64) {
        self.fail_after = Some(n);
    }

    /// FFmpeg's name of the encoder.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Encodes `frame` (any size and pixel format: it is converted when it is not what the
    /// encoder takes), stamping it with the next timestamp. Its picture type is cleared so
    /// that the encoder picks key frames itself (decoders mark every raw frame as a key
    /// frame, which would force an all-intra stream).
    pub fn encode(
        &mut self,
        frame: &mut frame::Video,
        on_packet: &mut impl FnMut(&mut Packet),
    ) -> Result<(), CaptureError> {
        if self.fail_after.is_some_and(|n| self.next_pts as u64 >= n) {
            return Err(self.err(ffmpeg_next::Error::External));
        }
        frame.set_pts(Some(self.next_pts));
        frame.set_kind(picture::Type::None);
        self.next_pts += 1;
        let (w, h, format) = self.input;
        let frame: &frame::Video =
            if (frame.width(), frame.height(), frame.format()) == (w, h, format) {
                frame
            } else {
                let from = (frame.width(), frame.height(), frame.format());
                let scaler = match &mut self.converter {
                    Some((source, scaler)) if *source == from => scaler,
                    slot => {
                        let scaler = scaling::Context::get(
                            from.2,
                            from.0,
                            from.1,
                            format,
                            w,
                            h,
                            scaling::Flags::BILINEAR,
                        )
                        .map_err(|e| CaptureError::Encoder {
                            name: self.name.clone(),
                            error: e,
                        })?;
                        &mut slot.insert((from, scaler)).1
                    }
                };
                scaler
                    .run(frame, &mut self.converted)
                    .map_err(|error| CaptureError::Encoder {
                        name: self.name.clone(),
                        error,
                    })?;
                self.converted.set_pts(frame.pts());
                self.converted.set_kind(picture::Type::None);
                &self.converted
            };
        if self.hw_device.is_some() {
            let surface = ffi::upload_frame(&mut self.encoder, frame).map_err(|e| self.err(e))?;
            self.encoder.send_frame(&surface).map_err(|e| self.err(e))?;
        } else {
            self.encoder.send_frame(frame).map_err(|e| self.err(e))?;
        }
        self.drain(on_packet)
    }

    /// Flushes the encoder: the last packets come out through `on_packet`.
    pub fn finish(&mut self, on_packet: &mut impl FnMut(&mut Packet)) -> Result<(), CaptureError> {
        self.encoder.send_eof().map_err(|e| self.err(e))?;
        self.drain(on_packet)
    }

    fn drain(&mut self, on_packet: &mut impl FnMut(&mut Packet)) -> Result<(), CaptureError> {
        drain_packets(&mut self.encoder, &mut self.packet, on_packet).map_err(|e| self.err(e))
    }

    /// The opened codec context (for a muxer's stream parameters and time base).
    pub fn context(&self) -> &ffmpeg_next::encoder::Video {
        &self.encoder
    }

    /// The encoder's time base: packet timestamps count in it.
    pub fn time_base(&self) -> Rational {
        self.time_base
    }

    fn err(&self, error: ffmpeg_next::Error) -> CaptureError {
        CaptureError::Encoder {
            name: self.name.clone(),
            error,
        }
    }
}

/// Hands every packet `encoder` (video or audio) has ready to `on_packet`; done when it
/// wants more input or has finished.
pub(crate) fn drain_packets(
    encoder: &mut ffmpeg_next::encoder::Encoder,
    packet: &mut Packet,
    on_packet: &mut impl FnMut(&mut Packet),
) -> Result<(), ffmpeg_next::Error> {
    loop {
        match encoder.receive_packet(packet) {
            Ok(()) => on_packet(packet),
            Err(ffmpeg_next::Error::Other { errno })
                if errno == ffmpeg_next::util::error::EAGAIN =>
            {
                return Ok(());
            }
            Err(ffmpeg_next::Error::Eof) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Options that keep chatty encoder libraries from printing to the terminal themselves
/// (x265 writes its banner to stderr, past FFmpeg's log level).
pub(crate) fn quiet_options(encoder: &str, options: &mut Dictionary) {
    if encoder == "libx265" {
        options.set("x265-params", "log-level=error");
    }
}
