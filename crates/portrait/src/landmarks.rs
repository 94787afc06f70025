//! The face mesh: 468 landmarks per face from MediaPipe's face landmark model, run on a
//! square crop around the detection, turned upright by the eye line (as MediaPipe does), and
//! what they tell: how open each eye is, the head's roll, and whether it is a face at all.

use image::RgbImage;
use serde::Serialize;

use crate::{Face, ModelKind, Models, PortraitError};

/// Input side of the landmark model.
const SIZE: usize = 192;
/// The crop is the detection's box enlarged this much (MediaPipe's `scale` for landmarks).
const CROP_SCALE: f32 = 1.5;

/// Mesh indices of the eye contours (MediaPipe's canonical face mesh): for each eye, the
/// two corners, then upper and lower lid pairs.
const RIGHT_EYE: EyeIndices = EyeIndices {
    corners: (33, 133),
    lids: [(160, 144), (159, 145), (158, 153)],
};
const LEFT_EYE: EyeIndices = EyeIndices {
    corners: (362, 263),
    lids: [(385, 380), (386, 374), (387, 373)],
};

struct EyeIndices {
    corners: (usize, usize),
    lids: [(usize, usize); 3],
}

/// Eye openness (lid gap over eye width) under which an eye counts as closed. Open eyes
/// measure about 0.25-0.35 on the mesh, closed ones under 0.1.
pub const CLOSED_EYE: f32 = 0.15;

/// Face-presence probability under which a detection is not a customer's face (an animal
/// close-up, a poster, a pattern).
pub const MIN_PRESENCE: f32 = 0.5;

/// The landmarks of one face, in image pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceMesh {
    /// 468 points: x, y in image pixels, z relative depth (same scale as x).
    pub points: Vec<[f32; 3]>,
    /// The model's probability that the crop holds a face.
    pub presence: f32,
}

impl FaceMesh {
    /// Openness of the subject's right and left eye: mean lid gap over eye width.
    pub fn eye_openness(&self) -> (f32, f32) {
        (self.openness(&RIGHT_EYE), self.openness(&LEFT_EYE))
    }

    fn openness(&self, eye: &EyeIndices) -> f32 {
        let p = |i: usize| self.points.get(i).copied().unwrap_or([0.0; 3]);
        let dist =
            |a: [f32; 3], b: [f32; 3]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let width = dist(p(eye.corners.0), p(eye.corners.1));
        if width <= f32::EPSILON {
            return 0.0;
        }
        let gap: f32 = eye.lids.iter().map(|&(u, l)| dist(p(u), p(l))).sum::<f32>() / 3.0;
        gap / width
    }

    /// True when both eyes are open.
    pub fn eyes_open(&self) -> bool {
        let (r, l) = self.eye_openness();
        r >= CLOSED_EYE && l >= CLOSED_EYE
    }

    /// The head's roll in degrees: the angle of the line from the subject's right eye to the
    /// left one (positive: clockwise on screen).
    pub fn roll_degrees(&self) -> f32 {
        let centre = |e: &EyeIndices| {
            let (a, b) = (self.points[e.corners.0], self.points[e.corners.1]);
            ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
        };
        if self.points.len() < 468 {
            return 0.0;
        }
        let (r, l) = (centre(&RIGHT_EYE), centre(&LEFT_EYE));
        (l.1 - r.1).atan2(l.0 - r.0).to_degrees()
    }

    /// The same mesh in another picture's pixels: shifted by (`dx`, `dy`), then scaled.
    pub fn transformed(&self, dx: f32, dy: f32, scale: f32) -> FaceMesh {
        FaceMesh {
            points: self
                .points
                .iter()
                .map(|p| [(p[0] + dx) * scale, (p[1] + dy) * scale, p[2] * scale])
                .collect(),
            presence: self.presence,
        }
    }

    /// The box around all points.
    pub fn bounds(&self) -> [f32; 4] {
        let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for p in &self.points {
            b[0] = b[0].min(p[0]);
            b[1] = b[1].min(p[1]);
            b[2] = b[2].max(p[0]);
            b[3] = b[3].max(p[1]);
        }
        b
    }
}

/// A rotated square region of the image: centre, side and angle (radians).
#[derive(Debug, Clone, Copy)]
struct Roi {
    cx: f32,
    cy: f32,
    side: f32,
    angle: f32,
}

