//! `popbooth capture ...`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use popbooth_capture::{
    RecordEvent, RecordSettings, TestCamera, choose_h264, grab_frame, record as record_to,
    software_preset, video_devices,
};

/// `popbooth capture record` arguments.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    #[arg(long)]
    pub seconds: f64,
    #[arg(long)]
    pub out: PathBuf,
    /// `auto` picks the first that works: hardware encoders, then libx264
    #[arg(long, default_value = "auto")]
    pub encoder: String,
    /// libx264 speed preset; `auto` measures which one keeps up in real time
    #[arg(long, default_value = "auto")]
    pub preset: String,
    #[arg(long, default_value = "1280x720")]
    pub size: String,
    #[arg(long, default_value_t = 30)]
    pub fps: u32,
}

/// `popbooth capture record`: prints `recording FILE with ENCODER` once the file exists,
/// then a progress bar, then what was written.
pub fn record(args: &RecordArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.seconds > 0.0 && args.seconds.is_finite(),
        "--seconds must be more than 0"
    );
    anyhow::ensure!(
        (1..=120).contains(&args.fps),
        "--fps must be between 1 and 120"
    );
    let (width, height) = parse_size(&args.size)?;
    let encoder = match args.encoder.as_str() {
        "auto" => choose_h264(width, height, args.fps)?,
        name => name.to_owned(),
    };
    let preset = match (encoder.as_str(), args.preset.as_str()) {
        ("libx264", "auto") => Some(software_preset(width, height, args.fps)?.to_owned()),
        (_, "auto") => None,
        (_, p) => Some(p.to_owned()),
    };
    let settings = RecordSettings {
        out: args.out.clone(),
        camera: TestCamera {
            width,
            height,
            fps: args.fps,
        },
        encoder: encoder.clone(),
        preset: preset.clone(),
        duration: Some(Duration::from_secs_f64(args.seconds)),
    };
    let total = (args.seconds * f64::from(args.fps)).round() as u64;
    let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
        "  {bar:30} {pos}/{len} frames, {msg} dropped",
    )?);
    bar.set_message("0");
    let stop = AtomicBool::new(false);
    let report = record_to(&settings, &stop, |event| match event {
        // On stdout even when the bar is hidden (not a terminal): scripts wait for it.
        RecordEvent::Started => bar.suspend(|| {
            println!(
                "recording {} with {encoder}{}",
                args.out.display(),
                preset
                    .as_deref()
                    .map(|p| format!(" (preset {p})"))
                    .unwrap_or_default()
            );
        }),
        RecordEvent::Progress { frames, dropped } => {
            bar.set_position(frames + dropped);
            bar.set_message(dropped.to_string());
        }
    })?;
    bar.finish_and_clear();
    println!(
        "wrote {} frames ({:.2} s, {} bytes), {} dropped",
        report.frames, report.seconds, report.bytes, report.dropped
    );
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture devices`: the system's video devices and the built-in test camera.
pub fn devices(json: bool) -> anyhow::Result<ExitCode> {
    let devices = video_devices();
    let test = TestCamera::default();
    if json {
        let value = serde_json::json!({
            "devices": devices,
            "test_camera": { "graph": test.graph(), "width": test.width, "height": test.height, "fps": test.fps },
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if devices.is_empty() {
            println!("no video devices");
        }
        for d in &devices {
            println!("{d}");
        }
        println!("test camera (built in): {}", test.graph());
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture still --event DIR [--burst N]`: a capture session of N shots saved as
/// full-size JPEG originals and recorded in the event database; one line per shot.
pub async fn still_into_event(
    dir: &Path,
    count: u32,
    interval_ms: u64,
    size: &str,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (1..=20).contains(&count),
        "--burst must be between 1 and 20"
    );
    let (width, height) = parse_size(size)?;
    let camera = TestCamera {
        width,
        height,
        ..TestCamera::default()
    };
    let event = popbooth_store::Event::open(dir).await?;
    let taken = popbooth_capture::shoot(
        &event,
        camera,
        count,
        Duration::from_millis(interval_ms),
        320,
    )
    .await;
    event.close().await;
    for t in taken? {
        println!("{} {}x{}", t.shot.file, t.shot.width, t.shot.height);
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture still --out F`: one frame of the test camera as JPEG or PNG.
pub fn still(out: &Path, size: &str) -> anyhow::Result<ExitCode> {
    let (width, height) = parse_size(size)?;
    let frame = grab_frame(&TestCamera {
        width,
        height,
        ..TestCamera::default()
    })?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, frame.data)
        .context("the frame's size does not match its data")?;
    img.save(out)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{} ({}x{})", out.display(), frame.width, frame.height);
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
