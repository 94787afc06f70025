//! The portrait benchmark's own side: one photo's trip from JPEG bytes to the 300 dpi print,
//! timed stage by stage (decode, faces, the framed slot with tone, skin, matte and background,
//! compose, sharpen, encode).

use std::time::Instant;

use serde::Serialize;

use crate::compose::{Assets, TextVars, compose_slots, cut, print_jpeg, slot_crop};
use crate::enhance::{auto_tone, sharpen, smooth_skin};
use crate::matte::{Upsample, person_matte, replace_background};
use crate::render::{Recipe, background, photo_faces};
use crate::{FaceMesh, Models, PortraitError, decode_photo};

/// Milliseconds per stage of one photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageTimes {
    pub decode: f64,
    pub faces: f64,
    pub frame: f64,
    pub tone: f64,
    pub skin: f64,
    pub matte: f64,
    pub background: f64,
    pub compose: f64,
    pub sharpen: f64,
    pub encode: f64,
    pub total: f64,
    /// Bytes of the print JPEG.
    pub bytes: usize,
}

/// Runs the print pipeline of a single-photo `recipe` on `jpeg`, timing each stage.
pub fn time_pipeline(
    models: &Models,
    assets: &Assets,
    jpeg: &[u8],
    recipe: &Recipe,
) -> Result<StageTimes, PortraitError> {
    let mut t = StageTimes::default();
    let started = Instant::now();
    let mut mark = Instant::now();
    let mut lap = |slot: &mut f64| {
        *slot = mark.elapsed().as_secs_f64() * 1000.0;
        mark = Instant::now();
    };
    let template = assets.template(&recipe.template)?;
    let photo = decode_photo(jpeg)?;
    lap(&mut t.decode);
    let faces = photo_faces(models, &photo)?;
    lap(&mut t.faces);
    let slot = template
        .slots
        .first()
        .ok_or_else(|| PortraitError::Recipe("the template has no slot".into()))?;
    let (w, h) = slot.size(1.0);
    let crop = slot_crop(photo.dimensions(), &faces.frames, w, h);
    let framed = cut(&photo, crop, w, h);
    let scale = w as f32 / crop[2] as f32;
    let meshes: Vec<FaceMesh> = faces
        .meshes
        .iter()
        .map(|m| m.transformed(-(crop[0] as f32), -(crop[1] as f32), scale))
        .collect();
    lap(&mut t.frame);
    let mut out = framed.clone();
    auto_tone(&mut out, &recipe.enhance);
    lap(&mut t.tone);
    smooth_skin(&mut out, &meshes, recipe.enhance.skin_smoothing);
    lap(&mut t.skin);
    if let Some(bg) = background(assets, &recipe.background)? {
        let matte = person_matte(models, &framed, Upsample::Guided)?;
        lap(&mut t.matte);
        out = replace_background(&out, &matte, &bg);
        lap(&mut t.background);
    }
    let composed = compose_slots(assets, &template, &[out], &TextVars::default(), 1.0)?;
    lap(&mut t.compose);
    let print = sharpen(&composed, recipe.sharpen);
    lap(&mut t.sharpen);
    t.bytes = print_jpeg(&print, 300)?.len();
    lap(&mut t.encode);
    t.total = started.elapsed().as_secs_f64() * 1000.0;
    Ok(t)
}

/// Test photos for benchmarks and examples: `n` 12 MP (4000x3000) portraits made from the
/// public-domain astronaut sample (`assets/samples/`), placed at different spots on a wide
/// studio frame, as a booth camera would frame a guest.
pub fn bench_photos(n: u32) -> Result<Vec<image::RgbImage>, PortraitError> {
    let assets = Assets::find(&[])?;
    // The sample is not among the app's bundled resources: look for it in the project.
    let dir =
        crate::runtime::find_dir("assets", &[], |d| d.join("samples/astronaut.png").is_file())
            .map_err(|searched| PortraitError::Assets {
                path: "assets/samples/astronaut.png".into(),
                reason: format!("not found (looked in: {searched})"),
            })?;
    let sample = dir.join("samples/astronaut.png");
    let person = image::open(&sample)
        .map_err(|e| PortraitError::Assets {
            path: sample.clone(),
            reason: e.to_string(),
        })?
        .into_rgb8();
    let person =
        image::imageops::resize(&person, 2600, 2600, image::imageops::FilterType::CatmullRom);
    let backdrop = assets.background("studio-grey.png")?;
    let backdrop = image::imageops::resize(
        &*backdrop,
        4000,
        3000,
        image::imageops::FilterType::Triangle,
    );
    Ok((0..n)
        .map(|i| {
            let mut frame = backdrop.clone();
            let x = 200 + i64::from(i % 5) * 250;
            image::imageops::overlay(&mut frame, &person, x, 400);
            frame
        })
        .collect())
}
