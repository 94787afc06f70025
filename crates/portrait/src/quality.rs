//! Shot quality: is the face sharp, is the exposure usable, are the eyes open, is a face cut
//! off, is there a face at all. A score in 0..1 with readable reasons, and the best shot of a
//! burst.

use image::{GrayImage, RgbImage};
use serde::Serialize;

/// A shot's quality: 1 is a keeper; each problem lowers it and says why.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Quality {
    pub score: f32,
    pub reasons: Vec<String>,
    /// Sharpness of the faces: variance of the Laplacian on the faces scaled to 128 px high
    /// (sharp portraits measure well over 100; blurred ones under 40).
    pub sharpness: f32,
    /// Share of the faces' pixels (the whole picture's when there is no face) that are blown
    /// out (all channels >= 250) and crushed (all <= 5).
    pub clipped_highlights: f32,
    pub clipped_shadows: f32,
    /// Mean brightness of the faces, 0-255 (of the picture when there is no face).
    pub face_brightness: f32,
}

/// Under this face sharpness a shot is "blurry".
pub const BLURRY: f32 = 40.0;
/// Over this share of blown or crushed face pixels the exposure is a problem.
const CLIPPED: f32 = 0.05;
/// Faces darker or brighter than this on average (0-255) are badly exposed.
const DARK_FACE: f32 = 45.0;
const BRIGHT_FACE: f32 = 225.0;

/// What quality needs to know about a face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceFacts {
    pub bbox: [f32; 4],
    pub eyes_open: bool,
}

/// Scores `image` with its faces.
pub fn assess(image: &RgbImage, faces: &[FaceFacts]) -> Quality {
    let (w, h) = image.dimensions();
    let mut reasons = Vec::new();
    let mut score = 1.0f32;
    let regions: Vec<[f32; 4]> = if faces.is_empty() {
        vec![[0.0, 0.0, w as f32, h as f32]]
    } else {
        faces.iter().map(|f| f.bbox).collect()
    };
    let (highlights, shadows, face_brightness) = exposure(image, &regions);
    if faces.is_empty() {
        reasons.push("no face".to_owned());
        score = 0.0;
    }
    let sharpness = faces
        .iter()
        .map(|f| face_sharpness(image, f.bbox))
        .fold(f32::INFINITY, f32::min);
    let sharpness = if sharpness.is_finite() {
        sharpness
    } else {
        0.0
    };
    if !faces.is_empty() && sharpness < BLURRY {
        reasons.push(format!(
            "blurry (face sharpness {sharpness:.0}, under {BLURRY:.0})"
        ));
        score *= 0.35;
    }
    let closed = faces.iter().filter(|f| !f.eyes_open).count();
    if closed > 0 {
        reasons.push(if faces.len() == 1 {
            "eyes closed".to_owned()
        } else {
            format!("eyes closed on {closed} of {} faces", faces.len())
        });
        score *= 0.4;
    }
    let margin = 0.01 * w.min(h) as f32;
    let cut = faces
        .iter()
        .filter(|f| {
            f.bbox[0] < margin
                || f.bbox[1] < margin
                || f.bbox[2] > w as f32 - margin
                || f.bbox[3] > h as f32 - margin
        })
        .count();
    if cut > 0 {
        reasons.push("a face is cut off by the edge".to_owned());
        score *= 0.5;
    }
    if highlights > CLIPPED || face_brightness > BRIGHT_FACE {
        reasons.push(format!(
            "overexposed ({:.0}% of the face blown out)",
            highlights * 100.0
        ));
        score *= 0.6;
    } else if shadows > CLIPPED || face_brightness < DARK_FACE {
        reasons.push(format!(
            "underexposed (face brightness {face_brightness:.0} of 255)"
        ));
        score *= 0.6;
    }
    Quality {
        score,
        reasons,
        sharpness,
        clipped_highlights: highlights,
        clipped_shadows: shadows,
        face_brightness,
    }
}

/// The index of the best shot of a burst: the highest score, the sharper on a tie.
pub fn best_of(shots: &[Quality]) -> Option<usize> {
    shots
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| {
            a.score
                .total_cmp(&b.score)
                .then(a.sharpness.total_cmp(&b.sharpness))
        })
        .map(|(i, _)| i)
}

/// Shares of blown-out and crushed pixels in `regions` ([x0, y0, x1, y1]) and their mean
/// brightness, sampling about 40,000 pixels.
fn exposure(image: &RgbImage, regions: &[[f32; 4]]) -> (f32, f32, f32) {
    let (w, h) = image.dimensions();
    let (mut hi, mut lo, mut n, mut sum) = (0u64, 0u64, 0u64, 0f64);
    for r in regions {
        let x0 = r[0].clamp(0.0, w as f32) as u32;
        let y0 = r[1].clamp(0.0, h as f32) as u32;
        let x1 = r[2].clamp(0.0, w as f32) as u32;
        let y1 = r[3].clamp(0.0, h as f32) as u32;
        let area = u64::from(x1.saturating_sub(x0)) * u64::from(y1.saturating_sub(y0));
        let step = ((area as f64 / 40_000.0).sqrt().floor() as usize).max(1);
        for y in (y0..y1).step_by(step) {
            for x in (x0..x1).step_by(step) {
                let p = image.get_pixel(x, y).0;
                n += 1;
                sum += 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
                if p.iter().all(|&c| c >= 250) {
                    hi += 1;
                } else if p.iter().all(|&c| c <= 5) {
                    lo += 1;
                }
            }
        }
    }
    let n = n.max(1) as f32;
    (hi as f32 / n, lo as f32 / n, (sum / f64::from(n)) as f32)
}

/// Variance of the Laplacian of the face, grey, scaled to 128 px high (so that the measure
/// does not depend on the face's size in pixels).
fn face_sharpness(image: &RgbImage, bbox: [f32; 4]) -> f32 {
    let (w, h) = image.dimensions();
    let x0 = bbox[0].clamp(0.0, w as f32 - 1.0) as u32;
    let y0 = bbox[1].clamp(0.0, h as f32 - 1.0) as u32;
    let x1 = (bbox[2].clamp(0.0, w as f32) as u32).max(x0 + 1);
    let y1 = (bbox[3].clamp(0.0, h as f32) as u32).max(y0 + 1);
    let face = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    let side_w = ((128.0 * (x1 - x0) as f32 / (y1 - y0) as f32).round() as u32).max(3);
    let small = image::imageops::resize(&face, side_w, 128, image::imageops::FilterType::Triangle);
    let grey: GrayImage = image::DynamicImage::ImageRgb8(small).into_luma8();
    let (gw, gh) = grey.dimensions();
    let mut values = Vec::with_capacity((gw * gh) as usize);
    for y in 1..gh - 1 {
        for x in 1..gw - 1 {
            let c = |dx: i32, dy: i32| {
                f32::from(grey.get_pixel((x as i32 + dx) as u32, (y as i32 + dy) as u32)[0])
            };
            values.push(c(-1, 0) + c(1, 0) + c(0, -1) + c(0, 1) - 4.0 * c(0, 0));
        }
    }
    let n = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n
}
