//! One photo analysed: its faces (boxes, keypoints, eyes, roll, presence), its quality and
//! the crop of every format. What `popbooth portrait analyze --json` prints.

use std::collections::BTreeMap;

use image::RgbImage;
use serde::Serialize;

use crate::framing::{FORMATS, FaceFrame, crop_for};
use crate::quality::{FaceFacts, Quality, assess};
use crate::{Models, PortraitError, checked_faces};

/// A face found and checked.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct AnalyzedFace {
    /// [x0, y0, x1, y1] in image pixels.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// The detector's confidence.
    pub score: f32,
    /// Right eye, left eye, nose tip, mouth centre, right ear, left ear (the subject's),
    /// [x, y] in image pixels.
    pub keypoints: [[f32; 2]; 6],
    pub eyes_open: bool,
    /// Lid gap over eye width, right and left (closed under 0.15).
    pub eye_openness: [f32; 2],
    /// Head roll in degrees (the eye line's angle).
    pub roll: f32,
    /// The landmark model's probability that this is a face.
    pub presence: f32,
}

/// What [`analyze`] finds.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Analysis {
    pub width: u32,
    pub height: u32,
    pub faces: Vec<AnalyzedFace>,
    /// Detections the landmark model did not take for faces (posters, animals, patterns).
    pub rejected_faces: u32,
    pub quality: Quality,
    /// Per format (`4x6`, `6x4`, `5x7`, `strip`, `1x1`, `4x5`, `9x16`): [x0, y0, x1, y1] in
    /// image pixels, or null when no good crop exists.
    pub crops: BTreeMap<String, Option<[f32; 4]>>,
    /// Why a format has no crop.
    pub crop_notes: BTreeMap<String, String>,
}

/// Detects, checks and frames the faces of `image` (upright: see `decode_photo`).
pub fn analyze(models: &Models, image: &RgbImage) -> Result<Analysis, PortraitError> {
    let (checked, rejected_faces) = checked_faces(models, image)?;
    let mut faces = Vec::new();
    for (d, mesh) in &checked {
        let (r, l) = mesh.eye_openness();
        faces.push(AnalyzedFace {
            bbox: [d.bbox.x, d.bbox.y, d.bbox.x + d.bbox.w, d.bbox.y + d.bbox.h],
            score: d.score,
            keypoints: d.keypoints,
            eyes_open: mesh.eyes_open(),
            eye_openness: [r, l],
            roll: mesh.roll_degrees(),
            presence: mesh.presence,
        });
    }
    let (w, h) = image.dimensions();
    let quality = assess(
        image,
        &faces
            .iter()
            .map(|f| FaceFacts {
                bbox: f.bbox,
                eyes_open: f.eyes_open,
            })
            .collect::<Vec<_>>(),
    );
    let frames: Vec<FaceFrame> = faces
        .iter()
        .map(|f| FaceFrame {
            bbox: f.bbox,
            eyes_y: (f.keypoints[0][1] + f.keypoints[1][1]) / 2.0,
        })
        .collect();
    let mut crops = BTreeMap::new();
    let mut crop_notes = BTreeMap::new();
    for format in &FORMATS {
        match crop_for(format, &frames, w, h) {
            Ok(c) => {
                crops.insert(format.name.to_owned(), Some(c));
            }
            Err(why) => {
                crops.insert(format.name.to_owned(), None);
                crop_notes.insert(format.name.to_owned(), why);
            }
        }
    }
    Ok(Analysis {
        width: w,
        height: h,
        faces,
        rejected_faces,
        quality,
        crops,
        crop_notes,
    })
}
