use image::RgbImage;
use serde::Serialize;

use crate::{ModelKind, Models, PortraitError};

/// A box in image pixels: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, specta::Type)]
pub struct BoxF {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl BoxF {
    pub fn center(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    pub fn iou(&self, o: &BoxF) -> f32 {
        let ix = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let iy = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        inter / (self.w * self.h + o.w * o.h - inter)
    }
}

/// A detected face in image pixels. Keypoints, in order: the subject's right eye, left eye,
/// nose tip, mouth centre, right ear tragion, left ear tragion.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Face {
    pub bbox: BoxF,
    pub score: f32,
    pub keypoints: [[f32; 2]; 6],
}

/// One BlazeFace model: input size, anchor layout, output names and MediaPipe's threshold.
struct Blaze {
    kind: ModelKind,
    size: usize,
    /// (feature map side, anchors per cell), in output order.
    layers: &'static [(usize, usize)],
    regressors: &'static str,
    scores: &'static str,
    threshold: f32,
}

const SHORT: Blaze = Blaze {
    kind: ModelKind::FaceDetectionShortRange,
    size: 128,
    layers: &[(16, 2), (8, 6)],
    regressors: "regressors",
    scores: "classificators",
    threshold: 0.5,
};

const FULL: Blaze = Blaze {
    kind: ModelKind::FaceDetectionFullRange,
    size: 192,
    layers: &[(48, 1)],
    regressors: "Identity",
    scores: "Identity_1",
    threshold: 0.6,
};

/// MediaPipe's overlap threshold for weighted non-maximum suppression.
const NMS_IOU: f32 = 0.3;

/// Longest side of the working copy detection runs on: detectors see 128-192 px, so a 12 MP
/// photo is first reduced once (area averaging from the raw buffer, fast) instead of
/// resampled per model.
const WORK_SIDE: u32 = 1024;
/// Side of the square tiles the full-range model also runs on, in working-copy pixels, and
/// their step (a quarter overlap, so that a face cut by one tile is whole in the next).
const TILE: u32 = 384;
const TILE_STEP: u32 = 288;

/// Finds faces with both BlazeFace models (short range for close faces, full range for the
/// small faces of a group) on the whole picture, and with the full-range model on
/// overlapping tiles too (the faces of a group of five at booth distance are 10-15 px at
/// 192 px for the whole picture, too small; in a tile they are 25-35 px), and merges all
/// detections with weighted non-maximum suppression. The tiles run where the person mask
/// shows someone whom no face found explains (`Unexplained`), or all of them when the
/// faces found are small or there are none: a single guest costs no tile.
#[derive(Debug)]
pub struct FaceDetector<'m> {
    models: &'m Models,
}

