//! Rendering: a recipe (what to do to a shot, as versioned JSON) applied to photos, giving
//! the print and its preview. A recipe never changes the original; the same recipe on the
//! same photo renders to the same pixels, so renders are derived data that can be thrown
//! away and made again.

use std::time::Instant;

use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compose::{
    Assets, PREVIEW_SIDE, TextVars, compose_slots, cut, jpeg, print_jpeg, slot_crop,
    watermark_image,
};
use crate::enhance::{EnhanceSettings, auto_tone, sharpen, smooth_skin};
use crate::framing::FaceFrame;
use crate::matte::{Background, Upsample, person_matte, replace_background};
use crate::{FaceMesh, Models, PortraitError, checked_faces};

/// The recipe format this build writes and reads.
pub const RECIPE_VERSION: u32 = 1;

/// What goes behind the subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackgroundChoice {
    /// The photo's own background.
    Keep,
    Colour {
        rgb: [u8; 3],
    },
    /// A file of `assets/backgrounds/`.
    Image {
        file: String,
    },
    /// Portrait blur; the radius is a share of the photo's longer side (0.01 is soft).
    Blur {
        radius: f32,
    },
}

/// What to do to a shot. Stored as JSON with its version; a preset is a recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Recipe {
    pub version: u32,
    /// A template of `assets/templates/` (`4x6-single`, `strips-2x6`, ...).
    pub template: String,
    pub background: BackgroundChoice,
    pub enhance: EnhanceSettings,
    /// Print sharpening, 0 (off) to 1.
    pub sharpen: f32,
    /// Turn the photo so that the eyes are level (a head roll of 1 to 25 degrees, averaged
    /// over the faces). Absent in older recipes: off.
    #[serde(default)]
    pub straighten: bool,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            version: RECIPE_VERSION,
            template: "4x6-single".into(),
            background: BackgroundChoice::Keep,
            enhance: EnhanceSettings::default(),
            sharpen: 0.4,
            straighten: false,
        }
    }
}

impl Recipe {
    /// Reads a recipe (or a preset) from JSON; a newer format than this build knows is
    /// refused, not half-understood.
    pub fn from_json(text: &str) -> Result<Recipe, PortraitError> {
        let recipe: Recipe =
            serde_json::from_str(text).map_err(|e| PortraitError::Recipe(e.to_string()))?;
        if recipe.version > RECIPE_VERSION {
            return Err(PortraitError::Recipe(format!(
                "it is version {}, this Popbooth reads up to {RECIPE_VERSION}",
                recipe.version
            )));
        }
        Ok(recipe)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The faces of a photo: for framing, and their meshes for skin smoothing.
#[derive(Debug, Clone, Default)]
pub struct PhotoFaces {
    pub frames: Vec<FaceFrame>,
    pub meshes: Vec<FaceMesh>,
}

/// Detects and checks the faces of `image` (landmarks, presence).
pub fn photo_faces(models: &Models, image: &RgbImage) -> Result<PhotoFaces, PortraitError> {
    let (checked, _) = checked_faces(models, image)?;
    Ok(PhotoFaces {
        frames: checked
            .iter()
            .map(|(d, _)| FaceFrame {
                bbox: [d.bbox.x, d.bbox.y, d.bbox.x + d.bbox.w, d.bbox.y + d.bbox.h],
                eyes_y: (d.keypoints[0][1] + d.keypoints[1][1]) / 2.0,
            })
            .collect(),
        meshes: checked.into_iter().map(|(_, m)| m).collect(),
    })
}

/// The recipe's background, loaded once for a render.
pub(crate) fn background(
    assets: &Assets,
    choice: &BackgroundChoice,
) -> Result<Option<Background>, PortraitError> {
    Ok(match choice {
        BackgroundChoice::Keep => None,
        BackgroundChoice::Colour { rgb } => Some(Background::Colour(*rgb)),
        BackgroundChoice::Image { file } => Some(Background::Image(assets.background(file)?)),
        BackgroundChoice::Blur { radius } => Some(Background::Blur { radius: *radius }),
    })
}

/// One slot's picture, finished at the slot's own size: the photo framed for the slot and
/// scaled down first, so that tone, skin, matte and background work on the pixels that are
/// printed (about 1.5 MP for a 4x6) instead of the camera's 12 MP.
fn finish_slot(
    models: &Models,
    photo: &RgbImage,
    faces: &PhotoFaces,
    (w, h): (u32, u32),
    recipe: &Recipe,
    background: Option<&Background>,
    laps: &mut Laps,
) -> Result<RgbImage, PortraitError> {
    let crop = slot_crop(photo.dimensions(), &faces.frames, w, h);
    let scale = w as f32 / crop[2] as f32;
    let roll = if recipe.straighten && !faces.meshes.is_empty() {
        faces.meshes.iter().map(FaceMesh::roll_degrees).sum::<f32>() / faces.meshes.len() as f32
    } else {
        0.0
    };
    let (framed, meshes) = if (1.0..=25.0).contains(&roll.abs()) {
        straightened(photo, faces, crop, (w, h), roll.to_radians())
    } else {
        let meshes = faces
            .meshes
            .iter()
            .map(|m| m.transformed(-(crop[0] as f32), -(crop[1] as f32), scale))
            .collect();
        (cut(photo, crop, w, h), meshes)
    };
    laps.lap(|t| &mut t.frame);
    let mut out = framed.clone();
    auto_tone(&mut out, &recipe.enhance);
    laps.lap(|t| &mut t.tone);
    smooth_skin(&mut out, &meshes, recipe.enhance.skin_smoothing);
    laps.lap(|t| &mut t.skin);
    if let Some(background) = background {
        // The matte of the framed photo before tone changes: they do not move its edges.
        let matte = person_matte(models, &framed, Upsample::Guided)?;
        laps.lap(|t| &mut t.matte);
        out = replace_background(&out, &matte, background);
        laps.lap(|t| &mut t.background);
    }
    Ok(out)
}

/// Milliseconds spent in each stage of a render (summed over its slots), and around it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageTimes {
    /// Reading the photo: filled by callers that decode (a render starts from pixels).
    pub decode: f64,
    pub faces: f64,
    /// Cutting (or straightening) each slot's picture from the photo.
    pub frame: f64,
    pub tone: f64,
    pub skin: f64,
    pub matte: f64,
    pub background: f64,
    pub compose: f64,
    pub sharpen: f64,
    pub encode: f64,
    pub preview: f64,
    /// The whole render.
    pub total: f64,
}

/// A stopwatch that adds each lap to one stage of a [`StageTimes`].
struct Laps {
    times: StageTimes,
    started: Instant,
    last: Instant,
}

impl Laps {
    fn start() -> Laps {
        let now = Instant::now();
        Laps {
            times: StageTimes::default(),
            started: now,
            last: now,
        }
    }

