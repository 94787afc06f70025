//! JPEG in and out through libjpeg-turbo (the `turbojpeg` crate, built from its vendored
//! source): its SIMD decoder reads a 12 MP photo in about two thirds of the time of the
//! `image` crate's, and its encoder writes a 300 dpi 4x6 four times faster than
//! `jpeg-encoder`. The JFIF density and the ICC profile, which TurboJPEG does not write, are
//! set on the encoded file's segments with `img-parts`.

use std::cell::RefCell;

use image::RgbImage;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::{Bytes, ImageICC};

use crate::PortraitError;

thread_local! {
    /// The buffer of a photo this thread is done with ([`recycle`]), for its next decode.
    static SPARE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Gives the pixels of a decoded photo back for the next decode on this thread: a 12 MP
/// photo is 36 MB, and memory fresh from the system costs a page fault every 4 KB (about
/// a fifth of the decode).
pub fn recycle(photo: RgbImage) {
    SPARE.with(|s| *s.borrow_mut() = photo.into_raw());
}

/// The pixels of a JPEG as RGB, or `None` when libjpeg-turbo cannot produce RGB from it
/// (CMYK, a broken stream): the caller then tries the `image` crate.
pub(crate) fn decode_rgb(bytes: &[u8]) -> Option<RgbImage> {
    let mut decompressor = turbojpeg::Decompressor::new().ok()?;
    let header = decompressor.read_header(bytes).ok()?;
    let (w, h) = (header.width, header.height);
    let mut pixels = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
    pixels.clear();
    pixels.resize(w.checked_mul(h)?.checked_mul(3)?, 0);
    let image = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: w,
        pitch: w * 3,
        height: h,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor.decompress(bytes, image).ok()?;
    RgbImage::from_raw(u32::try_from(w).ok()?, u32::try_from(h).ok()?, pixels)
}

/// What goes into a JPEG besides the pixels.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JpegOptions<'a> {
    /// Dots per inch, written in the JFIF header.
    pub dpi: Option<u16>,
    /// An ICC profile, written as APP2 `ICC_PROFILE` segments.
    pub icc: Option<&'a [u8]>,
}

/// `img` as a JPEG at `quality` (4:2:0).
pub(crate) fn encode(
    img: &RgbImage,
    quality: u8,
    options: JpegOptions<'_>,
) -> Result<Vec<u8>, PortraitError> {
    let err = |e: turbojpeg::Error| PortraitError::Encode(e.to_string());
    let mut compressor = turbojpeg::Compressor::new().map_err(err)?;
    compressor.set_quality(i32::from(quality)).map_err(err)?;
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .map_err(err)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let pixels = compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: img.as_raw().as_slice(),
            width: w,
            pitch: w * 3,
            height: h,
            format: turbojpeg::PixelFormat::RGB,
        })
        .map_err(err)?;
    if options.dpi.is_none() && options.icc.is_none() {
        return Ok(pixels);
    }
    let mut jpeg = Jpeg::from_bytes(Bytes::from(pixels))
        .map_err(|e| PortraitError::Encode(format!("re-reading the JPEG: {e}")))?;
    if let Some(dpi) = options.dpi {
        let segments = jpeg.segments_mut();
        segments.retain(|s| !is_jfif(s));
        segments.insert(0, JpegSegment::new_with_contents(markers::APP0, jfif(dpi)));
    }
    if let Some(icc) = options.icc {
        jpeg.set_icc_profile(Some(Bytes::copy_from_slice(icc)));
    }
    let mut out = Vec::with_capacity(jpeg.len());
    jpeg.encoder()
        .write_to(&mut out)
        .map_err(|e| PortraitError::Encode(e.to_string()))?;
    Ok(out)
}

fn is_jfif(segment: &JpegSegment) -> bool {
    segment.marker() == markers::APP0 && segment.contents().starts_with(b"JFIF\0")
}

/// A JFIF 1.01 APP0 body: density in dots per inch, no thumbnail.
fn jfif(dpi: u16) -> Bytes {
    let mut body = b"JFIF\0\x01\x01\x01".to_vec();
    body.extend_from_slice(&dpi.to_be_bytes());
    body.extend_from_slice(&dpi.to_be_bytes());
    body.extend_from_slice(&[0, 0]);
    Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_the_picture_and_writes_density_and_profile() {
        let img = RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
        });
        let icc = b"not really a profile, but bytes to carry".as_slice();
        let bytes = encode(
            &img,
            95,
            JpegOptions {
                dpi: Some(300),
                icc: Some(icc),
            },
        )
        .expect("encodes");
        let back = decode_rgb(&bytes).expect("decodes");
        assert_eq!(back.dimensions(), (64, 48));
        let worst = img
            .as_raw()
            .iter()
            .zip(back.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max();
        assert!(worst.is_some_and(|d| d < 12), "{worst:?}");
        let jpeg = Jpeg::from_bytes(Bytes::from(bytes)).expect("parses");
        let app0: Vec<_> = jpeg.segments_by_marker(markers::APP0).collect();
        assert_eq!(app0.len(), 1);
        assert_eq!(&app0[0].contents()[7..12], &[1, 1, 44, 1, 44]);
        assert_eq!(jpeg.icc_profile().as_deref(), Some(icc));
        assert!(decode_rgb(b"\xFF\xD8 not a jpeg").is_none());
    }
}
