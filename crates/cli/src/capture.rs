//! `popbooth capture ...`.

use crate::output::outln;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use popbooth_capture::{
    EncoderCache, RecordEvent, Source, TestCamera, camera_input, grab_frame, list_devices,
    list_microphones, mic_input, record as record_to,
};

/// `--source` and the mode asked of it, shared by the capture commands.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// `test` (the built-in test camera), or INPUT:DEVICE as `capture devices` lists them,
    /// e.g. v4l2:/dev/video0, avfoundation:0, dshow:video=Logitech BRIO
    #[arg(long, default_value = "test")]
    pub source: String,
    /// Picture size, e.g. 1920x1080 (default: the source's own; the test camera's is 1280x720)
    #[arg(long)]
    pub size: Option<String>,
    /// Frames per second (default: the source's own; the test camera's is 30)
    #[arg(long)]
    pub fps: Option<u32>,
    /// A microphone of its own for the sound, as `capture devices` lists it (e.g.
    /// alsa:default, alsa:hw:1,0); by default the source's own sound (the test camera's tone)
    #[arg(long)]
    pub mic: Option<String>,
}

impl SourceArgs {
    pub fn source(&self) -> anyhow::Result<Source> {
        if let Some(fps) = self.fps {
            anyhow::ensure!((1..=120).contains(&fps), "--fps must be between 1 and 120");
        }
        let size = self.size.as_deref().map(parse_size).transpose()?;
        Ok(self.source.parse::<Source>()?.with_mode(size, self.fps))
    }
}

/// `popbooth capture record` arguments.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long)]
    pub seconds: f64,
    #[arg(long)]
    pub out: PathBuf,
    /// `auto` picks the first that works here (hardware encoders, then libx264), with
    /// libx264 to fall back on if it fails mid-recording
    #[arg(long, default_value = "auto")]
    pub encoder: String,
    /// libx264 speed preset; `auto` measures which one keeps up in real time
    #[arg(long, default_value = "auto")]
    pub preset: String,
    /// Leave the sound out (by default it is recorded when the source has some)
    #[arg(long)]
    pub no_audio: bool,
}

