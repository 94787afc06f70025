//! Enhance: automatic white balance and levels, gentle skin smoothing on face skin only, and
//! sharpening for print. Everything is a pure function of its input (no randomness, no
//! threads whose order matters), so a recipe re-renders to identical pixels.

use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::FaceMesh;

/// What to do; the defaults are the booth's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct EnhanceSettings {
    /// Neutralise colour casts (grey world on the mid-tones).
    pub white_balance: bool,
    /// Stretch the tones between the 0.5th and 99.5th percentiles of brightness.
    pub levels: bool,
    /// Skin smoothing strength, 0 (off) to 1, on face skin only (from the landmarks: the face
    /// oval without eyes, brows and mouth).
    pub skin_smoothing: f32,
}

impl Default for EnhanceSettings {
    fn default() -> Self {
        EnhanceSettings {
            white_balance: true,
            levels: true,
            skin_smoothing: 0.0,
        }
    }
}

/// Largest colour correction a channel gets (a booth's light is never that far off; a photo
/// of a red wall should not turn grey).
const MAX_GAIN: f32 = 1.35;
/// Levels never stretch further than this (a foggy photo gets clearer, not posterised).
const MAX_STRETCH: f32 = 1.6;

/// White balance and levels as one lookup table per channel, measured on `image` and applied.
pub fn auto_tone(image: &mut RgbImage, settings: &EnhanceSettings) {
    if !settings.white_balance && !settings.levels {
        return;
    }
    // Measure on a sample of about 250,000 pixels.
    let step = ((image.width() as u64 * image.height() as u64 / 250_000) as f64)
        .sqrt()
        .max(1.0) as usize;
    let mut sums = [0f64; 3];
    let mut count = 0f64;
    let mut hist = [0u32; 256];
    for y in (0..image.height()).step_by(step) {
        for x in (0..image.width()).step_by(step) {
            let p = image.get_pixel(x, y).0;
            let l = luma(p);
            hist[l as usize] += 1;
            if (25.0..230.0).contains(&l) {
                for c in 0..3 {
                    sums[c] += f64::from(p[c]);
                }
                count += 1.0;
            }
        }
    }
    let mut gains = [1.0f32; 3];
    if settings.white_balance && count > 0.0 {
        let mean = [sums[0] / count, sums[1] / count, sums[2] / count];
        let grey = (mean[0] + mean[1] + mean[2]) / 3.0;
        for c in 0..3 {
            gains[c] = ((grey / mean[c].max(1.0)) as f32).clamp(1.0 / MAX_GAIN, MAX_GAIN);
        }
    }
    let (mut black, mut white) = (0.0f32, 255.0f32);
    if settings.levels {
        let total: u32 = hist.iter().sum();
        let at = |share: f32| {
            let target = (total as f32 * share) as u32;
            let mut seen = 0;
            for (i, n) in hist.iter().enumerate() {
                seen += n;
                if seen > target {
                    return i as f32;
                }
            }
            255.0
        };
        let (lo, hi) = (at(0.005), at(0.995));
        let span = (hi - lo).max(1.0);
        let stretch = (255.0 / span).min(MAX_STRETCH);
        // Keep the stretch centred on the measured range.
        let mid = (lo + hi) / 2.0;
        black = mid - 127.5 / stretch;
        white = mid + 127.5 / stretch;
    }
    let mut lut = [[0u8; 256]; 3];
    for (c, table) in lut.iter_mut().enumerate() {
        for (v, out) in table.iter_mut().enumerate() {
            let balanced = v as f32 * gains[c];
            let levelled = (balanced - black) / (white - black) * 255.0;
            *out = levelled.round().clamp(0.0, 255.0) as u8;
        }
    }
    for p in image.pixels_mut() {
        for c in 0..3 {
            p.0[c] = lut[c][p.0[c] as usize];
        }
    }
}

fn luma(p: [u8; 3]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// Mesh indices of the face oval, and of what skin smoothing must leave alone: eyes with
/// brows, and the lips (MediaPipe's canonical face mesh contours).
const FACE_OVAL: [usize; 36] = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];
/// Brow from its outer to its inner end, then the eye's inner corner and lower lid out to the
/// outer corner: a simple polygon over brow, lids and eye.
const RIGHT_EYE_AND_BROW: [usize; 14] = [
    70, 63, 105, 66, 107, 133, 155, 154, 153, 145, 144, 163, 7, 33,
];
const LEFT_EYE_AND_BROW: [usize; 14] = [
    300, 293, 334, 296, 336, 362, 382, 381, 380, 374, 373, 390, 249, 263,
];
const LIPS: [usize; 20] = [
    61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
];

