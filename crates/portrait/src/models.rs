use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use serde::Serialize;

use crate::{PortraitError, Runtime};

/// The five MediaPipe models (see `models/MODELS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    FaceDetectionShortRange,
    FaceDetectionFullRange,
    FaceLandmark,
    SelfieSegmentation,
    SelfieSegmentationLandscape,
}

impl ModelKind {
    pub const ALL: [ModelKind; 5] = [
        ModelKind::FaceDetectionShortRange,
        ModelKind::FaceDetectionFullRange,
        ModelKind::FaceLandmark,
        ModelKind::SelfieSegmentation,
        ModelKind::SelfieSegmentationLandscape,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            ModelKind::FaceDetectionShortRange => "face_detection_short_range.onnx",
            ModelKind::FaceDetectionFullRange => "face_detection_full_range.onnx",
            ModelKind::FaceLandmark => "face_landmark.onnx",
            ModelKind::SelfieSegmentation => "selfie_segmentation.onnx",
            ModelKind::SelfieSegmentationLandscape => "selfie_segmentation_landscape.onnx",
        }
    }

    pub fn name(self) -> &'static str {
        self.file_name().trim_end_matches(".onnx")
    }

    /// The input tensor's name and NHWC shape.
    pub(crate) fn input(self) -> (&'static str, [usize; 4]) {
        match self {
            ModelKind::FaceDetectionShortRange => ("input", [1, 128, 128, 3]),
            ModelKind::FaceDetectionFullRange => ("input_1", [1, 192, 192, 3]),
            ModelKind::FaceLandmark => ("input_1", [1, 192, 192, 3]),
            ModelKind::SelfieSegmentation => ("input_1", [1, 256, 256, 3]),
            ModelKind::SelfieSegmentationLandscape => ("input_1", [1, 144, 256, 3]),
        }
    }
}

/// How long a model took to load and to run once (on a blank input).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ModelTiming {
    pub model: ModelKind,
    pub load_ms: f64,
    pub inference_ms: f64,
}

/// One ONNX session per model, created once and reused. Sessions need exclusive access to
/// run, so each sits behind its own lock: different models run in parallel.
#[derive(Debug)]
pub struct Models {
    dir: PathBuf,
    sessions: Vec<(ModelKind, Mutex<Session>)>,
    load_times: Vec<(ModelKind, Duration)>,
    providers: Vec<&'static str>,
}

/// The accelerators this ONNX Runtime library was built with, of those Popbooth asks for
/// (CUDA, CoreML, DirectML), as `ort` dispatches and names. The CPU wheel on PyPI has none;
/// the GPU builds do. A provider that is offered but fails for a model (no driver, an
/// unsupported operator) falls back to the CPU for that model, silently, as ONNX Runtime
/// does by default.
fn accelerators() -> Vec<(&'static str, ort::ep::ExecutionProviderDispatch)> {
    use ort::ep::ExecutionProvider;
    let mut out = Vec::new();
    if ort::ep::CUDA::is_available().unwrap_or(false) {
        out.push(("CUDA", ort::ep::CUDA::default().build()));
    }
    if ort::ep::CoreML::is_available().unwrap_or(false) {
        out.push(("CoreML", ort::ep::CoreML::default().build()));
    }
    if ort::ep::DirectML::is_available().unwrap_or(false) {
        out.push(("DirectML", ort::ep::DirectML::default().build()));
    }
    out
}

