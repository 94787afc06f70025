use serde::Serialize;

/// What a command returns on failure: a stable machine-readable `kind` and a sentence the UI
/// shows as it is.
#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: String,
    pub message: String,
}

impl AppError {
    pub fn new(kind: &str, message: impl Into<String>) -> AppError {
        AppError {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// A background task that stopped before answering.
    pub fn thread(e: impl std::fmt::Display) -> AppError {
        AppError::new("app", format!("a background task stopped: {e}"))
    }
}

impl From<popbooth_store::StoreError> for AppError {
    fn from(e: popbooth_store::StoreError) -> Self {
        AppError {
            kind: e.kind().to_owned(),
            message: e.to_string(),
        }
    }
}

impl From<popbooth_capture::CaptureError> for AppError {
    fn from(e: popbooth_capture::CaptureError) -> Self {
        AppError {
            kind: "capture".into(),
            message: e.to_string(),
        }
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        AppError {
            kind: "app".into(),
            message: e.to_string(),
        }
    }
}