impl<'m> FaceDetector<'m> {
    pub fn new(models: &'m Models) -> Self {
        FaceDetector { models }
    }

    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, PortraitError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Err(PortraitError::EmptyImage {
                width: w,
                height: h,
            });
        }
        // The working copy (1024 px) defines the tiles; the detectors read its half (512 px):
        // a 384 px tile of the working copy is exactly a 192 px model input there, no resize.
        let (work, s1) = crate::pixels::reduce_to_side(image, WORK_SIDE);
        let (half, s2) = crate::pixels::reduce_to_side(&work, WORK_SIDE / 2);
        let mut candidates = self.run(&SHORT, &half)?;
        candidates.extend(self.run(&FULL, &half)?);
        let (ww, wh) = work.dimensions();
        let (hw, hh) = half.dimensions();
        if ww.max(wh) > TILE {
            // Tiles only where the person mask shows someone that no face found so far
            // accounts for (a single guest: none; a group: around the ones missed). With no
            // face found at all, or with faces near the whole picture's limit (under 1.5 times
            // the smallest it finds: others may be just under it, and too small for the
            // person mask as well), every tile.
            let seen = weighted_nms(candidates.clone(), NMS_IOU);
            let whole = FULL.size as f32 / hw.max(hh) as f32;
            let near_limit = seen.iter().any(|f| f.bbox.w * whole < 1.5 * SMALLEST_FACE);
            let unexplained = if seen.is_empty() || near_limit {
                None
            } else {
                let mask = crate::matte::model_mask(self.models, &half)?;
                Some(Unexplained::new(&mask, &seen, hw, hh))
            };
            for ty in tile_starts(wh) {
                for tx in tile_starts(ww) {
                    let (x, y) = (((tx as f32) * s2) as u32, ((ty as f32) * s2) as u32);
                    let side = (TILE as f32 * s2).round() as u32;
                    let (tw, th) = (
                        side.min(hw.saturating_sub(x)),
                        side.min(hh.saturating_sub(y)),
                    );
                    if tw < 16 || th < 16 {
                        continue;
                    }
                    if unexplained
                        .as_ref()
                        .is_some_and(|u| !u.someone_in([x, y, tw, th]))
                    {
                        continue;
                    }
                    let tile = crate::pixels::copy_region(&half, [x, y, tw, th]);
                    candidates.extend(self.run(&FULL, &tile)?.into_iter().map(|mut f| {
                        f.shift(x as f32, y as f32);
                        f
                    }));
                }
            }
        }
        let mut faces = weighted_nms(candidates, NMS_IOU);
        for f in &mut faces {
            f.scale(1.0 / (s1 * s2));
        }
        Ok(faces)
    }

    fn run(&self, model: &Blaze, image: &RgbImage) -> Result<Vec<Face>, PortraitError> {
        let letterbox = Letterbox::new(image.width(), image.height());
        let input = letterbox.tensor(image, model.size);
        let out = self
            .models
            .run(model.kind, input, &[model.regressors, model.scores])?;
        let (regressors, scores) = (&out[0], &out[1]);
        let anchors = anchors(model.layers);
        if scores.len() != anchors.len() || regressors.len() != anchors.len() * 16 {
            return Err(PortraitError::Inference {
                model: model.kind.name(),
                reason: format!(
                    "unexpected output sizes {} and {}",
                    regressors.len(),
                    scores.len()
                ),
            });
        }
        let size = model.size as f32;
        let mut faces = Vec::new();
        for (i, ((ax, ay), logit)) in anchors.iter().zip(scores).enumerate() {
            let score = sigmoid(logit.clamp(-100.0, 100.0));
            if score < model.threshold {
                continue;
            }
            let r = &regressors[i * 16..i * 16 + 16];
            let (cx, cy) = (ax + r[0] / size, ay + r[1] / size);
            let (bw, bh) = (r[2] / size, r[3] / size);
            let (x0, y0) = letterbox.to_image(cx - bw / 2.0, cy - bh / 2.0);
            let (x1, y1) = letterbox.to_image(cx + bw / 2.0, cy + bh / 2.0);
            let mut keypoints = [[0.0; 2]; 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                let (kx, ky) =
                    letterbox.to_image(ax + r[4 + 2 * k] / size, ay + r[5 + 2 * k] / size);
                *kp = [kx, ky];
            }
            faces.push(Face {
                bbox: BoxF {
                    x: x0,
                    y: y0,
                    w: x1 - x0,
                    h: y1 - y0,
                },
                score,
                keypoints,
            });
        }
        Ok(faces)
    }
}

/// Smallest face the full-range model finds in a tile, in tile (detector input) pixels.
const SMALLEST_FACE: f32 = 14.0;

/// Where the person mask shows the top of someone (a person cell with no person above it:
/// the crown of a head, the line of shoulders) that no face found so far accounts for. A
/// found face explains its own head (its box, a little wider and higher for hair) and the
/// shoulders below it; a neighbour's head beside it stays unexplained.
struct Unexplained {
    cells: Vec<bool>,
    side: usize,
    cell_w: f32,
    cell_h: f32,
}

impl Unexplained {
    fn new(mask: &crate::matte::Plane, faces: &[Face], width: u32, height: u32) -> Unexplained {
        let side = mask.w;
        let (cell_w, cell_h) = (width as f32 / side as f32, height as f32 / mask.h as f32);
        let explained = |x: f32, y: f32| {
            faces.iter().any(|f| {
                let (cx, _) = f.bbox.center();
                let (b, bottom) = (&f.bbox, f.bbox.y + f.bbox.h);
                let head = (x - cx).abs() <= b.w && y >= b.y - 0.75 * b.h && y <= bottom;
                let shoulders = (x - cx).abs() <= 2.5 * b.w && y > bottom;
                head || shoulders
            })
        };
        let person = |i: usize| mask.v[i] > 0.5;
        let cells = (0..mask.v.len())
            .map(|i| {
                let (x, y) = (
                    ((i % side) as f32 + 0.5) * cell_w,
                    ((i / side) as f32 + 0.5) * cell_h,
                );
                let top = person(i) && (i < side || !person(i - side));
                top && !explained(x, y)
            })
            .collect();
        Unexplained {
            cells,
            side,
            cell_w,
            cell_h,
        }
    }

