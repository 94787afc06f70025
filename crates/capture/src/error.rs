/// What can go wrong in capture. Variants carry what the user needs to act on.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("FFmpeg could not start: {0}")]
    Init(String),

    #[error("this FFmpeg build has no {0} input; install FFmpeg with libavdevice")]
    MissingInputFormat(&'static str),

    #[error("could not open the source {source_name}: {error}")]
    Open {
        source_name: String,
        #[source]
        error: ffmpeg_next::Error,
    },

    #[error("{source_name:?} is not a source: {reason}")]
    BadSource { source_name: String, reason: String },

    #[error("{input} could not list its devices: {error}")]
    ListDevices {
        input: String,
        #[source]
        error: ffmpeg_next::Error,
    },

    #[error("the source {0} has no video stream")]
    NoVideo(String),

    #[error("the source {source_name} ended before it produced a frame")]
    NoFrame { source_name: String },

    #[error("decoding {source_name} failed: {error}")]
    Decode {
        source_name: String,
        #[source]
        error: ffmpeg_next::Error,
    },

    #[error("the encoder {name} failed: {error}")]
    Encoder {
        name: String,
        #[source]
        error: ffmpeg_next::Error,
    },

    #[error("could not write {}: {error}", path.display())]
    Output {
        path: std::path::PathBuf,
        #[source]
        error: ffmpeg_next::Error,
    },

    #[error("the encoder {encoder} failed its self-test: {reason}")]
    SelfTest { encoder: String, reason: String },

    #[error("no video encoder works here: {0}")]
    NoEncoder(String),

    #[error("{tool} failed: {reason}")]
    Tool { tool: String, reason: String },

    #[error("could not encode the picture: {0}")]
    Encode(String),

    #[error("a session takes 1 to 20 shots, not {0}")]
    InvalidShotCount(u32),

    #[error("{0}")]
    Busy(String),

    #[error("the capture thread stopped: {0}")]
    Thread(String),

    #[error(transparent)]
    Store(#[from] popbooth_store::StoreError),

    #[error("invalid size {width}x{height}: both sides must be even and between 16 and 8192")]
    InvalidSize { width: u32, height: u32 },
}
