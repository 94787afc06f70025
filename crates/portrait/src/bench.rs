//! The portrait benchmark's own side: one photo's trip from JPEG bytes to the 300 dpi print
//! through the real [`render`](crate::render), timed stage by stage; and the test photos.

use std::time::Instant;

use crate::compose::{Assets, TextVars};
use crate::render::{Recipe, StageTimes, render};
use crate::{Models, PortraitError, decode_photo};

/// Decodes `jpeg` and renders `recipe` on it (the print, no preview), timing each stage.
pub fn time_pipeline(
    models: &Models,
    assets: &Assets,
    jpeg: &[u8],
    recipe: &Recipe,
) -> Result<StageTimes, PortraitError> {
    let started = Instant::now();
    let photo = decode_photo(jpeg)?;
    let decode = started.elapsed().as_secs_f64() * 1000.0;
    let rendered = render(
        models,
        assets,
        std::slice::from_ref(&photo),
        recipe,
        &TextVars::default(),
        false,
    )?;
    crate::recycle_photo(photo);
    Ok(StageTimes {
        decode,
        total: decode + rendered.stages.total,
        ..rendered.stages
    })
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
