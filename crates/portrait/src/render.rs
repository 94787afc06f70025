//! Rendering: a recipe (what to do to a shot, as versioned JSON) applied to photos, giving
//! the print and its preview. A recipe never changes the original; the same recipe on the
//! same photo renders to the same pixels, so renders are derived data that can be thrown
//! away and made again.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::compose::{Assets, Placed, TextVars, compose, preview_jpeg, print_jpeg};
use crate::enhance::{EnhanceSettings, auto_tone, sharpen, smooth_skin};
use crate::framing::FaceFrame;
use crate::matte::{Background, Upsample, person_matte, replace_background};
use crate::{FaceDetector, FaceMesh, MIN_PRESENCE, Models, PortraitError, face_mesh};

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
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            version: RECIPE_VERSION,
            template: "4x6-single".into(),
            background: BackgroundChoice::Keep,
            enhance: EnhanceSettings::default(),
            sharpen: 0.4,
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

/// A photo made ready for a template: enhanced, its background done, its faces known.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub image: RgbImage,
    pub faces: Vec<FaceFrame>,
}

/// Detects and checks the faces of `image` (landmarks, presence), for framing and skin.
fn faces_of(
    models: &Models,
    image: &RgbImage,
) -> Result<(Vec<FaceFrame>, Vec<FaceMesh>), PortraitError> {
    let mut frames = Vec::new();
    let mut meshes = Vec::new();
    for d in FaceDetector::new(models).detect(image)? {
        let mesh = face_mesh(models, image, &d)?;
        if mesh.presence < MIN_PRESENCE {
            continue;
        }
        frames.push(FaceFrame {
            bbox: [d.bbox.x, d.bbox.y, d.bbox.x + d.bbox.w, d.bbox.y + d.bbox.h],
            eyes_y: (d.keypoints[0][1] + d.keypoints[1][1]) / 2.0,
        });
        meshes.push(mesh);
    }
    Ok((frames, meshes))
}

/// Applies the photo part of `recipe` to `image` (upright): tone, skin, background.
pub fn prepare(
    models: &Models,
    assets: &Assets,
    image: &RgbImage,
    recipe: &Recipe,
) -> Result<Prepared, PortraitError> {
    let (faces, meshes) = faces_of(models, image)?;
    let mut out = image.clone();
    auto_tone(&mut out, &recipe.enhance);
    smooth_skin(&mut out, &meshes, recipe.enhance.skin_smoothing);
    let background = match &recipe.background {
        BackgroundChoice::Keep => None,
        BackgroundChoice::Colour { rgb } => Some(Background::Colour(*rgb)),
        BackgroundChoice::Image { file } => Some(Background::Image(assets.background(file)?)),
        BackgroundChoice::Blur { radius } => Some(Background::Blur { radius: *radius }),
    };
    if let Some(background) = background {
        // The matte of the original: tone changes do not move the person's edges.
        let matte = person_matte(models, image, Upsample::Guided)?;
        out = replace_background(&out, &matte, &background);
    }
    Ok(Prepared { image: out, faces })
}

/// The results of a render.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The print at the template's size and dpi.
    pub print: RgbImage,
    /// The print as a JPEG with its dpi and sRGB profile.
    pub print_jpeg: Vec<u8>,
    /// The 2048 px watermarked preview, as JPEG.
    pub preview_jpeg: Vec<u8>,
}

/// Renders `photos` (one for single templates, a session's shots for strips) with `recipe`.
pub fn render(
    models: &Models,
    assets: &Assets,
    photos: &[RgbImage],
    recipe: &Recipe,
    vars: &TextVars,
) -> Result<Rendered, PortraitError> {
    let template = assets.template(&recipe.template)?;
    let prepared = photos
        .iter()
        .map(|p| prepare(models, assets, p, recipe))
        .collect::<Result<Vec<_>, _>>()?;
    let placed: Vec<Placed<'_>> = prepared
        .iter()
        .map(|p| Placed {
            image: &p.image,
            faces: &p.faces,
        })
        .collect();
    let composed = compose(assets, &template, &placed, vars, 1.0)?;
    let print = if recipe.sharpen > 0.0 {
        sharpen(&composed, recipe.sharpen.clamp(0.0, 1.0))
    } else {
        composed
    };
    let dpi = u16::try_from(template.dpi).unwrap_or(300);
    Ok(Rendered {
        print_jpeg: print_jpeg(&print, dpi)?,
        preview_jpeg: preview_jpeg(assets, &template, &placed, vars, "PREVIEW")?,
        print,
    })
}
