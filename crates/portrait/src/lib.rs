//! The portrait assistant: on-device ONNX models that turn a raw shot into a finished portrait.
//!
//! Owns finding and loading the ONNX Runtime library (`ort` with `load-dynamic`: the library
//! comes from the project's `.deps/onnxruntime/`, next to the executable, or the app's bundled
//! resources; `ORT_DYLIB_PATH` may override, never required), the five MediaPipe models
//! (sessions created once and reused), and face detection (both BlazeFace models decoded and
//! merged with weighted non-maximum suppression). Landmarks, segmentation, framing, enhance,
//! compose, quality and batch grow here with the portrait issue. No GUI, no printing.

mod detect;
mod error;
mod models;
mod runtime;

pub use detect::{BoxF, Face, FaceDetector};
pub use error::PortraitError;
pub use models::{ModelKind, ModelTiming, Models};
pub use runtime::{Runtime, find_models_dir, find_onnxruntime};