    fn lap(&mut self, stage: impl FnOnce(&mut StageTimes) -> &mut f64) {
        let now = Instant::now();
        *stage(&mut self.times) += (now - self.last).as_secs_f64() * 1000.0;
        self.last = now;
    }

    fn finish(mut self) -> StageTimes {
        self.times.total = self.started.elapsed().as_secs_f64() * 1000.0;
        self.times
    }
}

/// The slot's picture turned by `-roll` about the crop's centre (so that a head rolled by
/// `roll` comes out level), and the face meshes moved the same way. The region the turned
/// crop covers is first reduced to twice the slot's scale (no aliasing), then sampled
/// bilinearly; outside the photo the nearest edge pixel is used.
fn straightened(
    photo: &RgbImage,
    faces: &PhotoFaces,
    crop: [u32; 4],
    (w, h): (u32, u32),
    roll: f32,
) -> (RgbImage, Vec<FaceMesh>) {
    let (pw, ph) = photo.dimensions();
    let scale = w as f32 / crop[2] as f32;
    let (sin, cos) = roll.sin_cos();
    let c = (
        crop[0] as f32 + crop[2] as f32 / 2.0,
        crop[1] as f32 + crop[3] as f32 / 2.0,
    );
    // The box the turned crop covers, inside the photo.
    let (hw, hh) = (crop[2] as f32 / 2.0, crop[3] as f32 / 2.0);
    let (ex, ey) = (
        hw * cos.abs() + hh * sin.abs(),
        hw * sin.abs() + hh * cos.abs(),
    );
    let x0 = (c.0 - ex).floor().max(0.0) as u32;
    let y0 = (c.1 - ey).floor().max(0.0) as u32;
    let x1 = ((c.0 + ex).ceil() as u32).min(pw).max(x0 + 1);
    let y1 = ((c.1 + ey).ceil() as u32).min(ph).max(y0 + 1);
    // Sampled at about twice the slot's scale (no aliasing): the photo itself when the slot
    // is at least half its scale, else the covered box reduced.
    let pre_scale = scale * 2.0;
    let (rw, rh) = (x1 - x0, y1 - y0);
    let reduced;
    let (pre, x0, y0, sx, sy) = if pre_scale >= 1.0 {
        (photo, 0, 0, 1.0, 1.0)
    } else {
        let (qw, qh) = (
            ((rw as f32 * pre_scale).round() as u32).max(1),
            ((rh as f32 * pre_scale).round() as u32).max(1),
        );
        reduced = crate::pixels::reduce(photo, [x0, y0, rw, rh], qw, qh);
        let (sx, sy) = (qw as f32 / rw as f32, qh as f32 / rh as f32);
        (&reduced, x0, y0, sx, sy)
    };
    let mut out = RgbImage::new(w, h);
    // Source point of output (u, v): the output offset turned by +roll about the centre,
    // in `pre`'s pixels. It moves by a fixed step along a row.
    let source = |u: f32, v: f32| {
        let d = (
            (u + 0.5 - w as f32 / 2.0) / scale,
            (v + 0.5 - h as f32 / 2.0) / scale,
        );
        let src = (c.0 + d.0 * cos - d.1 * sin, c.1 + d.0 * sin + d.1 * cos);
        (
            (src.0 - x0 as f32) * sx - 0.5,
            (src.1 - y0 as f32) * sy - 0.5,
        )
    };
    let step = (cos / scale * sx, sin / scale * sy);
    // In blocks of 16 rows by 64 columns: a turned row of the output crosses many rows of
    // the source, and walking whole rows would touch a new cache line (and page) at every
    // pixel; a block's source is a small patch.
    const BAND: usize = 16;
    const BLOCK: usize = 64;
    let row_len = w as usize * 3;
    out.par_chunks_mut(row_len * BAND)
        .enumerate()
        .for_each(|(band, rows)| {
            for bx in (0..w as usize).step_by(BLOCK) {
                let end = (bx + BLOCK).min(w as usize);
                for (r, row) in rows.chunks_exact_mut(row_len).enumerate() {
                    let start = source(bx as f32, (band * BAND + r) as f32);
                    crate::pixels::sample_line(pre, start, step, &mut row[bx * 3..end * 3]);
                }
            }
        });
    let meshes = faces
        .meshes
        .iter()
        .map(|m| FaceMesh {
            points: m
                .points
                .iter()
                .map(|p| {
                    let (dx, dy) = (p[0] - c.0, p[1] - c.1);
                    // The inverse turn (by -roll), then the slot's scale.
                    let (rx, ry) = (dx * cos + dy * sin, -dx * sin + dy * cos);
                    [
                        rx * scale + w as f32 / 2.0,
                        ry * scale + h as f32 / 2.0,
                        p[2] * scale,
                    ]
                })
                .collect(),
            presence: m.presence,
        })
        .collect();
    (out, meshes)
}

/// The results of a render.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The print at the template's size and dpi.
    pub print: RgbImage,
    /// The print as a JPEG with its dpi and sRGB profile.
    pub print_jpeg: Vec<u8>,
    /// The 2048 px watermarked preview, as JPEG, when asked for.
    pub preview_jpeg: Option<Vec<u8>>,
    /// Where the time went.
    pub stages: StageTimes,
}