/// Where the encoder probe is kept between runs (`POPBOOTH_CACHE_DIR` overrides).
pub fn encoder_cache_file() -> PathBuf {
    std::env::var_os("POPBOOTH_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("popbooth")))
        .unwrap_or_else(std::env::temp_dir)
        .join("encoders.json")
}

/// `popbooth capture record`: prints `recording FILE with ENCODER` once the file exists,
/// then a progress bar, then what was written.
pub fn record(args: &RecordArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.seconds > 0.0 && args.seconds.is_finite(),
        "--seconds must be more than 0"
    );
    let source = args.source.source()?;
    let cache_file = encoder_cache_file();
    let mut cache = EncoderCache::load(&cache_file)?;
    let named = |s: &str| (s != "auto").then(|| s.to_owned());
    let mut settings = cache.record_settings(
        &cache_file,
        &source,
        &args.out,
        named(&args.encoder).as_deref(),
        named(&args.preset).as_deref(),
    )?;
    settings.audio = !args.no_audio;
    settings.mic = args.source.mic.clone();
    settings.duration = Some(Duration::from_secs_f64(args.seconds));
    let (_, _, fps) = source.nominal_mode();
    let total = (args.seconds * f64::from(fps)).round() as u64;
    let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
        "  {bar:30} {pos}/{len} frames, {msg} dropped",
    )?);
    bar.set_message("0");
    let stop = AtomicBool::new(false);
    let preset = settings.preset.clone();
    let report = record_to(&settings, &stop, |event| match event {
        // On stdout even when the bar is hidden (not a terminal): scripts wait for it.
        RecordEvent::Started {
            file,
            encoder,
            width,
            height,
            fps,
            audio,
        } => bar.suspend(|| {
            outln!(
                "recording {} with {encoder}{}, {width}x{height} at {fps} fps, {}",
                file.display(),
                preset
                    .as_deref()
                    .filter(|_| encoder == "libx264")
                    .map(|p| format!(" (preset {p})"))
                    .unwrap_or_default(),
                if audio { "with sound" } else { "no sound" }
            );
        }),
        RecordEvent::FellBack {
            from, to, reason, ..
        } => bar.suspend(|| {
            eprintln!("warning: {from} failed ({reason}); recording continues with {to}");
        }),
        RecordEvent::Progress { frames, dropped } => {
            bar.set_position(frames + dropped);
            bar.set_message(dropped.to_string());
        }
    })?;
    bar.finish_and_clear();
    outln!(
        "wrote {} frames ({:.2} s, {:.2} s of sound, {} bytes), {} dropped",
        report.frames,
        report.seconds,
        report.audio_seconds,
        report.bytes,
        report.dropped
    );
    if report.segments.len() > 1 {
        for s in &report.segments {
            outln!(
                "  {} ({}, {} frames)",
                s.path.display(),
                s.encoder,
                s.frames
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture devices`: the cameras and microphones libavdevice finds and the built-in
/// test camera.
pub fn devices(json: bool) -> anyhow::Result<ExitCode> {
    let (sources, error) = match list_devices() {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let (mics, mic_error) = match list_microphones() {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let test = TestCamera::default();
    if json {
        let value = serde_json::json!({
            "input": camera_input(),
            // The devices' own names, as in the first version of this output.
            "devices": sources.iter().map(|d| d.source.split_once(':').map_or(d.source.as_str(), |(_, n)| n)).collect::<Vec<_>>(),
            "sources": sources,
            "error": error,
            "mic_input": mic_input(),
            "microphones": mics,
            "mic_error": mic_error,
            "test_camera": { "source": "test", "graph": test.graph(), "width": test.width, "height": test.height, "fps": test.fps },
        });
        outln!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if let Some(e) = &error {
            outln!("{e}");
        } else if sources.is_empty() {
            outln!("no cameras found through {}", camera_input());
        }
        for d in &sources {
            let media = match (d.video, d.audio) {
                (true, true) => "video+audio",
                (false, true) => "audio",
                _ => "video",
            };
            outln!(
                "{}  {} ({media}){}",
                d.source,
                d.name,
                if d.default { ", default" } else { "" }
            );
        }
        outln!(
            "test  built-in test camera: {} with a 440 Hz tone",
            test.graph()
        );
        match (&mic_error, mics.is_empty()) {
            (Some(e), _) => outln!("microphones: {e}"),
            (None, true) => outln!("no microphones found through {}", mic_input()),
            (None, false) => {
                for m in &mics {
                    let default = if m.default { ", default" } else { "" };
                    outln!("{}  {} (microphone{default})", m.source, m.name);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture encoders`: what the encoder probe found here (kept between runs;
/// `--refresh` probes again).
pub fn encoders(refresh: bool, json: bool) -> anyhow::Result<ExitCode> {
    let file = encoder_cache_file();
    let cache = if refresh {
        EncoderCache::refresh(&file)?
    } else {
        EncoderCache::load(&file)?
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&cache)?);
        return Ok(ExitCode::SUCCESS);
    }
    for e in &cache.encoders {
        let verdict = match (e.opens, e.works) {
            (_, true) => "works".to_owned(),
            (true, false) => format!(
                "opens, {}",
                e.check_error.as_deref().unwrap_or("not checked")
            ),
            (false, _) => format!("does not open: {}", e.error.as_deref().unwrap_or("unknown")),
        };
        let kind = if e.hardware { "hardware" } else { "software" };
        outln!("{:<20} {kind:<8}  {verdict}", e.name);
    }
    match cache.h264() {
        Ok(name) => outln!("records with: {name}"),
        Err(e) => outln!("{e}"),
    }
    outln!(
        "(probed for: {}; kept in {})",
        cache.machine,
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture still --event DIR [--burst N]`: a capture session of N shots saved as
/// full-size JPEG originals and recorded in the event database; one line per shot.
pub async fn still_into_event(
    dir: &Path,
    count: u32,
    interval_ms: u64,
    source: &SourceArgs,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (1..=20).contains(&count),
        "--burst must be between 1 and 20"
    );
    let source = source.source()?;
    let event = popbooth_store::Event::open(dir).await?;
    let taken = popbooth_capture::shoot(
        &event,
        source,
        count,
        Duration::from_millis(interval_ms),
        320,
    )
    .await;
    event.close().await;
    for t in taken? {
        outln!("{} {}x{}", t.shot.file, t.shot.width, t.shot.height);
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture still --out F`: one frame of the source as JPEG or PNG.
pub fn still(out: &Path, source: &SourceArgs) -> anyhow::Result<ExitCode> {
    let frame = grab_frame(&source.source()?)?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, frame.data)
        .context("the frame's size does not match its data")?;
    img.save(out)
        .with_context(|| format!("writing {}", out.display()))?;
    outln!("{} ({}x{})", out.display(), frame.width, frame.height);
    Ok(ExitCode::SUCCESS)
}

fn parse_size(s: &str) -> anyhow::Result<(u32, u32)> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .with_context(|| format!("size {s:?} is not WIDTHxHEIGHT"))?;
    Ok((
        w.trim()
            .parse()
            .with_context(|| format!("width in {s:?}"))?,
        h.trim()
            .parse()
            .with_context(|| format!("height in {s:?}"))?,
    ))
}
