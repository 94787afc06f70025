use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::PortraitError;

#[cfg(target_os = "windows")]
const LIB_NAMES: &[&str] = &["onnxruntime.dll"];
#[cfg(target_os = "macos")]
const LIB_NAMES: &[&str] = &["libonnxruntime.dylib"];
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const LIB_NAMES: &[&str] = &["libonnxruntime.so"];

/// Where the project's set-up script puts the library, relative to the workspace root.
const PROJECT_ORT_DIR: &str = ".deps/onnxruntime";

/// Folders that may be the project's root, for development builds (any target folder) to find
/// `.deps/` and `models/` with no variable set: the workspace this crate was built from, then
/// the current folder and its parents (`cargo test` runs in the package's folder). The
/// current folder matters because build artefacts can be shared between two checkouts at
/// different paths (one target folder cached outside both), and then the first path is stale.
fn project_roots() -> Vec<PathBuf> {
    let mut roots = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")];
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().take(4).map(Path::to_path_buf));
    }
    roots
}

fn exe_dirs() -> Vec<PathBuf> {
    let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    else {
        return Vec::new();
    };
    // The usual bundle places (`lib/` on Linux, `Resources/` on macOS), then next to the binary.
    vec![dir.join("../lib/popbooth"), dir.join("../Resources"), dir]
}

/// An override from the environment, when set and not empty.
fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The first of `dirs` for which `found` gives a path, canonical; or the folders searched,
/// for the error message.
fn search(dirs: &[PathBuf], found: impl Fn(&Path) -> Option<PathBuf>) -> Result<PathBuf, String> {
    dirs.iter()
        .find_map(|d| found(d))
        .map(|p| p.canonicalize().unwrap_or(p))
        .ok_or_else(|| {
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
}

/// Finds the ONNX Runtime library: `ORT_DYLIB_PATH` if set, then `extra` (the app's resource
/// folder), next to the executable, and the project's `.deps/onnxruntime/`.
pub fn find_onnxruntime(extra: &[PathBuf]) -> Result<PathBuf, PortraitError> {
    if let Some(p) = env_path("ORT_DYLIB_PATH") {
        return Ok(p);
    }
    let mut dirs: Vec<PathBuf> = extra.to_vec();
    dirs.extend(exe_dirs());
    dirs.extend(project_roots().iter().map(|r| r.join(PROJECT_ORT_DIR)));
    search(&dirs, |dir| {
        LIB_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
    })
    .map_err(|searched| PortraitError::RuntimeNotFound { searched })
}

/// Finds the folder holding the five `.onnx` models: `POPBOOTH_MODELS_DIR` if set, then
/// `extra`, `models/` next to the executable, and the project's `models/`.
pub fn find_models_dir(extra: &[PathBuf]) -> Result<PathBuf, PortraitError> {
    if let Some(p) = env_path("POPBOOTH_MODELS_DIR") {
        return Ok(p);
    }
    find_dir("models", extra, |dir| {
        crate::ModelKind::ALL
            .iter()
            .all(|m| dir.join(m.file_name()).is_file())
    })
    .map_err(|searched| PortraitError::ModelsNotFound { searched })
}

/// Finds the folder `name` (`models`, `assets`) that passes `complete`: in `extra` (the app's
/// resources), next to the executable, then in the project; or the folders searched.
pub(crate) fn find_dir(
    name: &str,
    extra: &[PathBuf],
    complete: impl Fn(&Path) -> bool,
) -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = extra.iter().map(|d| d.join(name)).collect();
    dirs.extend(exe_dirs().into_iter().map(|d| d.join(name)));
    dirs.extend(project_roots().iter().map(|r| r.join(name)));
    search(&dirs, |dir| complete(dir).then(|| dir.to_path_buf()))
}

/// The loaded ONNX Runtime: one environment per process, shared by every session.
#[derive(Debug, Clone)]
pub struct Runtime {
    env: ort::environment::Environment,
    library: PathBuf,
    version: String,
}

impl Runtime {
    /// Loads the library found by [`find_onnxruntime`] (once per process; later calls return
    /// the same runtime, or the same error).
    pub fn get(extra: &[PathBuf]) -> Result<Runtime, PortraitError> {
        static RUNTIME: OnceLock<Result<Runtime, (PathBuf, String)>> = OnceLock::new();
        let path = find_onnxruntime(extra)?;
        RUNTIME
            .get_or_init(|| Runtime::load(&path).map_err(|reason| (path.clone(), reason)))
            .clone()
            .map_err(|(path, reason)| PortraitError::RuntimeLoad { path, reason })
    }

    fn load(path: &Path) -> Result<Runtime, String> {
        // A failed load must be reported without creating an ort::Error: that would call into
        // the library that just failed to load.
        let builder = ort::init_from(path).map_err(|e| e.to_string())?;
        let env = builder
            .with_name("popbooth")
            .with_telemetry(false)
            .build()
            .map_err(|e| e.to_string())?;
        let version = library_version(path).unwrap_or_else(|| "unknown".into());
        tracing::info!(library = %path.display(), %version, "ONNX Runtime loaded");
        Ok(Runtime {
            env,
            library: path.to_path_buf(),
            version,
        })
    }

    /// ONNX Runtime's version, e.g. `1.32.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The library file that was loaded.
    pub fn library(&self) -> &Path {
        &self.library
    }

    pub(crate) fn env(&self) -> &ort::environment::Environment {
        &self.env
    }
}

/// The library's own version string (`OrtGetApiBase()->GetVersionString()`, e.g. `1.32.0`);
/// `ort` reads it while loading but does not expose it.
#[allow(unsafe_code)]
fn library_version(path: &Path) -> Option<String> {
    // SAFETY: the library is already loaded by `ort::init_from` (this second handle only
    // bumps its reference count, so nothing is unloaded when it drops); OrtGetApiBase is the
    // C entry point every ONNX Runtime exports, returning a pointer to a static struct whose
    // GetVersionString returns a static NUL-terminated string.
    unsafe {
        let lib = libloading::Library::new(path).ok()?;
        let get_base: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
            lib.get(b"OrtGetApiBase").ok()?;
        let base = get_base();
        if base.is_null() {
            return None;
        }
        let version = ((*base).GetVersionString)();
        if version.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(version)
                .to_string_lossy()
                .into_owned(),
        )
    }
}
