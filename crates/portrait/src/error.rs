use std::path::PathBuf;

/// What can go wrong in the portrait assistant.
#[derive(Debug, thiserror::Error)]
pub enum PortraitError {
    #[error(
        "the ONNX Runtime library was not found (looked in: {searched}); run ./scripts/setup, or set ORT_DYLIB_PATH to libonnxruntime"
    )]
    RuntimeNotFound { searched: String },

    #[error("could not load the ONNX Runtime library {}: {reason}", path.display())]
    RuntimeLoad { path: PathBuf, reason: String },

    #[error("the portrait models were not found (looked in: {searched})")]
    ModelsNotFound { searched: String },

    #[error("could not load the model {}: {reason}", path.display())]
    ModelLoad { path: PathBuf, reason: String },

    #[error("the model {model} failed: {reason}")]
    Inference { model: &'static str, reason: String },

    #[error("the asset {} is not usable: {reason}", path.display())]
    Assets { path: PathBuf, reason: String },

    #[error("could not write {}: {reason}", path.display())]
    Output { path: PathBuf, reason: String },

    #[error("not a usable recipe: {0}")]
    Recipe(String),

    #[error("could not encode the picture: {0}")]
    Encode(String),

    #[error("not a usable photo: {reason}")]
    BadPhoto { reason: String },

    #[error("the image is empty ({width}x{height})")]
    EmptyImage { width: u32, height: u32 },
}