impl Models {
    /// Loads all five models from `dir`, with one intra-op thread per core on the CPU, and
    /// on the GPU when the library offers CUDA, CoreML or DirectML.
    pub fn load(runtime: &Runtime, dir: &Path) -> Result<Models, PortraitError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::load_with_threads(runtime, dir, threads)
    }

    /// As [`Models::load`], with `threads` intra-op threads per session: one when several
    /// photos are worked on at once (a batch), so that workers do not fight over cores.
    pub fn load_with_threads(
        runtime: &Runtime,
        dir: &Path,
        threads: usize,
    ) -> Result<Models, PortraitError> {
        let threads = threads.max(1);
        let accelerators = accelerators();
        let (names, dispatch): (Vec<&'static str>, Vec<_>) = accelerators.into_iter().unzip();
        let mut sessions = Vec::new();
        let mut load_times = Vec::new();
        for kind in ModelKind::ALL {
            let path = dir.join(kind.file_name());
            let started = Instant::now();
            let err = |e: ort::Error| PortraitError::ModelLoad {
                path: path.clone(),
                reason: e.to_string(),
            };
            let session = Session::builder(runtime.env())
                .map_err(err)?
                .with_optimization_level(GraphOptimizationLevel::Level3)
                .map_err(|e| err(e.into()))?
                .with_intra_threads(threads)
                .map_err(|e| err(e.into()))?
                // Model runs are short and interleaved with pixel work on the same cores:
                // threads that spin after a run would take those cores from it.
                .with_intra_op_spinning(false)
                .map_err(|e| err(e.into()))?
                .with_execution_providers(&dispatch)
                .map_err(|e| err(e.into()))?
                .commit_from_file(&path)
                .map_err(err)?;
            load_times.push((kind, started.elapsed()));
            sessions.push((kind, Mutex::new(session)));
        }
        let mut providers = names;
        providers.push("CPU");
        Ok(Models {
            dir: dir.to_path_buf(),
            sessions,
            load_times,
            providers,
        })
    }

    /// The execution providers offered to the sessions, in order of preference, ending in
    /// `CPU`.
    pub fn providers(&self) -> &[&'static str] {
        &self.providers
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `kind` on `input` (NHWC float32, the model's own shape) and returns the named
    /// outputs as flat vectors, in the order asked.
    pub(crate) fn run(
        &self,
        kind: ModelKind,
        input: Vec<f32>,
        outputs: &[&str],
    ) -> Result<Vec<Vec<f32>>, PortraitError> {
        let err = |reason: String| PortraitError::Inference {
            model: kind.name(),
            reason,
        };
        let (name, shape) = kind.input();
        let session = self
            .sessions
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| s)
            .ok_or_else(|| err("not loaded".into()))?;
        let mut session = session
            .lock()
            .map_err(|_| err("a previous run panicked".into()))?;
        let tensor = Tensor::<f32>::from_array((shape, input)).map_err(|e| err(e.to_string()))?;
        let result = session
            .run(ort::inputs![name => tensor])
            .map_err(|e| err(e.to_string()))?;
        outputs
            .iter()
            .map(|o| {
                let value = result
                    .get(o)
                    .ok_or_else(|| err(format!("no output named {o}")))?;
                let (_, data) = value
                    .try_extract_tensor::<f32>()
                    .map_err(|e| err(e.to_string()))?;
                Ok(data.to_vec())
            })
            .collect()
    }

    /// Load time of each model and the time of one run on a blank input (the first run, so
    /// it includes ONNX Runtime's one-off warm-up).
    pub fn timings(&self) -> Result<Vec<ModelTiming>, PortraitError> {
        let mut out = Vec::new();
        for (kind, load) in &self.load_times {
            let (_, shape) = kind.input();
            let started = Instant::now();
            let output = self.first_output(*kind);
            self.run(*kind, vec![0.0; shape.iter().product()], &[output])?;
            out.push(ModelTiming {
                model: *kind,
                load_ms: load.as_secs_f64() * 1000.0,
                inference_ms: started.elapsed().as_secs_f64() * 1000.0,
            });
        }
        Ok(out)
    }

    fn first_output(&self, kind: ModelKind) -> &'static str {
        match kind {
            ModelKind::FaceDetectionShortRange => "classificators",
            ModelKind::FaceDetectionFullRange => "Identity_1",
            ModelKind::FaceLandmark => "conv2d_31",
            ModelKind::SelfieSegmentation => "activation_10",
            ModelKind::SelfieSegmentationLandscape => "segment_back",
        }
    }
}