/// The skin mask of a face over its box [x0, y0, x1, y1) (whole pixels): inside the oval,
/// outside eyes, brows and lips. Rasterised row by row (even-odd rule at pixel centres).
fn skin_mask(mesh: &FaceMesh, [x0, y0, x1, y1]: [u32; 4]) -> Vec<bool> {
    let poly = |idx: &[usize]| -> Vec<(f32, f32)> {
        idx.iter()
            .filter_map(|&i| mesh.points.get(i).map(|p| (p[0], p[1])))
            .collect()
    };
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut mask = vec![false; w * h];
    let fill = |mask: &mut Vec<bool>, poly: &[(f32, f32)], value: bool| {
        let n = poly.len();
        let mut xs = Vec::new();
        for row in 0..h {
            let y = y0 as f32 + row as f32 + 0.5;
            xs.clear();
            for i in 0..n {
                let (a, b) = (poly[i], poly[(i + n - 1) % n]);
                if (a.1 > y) != (b.1 > y) {
                    xs.push((b.0 - a.0) * (y - a.1) / (b.1 - a.1) + a.0);
                }
            }
            xs.sort_by(f32::total_cmp);
            for pair in xs.chunks_exact(2) {
                // Pixel centres strictly inside [pair[0], pair[1]).
                let from = ((pair[0] - x0 as f32 - 0.5).ceil().max(0.0)) as usize;
                let to = ((pair[1] - x0 as f32 - 0.5).ceil().max(0.0) as usize).min(w);
                for m in &mut mask[row * w + from.min(w)..row * w + to] {
                    *m = value;
                }
            }
        }
    };
    fill(&mut mask, &poly(&FACE_OVAL), true);
    fill(&mut mask, &poly(&RIGHT_EYE_AND_BROW), false);
    fill(&mut mask, &poly(&LEFT_EYE_AND_BROW), false);
    fill(&mut mask, &poly(&LIPS), false);
    mask
}

/// Point in polygon (even-odd rule).
#[cfg(test)]
fn inside(poly: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut odd = false;
    let n = poly.len();
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + n - 1) % n]);
        if (a.1 > y) != (b.1 > y) && x < (b.0 - a.0) * (y - a.1) / (b.1 - a.1) + a.0 {
            odd = !odd;
        }
    }
    odd
}

/// Smooths the skin of each face: an edge-preserving blur (neighbours that differ much in
/// colour count less), blended in at `strength` and only where the skin mask is.
pub fn smooth_skin(image: &mut RgbImage, faces: &[FaceMesh], strength: f32) {
    let strength = strength.clamp(0.0, 1.0);
    if strength <= 0.0 {
        return;
    }
    let source = image.clone();
    let (w, h) = image.dimensions();
    for mesh in faces {
        let b = mesh.bounds();
        let face_h = (b[3] - b[1]).max(1.0);
        // A radius of about 1.5% of the face: pores and blemishes, not features.
        let r = ((face_h * 0.015).round() as i64).clamp(1, 12);
        let (x0, y0) = (b[0].max(0.0) as u32, b[1].max(0.0) as u32);
        let (x1, y1) = (
            (b[2].ceil().max(0.0) as u32).min(w),
            (b[3].ceil().max(0.0) as u32).min(h),
        );
        if x1 <= x0 || y1 <= y0 {
            continue;
        }
        let mask = skin_mask(mesh, [x0, y0, x1, y1]);
        let mw = (x1 - x0) as usize;
        let stride = w as usize * 3;
        let rows = &mut image.as_mut()[y0 as usize * stride..y1 as usize * stride];
        rows.par_chunks_mut(stride)
            .zip(mask.par_chunks(mw))
            .enumerate()
            .for_each(|(i, (row, inside))| {
                let y = y0 + i as u32;
                for (x, _) in (x0..x1).zip(inside).filter(|(_, m)| **m) {
                    let centre = source.get_pixel(x, y).0;
                    let mut acc = [0f32; 3];
                    let mut weight = 0f32;
                    for dy in (-r..=r).step_by(r.max(1) as usize / 2 + 1) {
                        for dx in (-r..=r).step_by(r.max(1) as usize / 2 + 1) {
                            let (sx, sy) = (x as i64 + dx, y as i64 + dy);
                            if sx < 0 || sy < 0 || sx >= w as i64 || sy >= h as i64 {
                                continue;
                            }
                            let p = source.get_pixel(sx as u32, sy as u32).0;
                            let diff: f32 = (0..3)
                                .map(|c| (f32::from(p[c]) - f32::from(centre[c])).abs())
                                .sum();
                            // Range weight: colours more than ~30 levels apart barely count.
                            let wgt = 1.0 / (1.0 + (diff / 30.0).powi(2));
                            for c in 0..3 {
                                acc[c] += f32::from(p[c]) * wgt;
                            }
                            weight += wgt;
                        }
                    }
                    let px = &mut row[x as usize * 3..x as usize * 3 + 3];
                    for c in 0..3 {
                        let smooth = acc[c] / weight.max(1e-6);
                        // `as` saturates; adding a half rounds (no call to `roundf`).
                        px[c] = (f32::from(centre[c]) * (1.0 - strength) + smooth * strength + 0.5)
                            as u8;
                    }
                }
            });
    }
}

