//! Rendering: a recipe (what to do to a shot, as versioned JSON) applied to photos, giving
//! the print and its preview. A recipe never changes the original; the same recipe on the
//! same photo renders to the same pixels, so renders are derived data that can be thrown
//! away and made again.

use image::RgbImage;
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
    let mut out = framed.clone();
    auto_tone(&mut out, &recipe.enhance);
    smooth_skin(&mut out, &meshes, recipe.enhance.skin_smoothing);
    if let Some(background) = background {
        // The matte of the framed photo before tone changes: they do not move its edges.
        let matte = person_matte(models, &framed, Upsample::Guided)?;
        out = replace_background(&out, &matte, background);
    }
    Ok(out)
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
    let pre_scale = (scale * 2.0).min(1.0);
    let (rw, rh) = (x1 - x0, y1 - y0);
    let (qw, qh) = (
        ((rw as f32 * pre_scale).round() as u32).max(1),
        ((rh as f32 * pre_scale).round() as u32).max(1),
    );
    let pre = crate::pixels::resize_region(photo, [x0, y0, rw, rh], qw, qh);
    let (sx, sy) = (qw as f32 / rw as f32, qh as f32 / rh as f32);
    let mut out = RgbImage::new(w, h);
    for (u, v, px) in out.enumerate_pixels_mut() {
        let d = (
            (u as f32 + 0.5 - w as f32 / 2.0) / scale,
            (v as f32 + 0.5 - h as f32 / 2.0) / scale,
        );
        // Source point: the output offset turned by +roll about the centre.
        let src = (c.0 + d.0 * cos - d.1 * sin, c.1 + d.0 * sin + d.1 * cos);
        let (qx, qy) = (
            (src.0 - x0 as f32) * sx - 0.5,
            (src.1 - y0 as f32) * sy - 0.5,
        );
        *px = image::Rgb(crate::matte::bilinear_rgb(&pre, qx, qy));
    }
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
    let template = assets.template(&recipe.template)?;
    if photos.is_empty() {
        return Err(PortraitError::Recipe("no photo to render".into()));
    }
    let faces = photos
        .iter()
        .map(|p| photo_faces(models, p))
        .collect::<Result<Vec<_>, _>>()?;
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
                )?;
                made.push((key, img.clone()));
                img
            }
        };
        filled.push(img);
    }
    let composed = compose_slots(assets, &template, &filled, vars, 1.0)?;
    let print = if recipe.sharpen > 0.0 {
        sharpen(&composed, recipe.sharpen.clamp(0.0, 1.0))
    } else {
        composed
    };
    let dpi = u16::try_from(template.dpi).unwrap_or(300);
    let preview_jpeg = if preview {
        let (tw, th) = template.pixels();
        let scale = PREVIEW_SIDE as f32 / tw.max(th) as f32;
        let mut img = compose_slots(assets, &template, &filled, vars, scale)?;
        watermark_image(&mut img, assets.font(), "PREVIEW");
        Some(jpeg(&img, 85)?)
    } else {
        None
    };
    Ok(Rendered {
        print_jpeg: print_jpeg(&print, dpi)?,
        preview_jpeg,
        print,
    })
}
