//! The portrait assistant: on-device ONNX models that turn a raw shot into a finished portrait.
//!
//! Owns finding and loading the ONNX Runtime library (`ort` with `load-dynamic`: the library
//! comes from the project's `.deps/onnxruntime/`, next to the executable, or the app's bundled
//! resources; `ORT_DYLIB_PATH` may override, never required), the five MediaPipe models
//! (sessions created once and reused), reading photos upright (EXIF orientation, limits
//! against decompression bombs), face detection (both BlazeFace models on the whole picture
//! and the full-range one on the tiles where someone may have been missed, merged with
//! weighted non-maximum suppression), the face
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
mod jpeg;
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
pub use jpeg::recycle as recycle_photo;
pub use landmarks::{CLOSED_EYE, FaceMesh, MIN_PRESENCE, checked_faces, face_mesh};
pub use matte::{Background, Matte, SUBJECT, Upsample, person_matte, replace_background};
pub use models::{ModelKind, ModelTiming, Models};
pub use photo::{MAX_PIXELS, decode_photo, load_photo};
pub use quality::{BLURRY, FaceFacts, Quality, assess, best_of};
pub use render::{
    BackgroundChoice, PhotoFaces, RECIPE_VERSION, Recipe, Rendered, StageTimes, photo_faces, render,
};
pub use runtime::{Runtime, find_models_dir, find_onnxruntime};