/// Renders `photos` (upright; one for single templates, a session's shots for strips) with
/// `recipe`; with `preview`, the web preview too.
pub fn render(
    models: &Models,
    assets: &Assets,
    photos: &[RgbImage],
    recipe: &Recipe,
    vars: &TextVars,
    preview: bool,
) -> Result<Rendered, PortraitError> {
    let mut laps = Laps::start();
    let template = assets.template(&recipe.template)?;
    if photos.is_empty() {
        return Err(PortraitError::Recipe("no photo to render".into()));
    }
    let faces = photos
        .iter()
        .map(|p| photo_faces(models, p))
        .collect::<Result<Vec<_>, _>>()?;
    laps.lap(|t| &mut t.faces);
    let background = background(assets, &recipe.background)?;
    // Slots of the same photo and size (the two strips of a strip sheet) are made once.
    // (photo, slot size) -> the finished slot.
    type Made = ((usize, (u32, u32)), RgbImage);
    let mut made: Vec<Made> = Vec::new();
    let mut filled = Vec::with_capacity(template.slots.len());
    for (i, slot) in template.slots.iter().enumerate() {
        let key = (i % photos.len(), slot.size(1.0));
        let img = match made.iter().find(|(k, _)| *k == key) {
            Some((_, img)) => img.clone(),
            None => {
                let img = finish_slot(
                    models,
                    &photos[key.0],
                    &faces[key.0],
                    key.1,
                    recipe,
                    background.as_ref(),
                    &mut laps,
                )?;
                made.push((key, img.clone()));
                img
            }
        };
        filled.push(img);
    }
    let composed = compose_slots(assets, &template, &filled, vars, 1.0)?;
    laps.lap(|t| &mut t.compose);
    let print = if recipe.sharpen > 0.0 {
        sharpen(&composed, recipe.sharpen.clamp(0.0, 1.0))
    } else {
        composed
    };
    laps.lap(|t| &mut t.sharpen);
    let print_jpeg = print_jpeg(&print, u16::try_from(template.dpi).unwrap_or(300))?;
    laps.lap(|t| &mut t.encode);
    let preview_jpeg = if preview {
        let (tw, th) = template.pixels();
        let scale = PREVIEW_SIDE as f32 / tw.max(th) as f32;
        let mut img = compose_slots(assets, &template, &filled, vars, scale)?;
        watermark_image(&mut img, assets.font(), "PREVIEW");
        Some(jpeg(&img, 85)?)
    } else {
        None
    };
    laps.lap(|t| &mut t.preview);
    Ok(Rendered {
        print_jpeg,
        preview_jpeg,
        print,
        stages: laps.finish(),
    })
}
