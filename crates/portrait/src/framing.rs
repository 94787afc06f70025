//! Framing: where to crop a photo for each print and social format. The eyes sit near the
//! upper third, there is head-room above the hair, every face of a group is inside, and a
//! head is never cut. When no crop can do that (a face at the photo's edge, faces too far
//! apart for the format, too few pixels for a sharp print) the format gets no crop and a
//! reason instead.

use serde::Serialize;

/// A print or social format: its name and its shape (width over height).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, specta::Type)]
pub struct Format {
    pub name: &'static str,
    /// Width over height.
    pub aspect: f32,
    /// The shorter side must have at least this many pixels (150 dpi for prints, 540 px for
    /// social posts).
    pub min_short_side: u32,
}

/// The formats Popbooth frames for: 4x6 both ways, 5x7, a cell of a 2x6 strip (2 x 1.5 in),
/// square, 4:5 and 9:16.
pub const FORMATS: [Format; 7] = [
    Format {
        name: "4x6",
        aspect: 4.0 / 6.0,
        min_short_side: 600,
    },
    Format {
        name: "6x4",
        aspect: 6.0 / 4.0,
        min_short_side: 600,
    },
    Format {
        name: "5x7",
        aspect: 5.0 / 7.0,
        min_short_side: 750,
    },
    Format {
        name: "strip",
        aspect: 2.0 / 1.5,
        min_short_side: 225,
    },
    Format {
        name: "1x1",
        aspect: 1.0,
        min_short_side: 540,
    },
    Format {
        name: "4x5",
        aspect: 4.0 / 5.0,
        min_short_side: 540,
    },
    Format {
        name: "9x16",
        aspect: 9.0 / 16.0,
        min_short_side: 540,
    },
];

/// What framing needs of a face: its detection box [x0, y0, x1, y1] and eye centres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceFrame {
    pub bbox: [f32; 4],
    pub eyes_y: f32,
}

impl FaceFrame {
    /// The whole head: the detection box (brows to chin) grown for hair above, ears at the
    /// sides and the chin below.
    fn head(&self) -> [f32; 4] {
        let [x0, y0, x1, y1] = self.bbox;
        let (w, h) = (x1 - x0, y1 - y0);
        [x0 - 0.2 * w, y0 - 0.55 * h, x1 + 0.2 * w, y1 + 0.12 * h]
    }
}

/// A crop, or why there is none.
pub type Crop = Result<[f32; 4], String>;

/// Face height over crop height for a single portrait (head and shoulders).
const FACE_SHARE: f32 = 0.26;

