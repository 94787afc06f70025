//! Reading a photo the way the portrait assistant needs it: decoded to RGB with its EXIF
//! orientation applied before anything else (a phone or DSLR held upright stores the pixels
//! sideways and says so in EXIF), and with limits, so that a decompression bomb (a tiny file
//! that claims 50000x50000 pixels) is refused before any memory is taken.

use std::io::Cursor;
use std::path::Path;

use image::{ImageDecoder, ImageReader, Limits, RgbImage};

use crate::PortraitError;

/// Largest picture accepted: 100 MP (a medium-format frame) and its RGBA decode.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Decodes `bytes` (JPEG, PNG) to upright RGB.
pub fn decode_photo(bytes: &[u8]) -> Result<RgbImage, PortraitError> {
    let bad = |reason: String| PortraitError::BadPhoto { reason };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(e.to_string()))?;
    match reader.format() {
        None => return Err(bad("it is not an image (neither JPEG nor PNG)".into())),
        // JPEG decoders fill a cut-off file with grey instead of failing: a JPEG must end
        // with its end-of-image marker (some cameras pad or append a little after it).
        Some(image::ImageFormat::Jpeg) if !has_jpeg_end(bytes) => {
            return Err(bad("the JPEG is cut off (no end-of-image marker)".into()));
        }
        Some(_) => {}
    }
    let is_jpeg = reader.format() == Some(image::ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| bad(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(bad(format!(
            "{w}x{h} is not a photo Popbooth takes (at most {} MP)",
            MAX_PIXELS / 1_000_000
        )));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // JPEGs through libjpeg-turbo (faster); what it cannot read (CMYK) through `image`.
    let turbo = is_jpeg
        .then(|| crate::jpeg::decode_rgb(bytes))
        .flatten()
        .filter(|i| i.dimensions() == (w, h));
    let mut image = match turbo {
        Some(rgb) => image::DynamicImage::ImageRgb8(rgb),
        None => image::DynamicImage::from_decoder(decoder).map_err(|e| bad(e.to_string()))?,
    };
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

/// True when the JPEG's end-of-image marker (FF D9) is within its last kilobyte.
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Reads and decodes the photo at `path` ([`decode_photo`]).
pub fn load_photo(path: &Path) -> Result<RgbImage, PortraitError> {
    let bytes = std::fs::read(path).map_err(|e| PortraitError::BadPhoto {
        reason: format!("cannot read {}: {e}", path.display()),
    })?;
    decode_photo(&bytes)
}