    /// Whether region [x, y, w, h] holds an unexplained top as wide as the crown of the
    /// smallest face (half its width).
    fn someone_in(&self, [x, y, w, h]: [u32; 4]) -> bool {
        let min_cells = (SMALLEST_FACE / 2.0 / self.cell_w).round().max(1.0) as usize;
        let (cx0, cx1) = (
            (x as f32 / self.cell_w) as usize,
            (((x + w) as f32 / self.cell_w) as usize).min(self.side),
        );
        let rows = self.cells.len() / self.side.max(1);
        let (cy0, cy1) = (
            (y as f32 / self.cell_h) as usize,
            (((y + h) as f32 / self.cell_h) as usize).min(rows),
        );
        (cy0..cy1)
            .flat_map(|cy| &self.cells[cy * self.side + cx0..cy * self.side + cx1.max(cx0)])
            .filter(|c| **c)
            .count()
            >= min_cells
    }
}

/// Where the tiles along a side of `len` start: every `TILE_STEP`, the last one flush with
/// the end.
fn tile_starts(len: u32) -> Vec<u32> {
    if len <= TILE {
        return vec![0];
    }
    let mut starts: Vec<u32> = (0..len - TILE).step_by(TILE_STEP as usize).collect();
    starts.push(len - TILE);
    starts
}

impl Face {
    fn shift(&mut self, dx: f32, dy: f32) {
        self.bbox.x += dx;
        self.bbox.y += dy;
        for k in &mut self.keypoints {
            k[0] += dx;
            k[1] += dy;
        }
    }

    fn scale(&mut self, s: f32) {
        self.bbox = BoxF {
            x: self.bbox.x * s,
            y: self.bbox.y * s,
            w: self.bbox.w * s,
            h: self.bbox.h * s,
        };
        for k in &mut self.keypoints {
            k[0] *= s;
            k[1] *= s;
        }
    }
}

/// The image centred on a square canvas (side = its longer side), as the detectors expect.
struct Letterbox {
    side: f32,
    pad_x: f32,
    pad_y: f32,
    width: u32,
    height: u32,
}

impl Letterbox {
    fn new(width: u32, height: u32) -> Self {
        let side = width.max(height) as f32;
        Letterbox {
            side,
            pad_x: (side - width as f32) / 2.0,
            pad_y: (side - height as f32) / 2.0,
            width,
            height,
        }
    }

    /// NHWC float32 in [-1, 1] at `size` x `size`, padding black (-1).
    fn tensor(&self, image: &RgbImage, size: usize) -> Vec<f32> {
        let scale = size as f32 / self.side;
        let rw = ((self.width as f32 * scale).round() as u32).clamp(1, size as u32);
        let rh = ((self.height as f32 * scale).round() as u32).clamp(1, size as u32);
        let small = if (rw, rh) == image.dimensions() {
            image.clone()
        } else {
            crate::pixels::resize_region(image, [0, 0, image.width(), image.height()], rw, rh)
        };
        let ox = (size - rw as usize) / 2;
        let oy = (size - rh as usize) / 2;
        let mut out = vec![-1.0f32; size * size * 3];
        for (x, y, px) in small.enumerate_pixels() {
            let i = ((oy + y as usize) * size + ox + x as usize) * 3;
            for c in 0..3 {
                out[i + c] = px[c] as f32 / 127.5 - 1.0;
            }
        }
        out
    }

    /// Normalised letterbox coordinates back to image pixels.
    fn to_image(&self, u: f32, v: f32) -> (f32, f32) {
        (u * self.side - self.pad_x, v * self.side - self.pad_y)
    }
}

