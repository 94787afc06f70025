//! The portrait assistant: on-device ONNX models that turn a raw shot into a finished portrait.
//!
//! Owns finding and loading the ONNX Runtime library (`ort` with `load-dynamic`: the library
//! comes from the project's `.deps/onnxruntime/`, next to the executable, or the app's bundled
//! resources; `ORT_DYLIB_PATH` may override, never required), the five MediaPipe models
//! (sessions created once and reused), reading photos upright (EXIF orientation, limits
//! against decompression bombs), face detection (both BlazeFace models on the whole picture
//! and the full-range one on tiles, merged with weighted non-maximum suppression), the face
//! mesh (eye openness, roll, face presence), shot quality (sharpness, exposure, closed eyes,
//! cut faces, best of a burst) and framing for every print and social format ([`analyze`]
//! puts them together); and making prints: versioned recipes rendered through enhance
//! (white balance, levels, skin smoothing), the person matte and background, print templates
//! with frames and text, the 300 dpi JPEG and the watermarked preview ([`render`]), and
//! batches ([`batch`]). No GUI, no printing.

mod analyze;
mod batch;
pub mod bench;
mod compose;
mod detect;
mod enhance;
mod error;
mod framing;
mod landmarks;
mod matte;
mod models;
mod photo;
mod pixels;
mod quality;
mod render;
mod runtime;

pub use analyze::{Analysis, AnalyzedFace, analyze};
pub use batch::{BatchItem, BatchJob, BatchProgress, BatchReport, batch, batch_inputs};
pub use compose::{
    Assets, PREVIEW_SIDE, Placed, Slot, Template, TextItem, TextVars, compose, compose_slots, cut,
    preview_jpeg, print_jpeg, slot_crop, srgb_icc, watermark_image,
};
pub use detect::{BoxF, Face, FaceDetector};
pub use enhance::{EnhanceSettings, auto_tone, sharpen, smooth_skin};
pub use error::PortraitError;
pub use framing::{Crop, FORMATS, FaceFrame, Format, crop_for};
pub use landmarks::{CLOSED_EYE, FaceMesh, MIN_PRESENCE, face_mesh};
pub use matte::{Background, Matte, SUBJECT, Upsample, person_matte, replace_background};
pub use models::{ModelKind, ModelTiming, Models};
pub use photo::{MAX_PIXELS, decode_photo, load_photo};
pub use quality::{BLURRY, FaceFacts, Quality, assess, best_of};
pub use render::{
    BackgroundChoice, PhotoFaces, RECIPE_VERSION, Recipe, Rendered, photo_faces, render,
};
pub use runtime::{Runtime, find_models_dir, find_onnxruntime};

/// Test photos for benchmarks and examples: `n` 12 MP (4000x3000) portraits made from the
/// public-domain astronaut sample (`assets/samples/`), placed at different spots on a wide
/// studio frame, as a booth camera would frame a guest.
pub fn bench_photos(n: u32) -> Result<Vec<image::RgbImage>, PortraitError> {
    let assets = Assets::find(&[])?;
    // The sample is not among the app's bundled resources: look for it in the project.
    let dir = runtime::find_dir("assets", &[], |d| d.join("samples/astronaut.png").is_file())
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
    let backdrop =
        image::imageops::resize(&backdrop, 4000, 3000, image::imageops::FilterType::Triangle);
    Ok((0..n)
        .map(|i| {
            let mut frame = backdrop.clone();
            let x = 200 + i64::from(i % 5) * 250;
            image::imageops::overlay(&mut frame, &person, x, 400);
            frame
        })
        .collect())
}
