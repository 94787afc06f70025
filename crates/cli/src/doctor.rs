//! `popbooth doctor`: is this machine ready for an event?

use crate::output::outln;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use popbooth_capture::EncoderReport;
use popbooth_portrait::{ModelTiming, Models, Runtime, find_models_dir};
use serde::Serialize;

/// Below this much free space in the event folder, doctor warns (an hour of 1080p recording
/// plus a few hundred 12 MP originals).
const LOW_DISK_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The whole report; `--json` prints it as it is (docs/cli-json.md).
#[derive(Debug, Serialize)]
pub struct Report {
    /// False when a required part is missing; then the exit code is 1.
    pub ok: bool,
    pub ffmpeg: FfmpegPart,
    pub onnxruntime: OrtPart,
    pub sqlite: SqlitePart,
    pub disk: DiskPart,
    pub printers: PrintersPart,
    /// Required parts that are missing or broken, each with how to fix it.
    pub problems: Vec<Problem>,
    /// Things that work but deserve a look.
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct FfmpegPart {
    pub version: Option<String>,
    pub libavcodec: Option<String>,
    pub encoders: Vec<EncoderReport>,
}

#[derive(Debug, Serialize)]
pub struct OrtPart {
    pub version: Option<String>,
    pub library: Option<PathBuf>,
    pub models_dir: Option<PathBuf>,
    pub models: Vec<ModelTiming>,
}

#[derive(Debug, Serialize)]
pub struct SqlitePart {
    pub version: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DiskPart {
    pub path: PathBuf,
    pub free_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct PrintersPart {
    pub reachable: Vec<String>,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    /// `ffmpeg`, `onnxruntime`, `models`, `sqlite` or `disk`.
    pub part: &'static str,
    pub message: String,
    pub fix: String,
}

const FIX_SETUP: &str =
    "run ./scripts/setup from the Popbooth folder (it installs what is missing)";

pub async fn collect(event_dir: &Path) -> Report {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    // FFmpeg and the encoders (probed afresh; the answer refreshes the per-machine cache
    // that recording reads).
    let version = popbooth_capture::ffmpeg_version();
    let cache_file = crate::capture::encoder_cache_file();
    let encoders = match popbooth_capture::EncoderCache::refresh(&cache_file) {
        Ok(cache) => cache.encoders,
        Err(e) => {
            problems.push(Problem {
                part: "ffmpeg",
                message: e.to_string(),
                fix: FIX_SETUP.into(),
            });
            Vec::new()
        }
    };
    if !encoders.is_empty()
        && !encoders
            .iter()
            .any(|e| e.works && e.codec == popbooth_capture::VideoCodec::H264)
    {
        problems.push(Problem {
            part: "ffmpeg",
            message:
                "no H.264 encoder works on this machine (none opened and passed the self-test)"
                    .into(),
            fix: "install an FFmpeg build with libx264 (Debian: libavcodec-extra or libavcodec59)"
                .into(),
        });
    }
    if !encoders.iter().any(|e| e.hardware && e.works) && !encoders.is_empty() {
        warnings.push(
            "no hardware video encoder works here: recording uses the software encoder".into(),
        );
    }
    let ffmpeg = FfmpegPart {
        version: Some(version.ffmpeg),
        libavcodec: Some(version.libavcodec),
        encoders,
    };

    // ONNX Runtime and the models.
    let mut onnxruntime = OrtPart {
        version: None,
        library: None,
        models_dir: None,
        models: Vec::new(),
    };
    match Runtime::get(&[]) {
        Ok(runtime) => {
            onnxruntime.version = Some(runtime.version().to_owned());
            onnxruntime.library = Some(runtime.library().to_path_buf());
            let timings = find_models_dir(&[]).and_then(|dir| {
                onnxruntime.models_dir = Some(dir.clone());
                Models::load(&runtime, &dir)?.timings()
            });
            match timings {
                Ok(t) => onnxruntime.models = t,
                Err(e) => problems.push(Problem {
                    part: "models",
                    message: e.to_string(),
                    fix: "restore the models/ folder of the Popbooth release (git checkout models)"
                        .into(),
                }),
            }
        }
        Err(e) => problems.push(Problem {
            part: "onnxruntime",
            message: e.to_string(),
            fix: FIX_SETUP.into(),
        }),
    }

    // SQLite.
    let sqlite = match popbooth_store::sqlite_version().await {
        Ok(v) => SqlitePart { version: Some(v) },
        Err(e) => {
            problems.push(Problem {
                part: "sqlite",
                message: e.to_string(),
                fix: FIX_SETUP.into(),
            });
            SqlitePart { version: None }
        }
    };

    // Disk.
    let free = fs4::available_space(event_dir);
    let disk = DiskPart {
        path: event_dir.to_path_buf(),
        free_bytes: free.as_ref().ok().copied(),
    };
    match free {
        Ok(bytes) if bytes < LOW_DISK_BYTES => warnings.push(format!(
            "only {} free in {}: free some space before the event",
            human_bytes(bytes),
            event_dir.display()
        )),
        Ok(_) => {}
        Err(e) => problems.push(Problem {
            part: "disk",
            message: format!("cannot read free space of {}: {e}", event_dir.display()),
            fix: "pass an existing folder with --event".into(),
        }),
    }

    Report {
        ok: problems.is_empty(),
        ffmpeg,
        onnxruntime,
        sqlite,
        disk,
        printers: PrintersPart {
            reachable: Vec::new(),
            note: "printer discovery (IPP/CUPS) is not built yet: none checked".into(),
        },
        problems,
        warnings,
    }
}

pub async fn run(event: Option<PathBuf>, json: bool) -> anyhow::Result<ExitCode> {
    let dir = match event {
        Some(d) => d,
        None => std::env::current_dir()?,
    };
    let report = collect(&dir).await;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn or_missing(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("missing")
}

fn render(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "Popbooth doctor");
    let _ = writeln!(
        s,
        "  FFmpeg        {} (libavcodec {})",
        or_missing(&r.ffmpeg.version),
        or_missing(&r.ffmpeg.libavcodec)
    );
    for e in &r.ffmpeg.encoders {
        let kind = if e.hardware { "hardware" } else { "software" };
        let state = match (&e.error, &e.check_error) {
            (Some(err), _) => format!("does not open: {err}"),
            (None, None) => "works (self-test passed)".to_owned(),
            (None, Some(err)) => format!("opens, but {err}"),
        };
        let codec = match e.codec {
            popbooth_capture::VideoCodec::H264 => "H.264",
            popbooth_capture::VideoCodec::Hevc => "HEVC",
        };
        let _ = writeln!(s, "    {codec:<6} {:<20} {kind:<9} {state}", e.name);
    }
    let _ = writeln!(
        s,
        "  ONNX Runtime  {}{}",
        or_missing(&r.onnxruntime.version),
        r.onnxruntime
            .library
            .as_ref()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default()
    );
    for m in &r.onnxruntime.models {
        let _ = writeln!(
            s,
            "    {:<36} load {:>7.1} ms   first run {:>7.1} ms",
            m.model.name(),
            m.load_ms,
            m.inference_ms
        );
    }
    let _ = writeln!(s, "  SQLite        {}", or_missing(&r.sqlite.version));
    let free = r
        .disk
        .free_bytes
        .map(human_bytes)
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        s,
        "  Disk          {free} free in {}",
        r.disk.path.display()
    );
    let printers = if r.printers.reachable.is_empty() {
        format!("none ({})", r.printers.note)
    } else {
        r.printers.reachable.join(", ")
    };
    let _ = writeln!(s, "  Printers      {printers}");
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    for p in &r.problems {
        let _ = writeln!(s, "problem ({}): {}", p.part, p.message);
        let _ = writeln!(s, "  fix: {}", p.fix);
    }
    if r.ok {
        let _ = writeln!(s, "All required parts work.");
    } else {
        let _ = writeln!(
            s,
            "{} required part(s) missing or broken.",
            r.problems.len()
        );
    }
    s
}

fn human_bytes(b: u64) -> String {
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    if b as f64 >= GB {
        format!("{:.1} GB", b as f64 / GB)
    } else {
        format!("{:.0} MB", b as f64 / 1024.0 / 1024.0)
    }
}
