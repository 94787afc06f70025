//! Encoding a camera's or microphone's sound to AAC for MP4 recordings.
//!
//! Sources deliver audio in whatever format and frame length they like (the test camera's
//! tone: 16-bit mono in 1024-sample frames; a USB microphone: 16-bit stereo at 44.1 kHz in
//! 10 ms frames); AAC takes planar float frames of exactly 1024 samples. Frames are converted
//! with libswresample and re-cut to the encoder's length through a small queue.
//! (`ffmpeg-next` does not wrap `AVAudioFifo`; the queue is a few lines of Rust.)

use ffmpeg_next::format::{Sample, sample::Type};
use ffmpeg_next::software::resampling;
use ffmpeg_next::{ChannelLayout, Packet, Rational, codec, frame};

use crate::CaptureError;

/// AAC's sample rates; any other source rate is resampled to 48 kHz.
const AAC_RATES: [u32; 9] = [
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000,
];

/// An open AAC encoder fed with frames of any format, rate and length.
pub(crate) struct AudioEncoder {
    encoder: ffmpeg_next::encoder::Audio,
    layout: ChannelLayout,
    channels: usize,
    rate: u32,
    frame_size: usize,
    /// The resampler for the input format seen last (rebuilt if the source changes).
    resampler: Option<((Sample, ChannelLayout, u32), resampling::Context)>,
    /// Samples waiting for a full encoder frame, one queue per channel.
    queue: Vec<Vec<f32>>,
    next_pts: i64,
    packet: Packet,
}

impl AudioEncoder {
    /// Opens AAC for `channels` (1 or 2; more are mixed down to 2) at `rate` (kept when AAC
    /// supports it, else 48 kHz). `global_header` for MP4.
    pub(crate) fn open(
        rate: u32,
        channels: u16,
        global_header: bool,
    ) -> Result<AudioEncoder, CaptureError> {
        let err = |error| CaptureError::Encoder {
            name: "aac".into(),
            error,
        };
        let codec = ffmpeg_next::encoder::find(codec::Id::AAC)
            .ok_or(ffmpeg_next::Error::EncoderNotFound)
            .map_err(err)?;
        let rate = if AAC_RATES.contains(&rate) {
            rate
        } else {
            48_000
        };
        let channels = channels.clamp(1, 2);
        let layout = ChannelLayout::default(i32::from(channels));
        let mut ctx = codec::context::Context::new_with_codec(codec)
            .encoder()
            .audio()
            .map_err(err)?;
        let rate_i = i32::try_from(rate).map_err(|_| err(ffmpeg_next::Error::InvalidData))?;
        ctx.set_rate(rate_i);
        ctx.set_channel_layout(layout);
        ctx.set_format(Sample::F32(Type::Planar));
        ctx.set_bit_rate(if channels == 1 { 96_000 } else { 160_000 });
        ctx.set_time_base(Rational::new(1, rate_i));
        if global_header {
            ctx.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let encoder = ctx.open_as(codec).map_err(err)?;
        let frame_size = (encoder.frame_size() as usize).max(1);
        Ok(AudioEncoder {
            encoder,
            layout,
            channels: usize::from(channels),
            rate,
            frame_size,
            resampler: None,
            queue: vec![Vec::new(); usize::from(channels)],
            next_pts: 0,
            packet: Packet::empty(),
        })
    }

    /// The opened codec context (for a muxer's stream parameters).
    pub(crate) fn context(&self) -> &ffmpeg_next::encoder::Audio {
        &self.encoder
    }

    /// Packet timestamps count samples.
    pub(crate) fn time_base(&self) -> Rational {
        Rational::new(1, self.rate as i32)
    }

    /// Seconds of sound encoded so far.
    pub(crate) fn seconds(&self) -> f64 {
        self.next_pts as f64 / f64::from(self.rate)
    }

    /// Converts `input`, queues it and encodes every full frame.
    pub(crate) fn encode(
        &mut self,
        input: &frame::Audio,
        on_packet: &mut impl FnMut(&mut Packet),
    ) -> Result<(), CaptureError> {
        if input.samples() == 0 {
            return Ok(());
        }
        let in_layout = match input.channel_layout() {
            l if l.channels() > 0 => l,
            _ => ChannelLayout::default(i32::from(input.channels().max(1))),
        };
        let key = (input.format(), in_layout, input.rate());
        let (rate, layout) = (self.rate, self.layout);
        let resampler = match &mut self.resampler {
            Some((k, r)) if *k == key => r,
            slot => {
                let r = resampling::Context::get(
                    input.format(),
                    in_layout,
                    input.rate(),
                    Sample::F32(Type::Planar),
                    layout,
                    rate,
                )
                .map_err(err)?;
                &mut slot.insert((key, r)).1
            }
        };
        // Room for the rate change and what the resampler holds back.
        let room = input.samples() * rate as usize / input.rate().max(1) as usize + 256;
        let mut out = frame::Audio::new(Sample::F32(Type::Planar), room, layout);
        let mut tagged = input.clone();
        tagged.set_channel_layout(in_layout);
        resampler.run(&tagged, &mut out).map_err(err)?;
        self.push(&out)?;
        self.encode_full_frames(on_packet)
    }

    /// Encodes what is queued (the last frame padded with silence) and flushes the encoder.
    pub(crate) fn finish(
        &mut self,
        on_packet: &mut impl FnMut(&mut Packet),
    ) -> Result<(), CaptureError> {
        self.encode_full_frames(on_packet)?;
        let left = self.queue.first().map_or(0, Vec::len);
        if left > 0 {
            for q in &mut self.queue {
                q.resize(self.frame_size, 0.0);
            }
            self.encode_full_frames(on_packet)?;
        }
        self.encoder.send_eof().map_err(err)?;
        self.drain(on_packet)
    }

    fn push(&mut self, out: &frame::Audio) -> Result<(), CaptureError> {
        let n = out.samples();
        if out.planes() < self.channels {
            return Err(err(ffmpeg_next::Error::InvalidData));
        }
        for (ch, queue) in self.queue.iter_mut().enumerate() {
            let bytes = out.data(ch);
            queue.extend(
                bytes
                    .chunks_exact(4)
                    .take(n)
                    .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        Ok(())
    }

    fn encode_full_frames(
        &mut self,
        on_packet: &mut impl FnMut(&mut Packet),
    ) -> Result<(), CaptureError> {
        while self
            .queue
            .first()
            .is_some_and(|q| q.len() >= self.frame_size)
        {
            let mut f = frame::Audio::new(Sample::F32(Type::Planar), self.frame_size, self.layout);
            f.set_rate(self.rate);
            if f.planes() < self.channels {
                return Err(err(ffmpeg_next::Error::InvalidData));
            }
            for (ch, queue) in self.queue.iter_mut().enumerate() {
                let dst = f.data_mut(ch);
                for (d, s) in dst.chunks_exact_mut(4).zip(queue.drain(..self.frame_size)) {
                    d.copy_from_slice(&s.to_ne_bytes());
                }
            }
            f.set_pts(Some(self.next_pts));
            self.next_pts += self.frame_size as i64;
            self.encoder.send_frame(&f).map_err(err)?;
            self.drain(on_packet)?;
        }
        Ok(())
    }

    fn drain(&mut self, on_packet: &mut impl FnMut(&mut Packet)) -> Result<(), CaptureError> {
        crate::encode::drain_packets(&mut self.encoder, &mut self.packet, on_packet).map_err(err)
    }
}

fn err(error: ffmpeg_next::Error) -> CaptureError {
    CaptureError::Encoder {
        name: "aac".into(),
        error,
    }
}
