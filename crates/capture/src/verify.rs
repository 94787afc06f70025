//! The encoder self-test: a short clip encoded, decoded back and compared with the source.
//! Some drivers open fine and then emit all-green or black frames; this catches them.

use ffmpeg_next::{Packet, codec, frame};

use crate::{CameraSource, CaptureError, EncoderSettings, VideoEncoder};

/// Frames in the test clip and its size (small: the check must be quick at start-up).
const FRAMES: usize = 15;
const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;

/// Mean absolute luma difference (0-255) above which a decoded clip is "not the picture".
/// Good encodes at these settings differ by 1 to 3 levels; green or black frames by tens.
pub const MAX_MEAN_LUMA_DIFF: f64 = 8.0;

/// Encodes the test clip with `encoder`, decodes it with FFmpeg's decoder for the same codec
/// and returns the mean absolute luma difference to the source. Fails when the encoder
/// fails, frames go missing, or the picture is not the source's.
pub fn self_test(encoder: &str) -> Result<f64, CaptureError> {
    let fail = |reason: String| CaptureError::SelfTest {
        encoder: encoder.to_owned(),
        reason,
    };
    let mut source = CameraSource::lavfi(&format!("testsrc2=size={WIDTH}x{HEIGHT}:rate=30"))?;
    let mut enc = VideoEncoder::open(&EncoderSettings::new(encoder, WIDTH, HEIGHT, 30))?;
    let codec_id = enc.context().id();
    let mut sources: Vec<Vec<u8>> = Vec::with_capacity(FRAMES);
    let mut packets: Vec<Packet> = Vec::new();
    let mut keep = |p: &mut Packet| packets.push(p.clone());
    let mut f = frame::Video::empty();
    for _ in 0..FRAMES {
        if !source.next_frame(&mut f)? {
            return Err(fail("the test source ended early".into()));
        }
        sources.push(luma(&f));
        enc.encode(&mut f, &mut keep)?;
    }
    enc.finish(&mut keep)?;

    let decoder_codec = ffmpeg_next::decoder::find(codec_id)
        .ok_or_else(|| fail(format!("no decoder for {codec_id:?}")))?;
    let mut decoder = codec::context::Context::new_with_codec(decoder_codec)
        .decoder()
        .video()
        .map_err(|e| fail(format!("decoder: {e}")))?;
    let mut decoded = Vec::with_capacity(FRAMES);
    let mut out = frame::Video::empty();
    for p in &packets {
        decoder
            .send_packet(p)
            .map_err(|e| fail(format!("its stream does not decode: {e}")))?;
        while decoder.receive_frame(&mut out).is_ok() {
            decoded.push(luma(&out));
        }
    }
    let _ = decoder.send_eof();
    while decoder.receive_frame(&mut out).is_ok() {
        decoded.push(luma(&out));
    }
    if decoded.len() != FRAMES {
        return Err(fail(format!(
            "{} of {FRAMES} frames came back",
            decoded.len()
        )));
    }
    let total: u64 = sources
        .iter()
        .zip(&decoded)
        .map(|(a, b)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| u64::from(x.abs_diff(*y)))
                .sum::<u64>()
        })
        .sum();
    let mean = total as f64 / (FRAMES as f64 * f64::from(WIDTH * HEIGHT));
    if mean > MAX_MEAN_LUMA_DIFF {
        return Err(fail(format!(
            "the decoded picture is not the source (mean luma difference {mean:.1})"
        )));
    }
    Ok(mean)
}

/// The luma plane, rows packed (8-bit formats: YUV 4:2:0 and NV12 both start with it).
fn luma(f: &frame::Video) -> Vec<u8> {
    let (w, h, stride) = (f.width() as usize, f.height() as usize, f.stride(0));
    let plane = f.data(0);
    let mut out = Vec::with_capacity(w * h);
    for row in 0..h {
        out.extend_from_slice(&plane[row * stride..row * stride + w]);
    }
    out
}