impl Roi {
    /// MediaPipe's landmark region for a detection: the box's centre, its longer side times
    /// 1.5, turned so that the eyes (keypoints 0 and 1) are level.
    fn for_face(face: &Face) -> Roi {
        let (cx, cy) = face.bbox.center();
        let [re, le] = [face.keypoints[0], face.keypoints[1]];
        // From the subject's right eye (left on screen) to the left eye.
        let angle = (le[1] - re[1]).atan2(le[0] - re[0]);
        Roi {
            cx,
            cy,
            side: face.bbox.w.max(face.bbox.h) * CROP_SCALE,
            angle,
        }
    }

    /// Image coordinates of crop pixel (u, v) of a `SIZE` x `SIZE` crop.
    fn image_point(&self, u: f32, v: f32) -> (f32, f32) {
        let s = self.side / SIZE as f32;
        let (dx, dy) = ((u - SIZE as f32 / 2.0) * s, (v - SIZE as f32 / 2.0) * s);
        let (sin, cos) = self.angle.sin_cos();
        (self.cx + dx * cos - dy * sin, self.cy + dx * sin + dy * cos)
    }

    /// The crop as the model's input: NHWC float32 in [0, 1], bilinear, black outside.
    fn tensor(&self, image: &RgbImage) -> Vec<f32> {
        let mut out = vec![0.0f32; SIZE * SIZE * 3];
        for v in 0..SIZE {
            for u in 0..SIZE {
                let (x, y) = self.image_point(u as f32 + 0.5, v as f32 + 0.5);
                let px = bilinear(image, x - 0.5, y - 0.5);
                let i = (v * SIZE + u) * 3;
                for c in 0..3 {
                    out[i + c] = px[c] / 255.0;
                }
            }
        }
        out
    }
}

/// The colour at (x, y) (pixel centres at integers), black outside the image.
fn bilinear(image: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |xi: i64, yi: i64| -> [f32; 3] {
        if xi < 0 || yi < 0 || xi >= w || yi >= h {
            return [0.0; 3];
        }
        let p = image.get_pixel(xi as u32, yi as u32);
        [p[0] as f32, p[1] as f32, p[2] as f32]
    };
    let (a, b, c, d) = (
        at(x0, y0),
        at(x0 + 1, y0),
        at(x0, y0 + 1),
        at(x0 + 1, y0 + 1),
    );
    let mut out = [0.0; 3];
    for k in 0..3 {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        out[k] = top + (bottom - top) * fy;
    }
    out
}

/// Runs the landmark model on `face` of `image`.
pub fn face_mesh(
    models: &Models,
    image: &RgbImage,
    face: &Face,
) -> Result<FaceMesh, PortraitError> {
    let roi = Roi::for_face(face);
    let out = models.run(
        ModelKind::FaceLandmark,
        roi.tensor(image),
        &["conv2d_21", "conv2d_31"],
    )?;
    let (raw, presence) = (&out[0], &out[1]);
    if raw.len() != 468 * 3 || presence.is_empty() {
        return Err(PortraitError::Inference {
            model: ModelKind::FaceLandmark.name(),
            reason: format!(
                "unexpected output sizes {} and {}",
                raw.len(),
                presence.len()
            ),
        });
    }
    let scale = roi.side / SIZE as f32;
    let points = raw
        .chunks_exact(3)
        .map(|p| {
            let (x, y) = roi.image_point(p[0], p[1]);
            [x, y, p[2] * scale]
        })
        .collect();
    Ok(FaceMesh {
        points,
        presence: 1.0 / (1.0 + (-presence[0].clamp(-100.0, 100.0)).exp()),
    })
}

/// The faces of `image` that the landmark model takes for faces: each detection with its
/// mesh, and how many detections were rejected (presence under [`MIN_PRESENCE`]).
pub fn checked_faces(
    models: &Models,
    image: &RgbImage,
) -> Result<(Vec<(Face, FaceMesh)>, u32), PortraitError> {
    let mut faces = Vec::new();
    let mut rejected = 0;
    for d in crate::FaceDetector::new(models).detect(image)? {
        let mesh = face_mesh(models, image, &d)?;
        if mesh.presence < MIN_PRESENCE {
            rejected += 1;
        } else {
            faces.push((d, mesh));
        }
    }
    Ok((faces, rejected))
}