/// Unsharp mask for print, on the final image: `amount` of the difference to a 3x3 binomial
/// blur, ignoring differences under 2 levels (noise). Works on the raw rows.
pub fn sharpen(image: &RgbImage, amount: f32) -> RgbImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut out = image.clone();
    if w < 3 || h < 3 || amount <= 0.0 {
        return out;
    }
    // amount / 16 in 1/256ths: fixed point keeps it exact and lets the loop vectorise.
    let k = (amount * 16.0).round() as i32;
    let src = image.as_raw();
    let stride = w * 3;
    let inner = stride - 6;
    out.par_chunks_mut(stride)
        .enumerate()
        .skip(1)
        .take(h - 2)
        .for_each(|(y, row)| {
            let (up, mid, down) = (
                &src[(y - 1) * stride..y * stride],
                &src[y * stride..(y + 1) * stride],
                &src[(y + 1) * stride..(y + 2) * stride],
            );
            let v = |r: &[u8], i: usize| i32::from(r[i]);
            for (i, out) in row[3..3 + inner].iter_mut().enumerate() {
                // Binomial 1-2-1 in both directions, sum 16, centred on i + 3.
                let blur = v(up, i)
                    + 2 * v(up, i + 3)
                    + v(up, i + 6)
                    + 2 * (v(mid, i) + 2 * v(mid, i + 3) + v(mid, i + 6))
                    + v(down, i)
                    + 2 * v(down, i + 3)
                    + v(down, i + 6);
                let p = v(mid, i + 3);
                let d = p * 16 - blur;
                // Edges only: flat areas (noise, skin) are left alone.
                let sharpened = (p + ((k * d + 128) >> 8)).clamp(0, 255) as u8;
                *out = if d.abs() >= 32 { sharpened } else { p as u8 };
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row-by-row mask agrees with the point test at every pixel centre.
    #[test]
    fn the_rasterised_skin_mask_matches_point_in_polygon() {
        // A mesh whose points lie on a circle (oval) with eyes and lips as smaller circles.
        let mut points = vec![[0.0f32; 3]; 468];
        let ring = |idx: &[usize], cx: f32, cy: f32, r: f32, points: &mut Vec<[f32; 3]>| {
            for (k, &i) in idx.iter().enumerate() {
                let a = k as f32 / idx.len() as f32 * std::f32::consts::TAU;
                points[i] = [cx + r * a.cos(), cy + r * a.sin(), 0.0];
            }
        };
        ring(&FACE_OVAL, 50.0, 50.0, 40.0, &mut points);
        ring(&RIGHT_EYE_AND_BROW, 35.0, 40.0, 7.0, &mut points);
        ring(&LEFT_EYE_AND_BROW, 65.0, 40.0, 7.0, &mut points);
        ring(&LIPS, 50.0, 70.0, 9.0, &mut points);
        let mesh = FaceMesh {
            points,
            presence: 1.0,
        };
        let mask = skin_mask(&mesh, [0, 0, 100, 100]);
        let poly = |idx: &[usize]| -> Vec<(f32, f32)> {
            idx.iter()
                .map(|&i| (mesh.points[i][0], mesh.points[i][1]))
                .collect()
        };
        let mut skin = 0;
        for y in 0..100 {
            for x in 0..100 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let expected = inside(&poly(&FACE_OVAL), px, py)
                    && !inside(&poly(&RIGHT_EYE_AND_BROW), px, py)
                    && !inside(&poly(&LEFT_EYE_AND_BROW), px, py)
                    && !inside(&poly(&LIPS), px, py);
                assert_eq!(mask[y * 100 + x], expected, "({x}, {y})");
                skin += usize::from(expected);
            }
        }
        assert!(skin > 4000);
    }
}