/// SSD anchor centres, row-major over each feature map, the anchors of a cell consecutive.
fn anchors(layers: &[(usize, usize)]) -> Vec<(f32, f32)> {
    let mut out = Vec::new();
    for &(fm, per_cell) in layers {
        for y in 0..fm {
            for x in 0..fm {
                let c = ((x as f32 + 0.5) / fm as f32, (y as f32 + 0.5) / fm as f32);
                out.extend(std::iter::repeat_n(c, per_cell));
            }
        }
    }
    out
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// MediaPipe's weighted non-maximum suppression: overlapping detections are averaged,
/// weighted by score, keeping the best score.
fn weighted_nms(mut faces: Vec<Face>, iou: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(best) = faces.first().cloned() {
        let (group, rest): (Vec<Face>, Vec<Face>) = faces
            .into_iter()
            .partition(|f| f.bbox.iou(&best.bbox) > iou);
        faces = rest;
        let total: f32 = group.iter().map(|f| f.score).sum();
        let mut merged = Face {
            bbox: BoxF {
                x: 0.0,
                y: 0.0,
                w: 0.0,
                h: 0.0,
            },
            score: best.score,
            keypoints: [[0.0; 2]; 6],
        };
        for f in &group {
            let wgt = f.score / total;
            merged.bbox.x += f.bbox.x * wgt;
            merged.bbox.y += f.bbox.y * wgt;
            merged.bbox.w += f.bbox.w * wgt;
            merged.bbox.h += f.bbox.h * wgt;
            for (m, k) in merged.keypoints.iter_mut().zip(&f.keypoints) {
                m[0] += k[0] * wgt;
                m[1] += k[1] * wgt;
            }
        }
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_counts_match_the_models() {
        assert_eq!(anchors(SHORT.layers).len(), 896);
        assert_eq!(anchors(FULL.layers).len(), 2304);
        // First anchor of the short model: centre of the first 8-px cell, twice.
        let a = anchors(SHORT.layers);
        assert_eq!(a[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[512], (0.5 / 8.0, 0.5 / 8.0));
    }

    #[test]
    fn letterbox_round_trips_image_coordinates() {
        let lb = Letterbox::new(400, 200);
        // The image's centre is the square's centre; its corners sit inside the padding.
        assert_eq!(lb.to_image(0.5, 0.5), (200.0, 100.0));
        assert_eq!(lb.to_image(0.0, 0.25), (0.0, 0.0));
        assert_eq!(lb.to_image(1.0, 0.75), (400.0, 200.0));
    }

    fn face(x: f32, score: f32) -> Face {
        Face {
            bbox: BoxF {
                x,
                y: 0.0,
                w: 10.0,
                h: 10.0,
            },
            score,
            keypoints: [[x, 0.0]; 6],
        }
    }

    #[test]
    fn weighted_nms_averages_overlaps_and_keeps_separate_faces() {
        let out = weighted_nms(vec![face(0.0, 0.9), face(2.0, 0.6), face(50.0, 0.7)], 0.3);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        assert!((out[0].bbox.x - 0.8).abs() < 1e-5, "{}", out[0].bbox.x);
        assert_eq!(out[1].bbox.x, 50.0);
    }

    /// Two people side by side in a 100x100 mask; only the left one's face was found. Her
    /// head and shoulders are explained, her neighbour's head is not.
    #[test]
    fn the_mask_points_at_people_whose_face_was_missed() {
        let mut v = vec![0.0f32; 100 * 100];
        let mut person = |cx: usize| {
            for y in 20..100 {
                // A head 20 wide from y 20, shoulders 60 wide from y 45.
                let half = if y < 45 { 10 } else { 30 };
                for x in cx.saturating_sub(half)..(cx + half).min(100) {
                    v[y * 100 + x] = 0.9;
                }
            }
        };
        person(25);
        person(75);
        let mask = crate::matte::Plane { w: 100, h: 100, v };
        let mut found = face(15.0, 0.9);
        found.bbox = BoxF {
            x: 15.0,
            y: 22.0,
            w: 20.0,
            h: 22.0,
        };
        let u = Unexplained::new(&mask, std::slice::from_ref(&found), 100, 100);
        assert!(!u.someone_in([0, 0, 50, 100]), "her own head and shoulders");
        assert!(u.someone_in([55, 0, 45, 100]), "the neighbour's head");
        // With both found, nothing is left.
        let mut other = found.clone();
        other.bbox.x = 65.0;
        let u = Unexplained::new(&mask, &[found, other], 100, 100);
        assert!(!u.someone_in([0, 0, 100, 100]));
    }
}