/// The crop of `format` for faces `faces` in a `width` x `height` photo.
pub fn crop_for(format: &Format, faces: &[FaceFrame], width: u32, height: u32) -> Crop {
    let (iw, ih) = (width as f32, height as f32);
    if faces.is_empty() {
        return Err("no face to frame".into());
    }
    let heads: Vec<[f32; 4]> = faces.iter().map(FaceFrame::head).collect();
    let union = heads
        .iter()
        .fold([f32::MAX, f32::MAX, f32::MIN, f32::MIN], |u, h| {
            [
                u[0].min(h[0]),
                u[1].min(h[1]),
                u[2].max(h[2]),
                u[3].max(h[3]),
            ]
        });
    if union[0] < 0.0 || union[1] < 0.0 || union[2] > iw || union[3] > ih {
        return Err("a head is cut by the edge of the photo".into());
    }
    let face_h = faces
        .iter()
        .map(|f| f.bbox[3] - f.bbox[1])
        .fold(0.0, f32::max);
    let eyes_y = faces.iter().map(|f| f.eyes_y).sum::<f32>() / faces.len() as f32;
    let a = format.aspect;
    // The size the faces ask for: a head-and-shoulders share for the largest face, and room
    // for all heads with a margin at the sides and the bodies below.
    let mut crop_h = face_h / FACE_SHARE;
    let group_w = (union[2] - union[0]) * 1.25;
    crop_h = crop_h.max(group_w / a);
    // Never more than the photo.
    crop_h = crop_h.min(ih).min(iw / a);
    let crop_w = crop_h * a;
    if crop_w < (union[2] - union[0]) * 1.05 {
        return Err(format!(
            "the faces do not fit side by side in a {} crop of this photo",
            format.name
        ));
    }
    // Eyes on the upper third, centred on the heads; then kept inside the photo.
    let cx = (union[0] + union[2]) / 2.0;
    let x0 = (cx - crop_w / 2.0).clamp(0.0, iw - crop_w);
    let y0 = (eyes_y - crop_h / 3.0).clamp(0.0, ih - crop_h);
    let crop = [x0, y0, x0 + crop_w, y0 + crop_h];
    // Every head inside, with its head-room.
    let cut = heads.iter().any(|h| {
        h[0] < crop[0] - 0.5 || h[1] < crop[1] - 0.5 || h[2] > crop[2] + 0.5 || h[3] > crop[3] + 0.5
    });
    if cut {
        return Err(format!("a {} crop would cut a head", format.name));
    }
    if crop_w.min(crop_h) < format.min_short_side as f32 {
        return Err(format!(
            "too few pixels for a sharp {} ({:.0} px on the short side, {} needed)",
            format.name,
            crop_w.min(crop_h),
            format.min_short_side
        ));
    }
    Ok(crop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x0: f32, y0: f32, side: f32) -> FaceFrame {
        FaceFrame {
            bbox: [x0, y0, x0 + side, y0 + side],
            eyes_y: y0 + side * 0.35,
        }
    }

    #[test]
    fn a_single_portrait_puts_the_eyes_on_the_upper_third_with_head_room() {
        let f = face(1800.0, 900.0, 400.0);
        let crop = crop_for(&FORMATS[0], &[f], 4000, 3000).expect("a crop");
        let (w, h) = (crop[2] - crop[0], crop[3] - crop[1]);
        assert!((w / h - 4.0 / 6.0).abs() < 1e-3);
        let third = crop[1] + h / 3.0;
        assert!(
            (f.eyes_y - third).abs() < 1.0,
            "eyes at {} third at {third}",
            f.eyes_y
        );
        assert!(crop[1] < f.head()[1], "head-room");
        assert!(crop[0] >= 0.0 && crop[3] <= 3000.0);
    }

    #[test]
    fn a_group_keeps_every_face_or_says_why_not() {
        let group: Vec<FaceFrame> = (0..5)
            .map(|i| face(400.0 + i as f32 * 650.0, 1000.0, 250.0))
            .collect();
        for format in &FORMATS {
            match crop_for(format, &group, 4000, 3000) {
                Ok(c) => {
                    for f in &group {
                        let h = f.head();
                        assert!(
                            h[0] >= c[0] && h[2] <= c[2] && h[1] >= c[1] && h[3] <= c[3],
                            "{}",
                            format.name
                        );
                    }
                }
                Err(why) => assert!(why.contains("side by side"), "{}: {why}", format.name),
            }
        }
        // Landscape formats can hold the row of five; a 9:16 cannot.
        assert!(crop_for(&FORMATS[1], &group, 4000, 3000).is_ok());
        assert!(crop_for(&FORMATS[6], &group, 4000, 3000).is_err());
    }

    #[test]
    fn faces_at_the_edge_or_too_small_have_no_crop() {
        let edge = crop_for(&FORMATS[0], &[face(3800.0, 20.0, 300.0)], 4000, 3000);
        assert!(edge.is_err_and(|e| e.contains("edge")));
        let small = crop_for(&FORMATS[0], &[face(200.0, 200.0, 40.0)], 640, 480);
        assert!(small.is_err_and(|e| e.contains("too few pixels")));
        assert!(crop_for(&FORMATS[0], &[], 4000, 3000).is_err());
    }
}
