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
    if reader.format().is_none() {
        return Err(bad("it is not an image (neither JPEG nor PNG)".into()));
    }
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
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(|e| bad(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

/// Reads and decodes the photo at `path` ([`decode_photo`]).
pub fn load_photo(path: &Path) -> Result<RgbImage, PortraitError> {
    let bytes = std::fs::read(path).map_err(|e| PortraitError::BadPhoto {
        reason: format!("cannot read {}: {e}", path.display()),
    })?;
    decode_photo(&bytes)
}
