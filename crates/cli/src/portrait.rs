//! `popbooth portrait ...`.

use std::path::Path;
use std::process::ExitCode;

use popbooth_portrait::{Models, Runtime, analyze, find_models_dir, load_photo};

use crate::output::outln;

/// `popbooth portrait analyze PHOTO [--json]`: faces, quality and crops of one photo. With
/// `--json`, one object (docs/cli-json.md); a photo that cannot be read is
/// `{"ok": false, "error": ...}` and exit code 1.
pub fn analyze_photo(photo: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let result = (|| -> anyhow::Result<_> {
        let runtime = Runtime::get(&[])?;
        let models = Models::load(&runtime, &find_models_dir(&[])?)?;
        let image = load_photo(photo)?;
        Ok(analyze(&models, &image)?)
    })();
    let analysis = match (result, json) {
        (Ok(a), _) => a,
        (Err(e), true) => {
            outln!(
                "{}",
                serde_json::json!({ "ok": false, "error": format!("{e:#}") })
            );
            return Ok(ExitCode::FAILURE);
        }
        (Err(e), false) => return Err(e),
    };
    if json {
        let mut value = serde_json::to_value(&analysis)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("ok".into(), true.into());
        }
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} ({}x{})",
        photo.display(),
        analysis.width,
        analysis.height
    );
    if analysis.faces.is_empty() {
        outln!("  no face");
    }
    for (i, f) in analysis.faces.iter().enumerate() {
        let b = f.bbox;
        outln!(
            "  face {}: [{:.0}, {:.0}, {:.0}, {:.0}] score {:.2}, eyes {}, roll {:.1}°",
            i + 1,
            b[0],
            b[1],
            b[2],
            b[3],
            f.score,
            if f.eyes_open { "open" } else { "closed" },
            f.roll
        );
    }
    let q = &analysis.quality;
    outln!(
        "  quality {:.2}{}",
        q.score,
        if q.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", q.reasons.join("; "))
        }
    );
    for (name, crop) in &analysis.crops {
        match crop {
            Some(c) => outln!(
                "  crop {name:<6} [{:.0}, {:.0}, {:.0}, {:.0}]",
                c[0],
                c[1],
                c[2],
                c[3]
            ),
            None => outln!(
                "  crop {name:<6} none: {}",
                analysis.crop_notes.get(name).map_or("", String::as_str)
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth batch IN_DIR --preset P --out DIR`: every file of IN_DIR rendered with the preset
/// as a 300 dpi print in DIR, in parallel, with a progress bar; Ctrl-C stops after the photos
/// in hand. What is not a usable photo is listed with the reason and skipped. With `--json`,
/// one object (docs/cli-json.md). Exit code 1 when nothing could be rendered.
pub fn batch(args: &BatchArgs) -> anyhow::Result<ExitCode> {
    use indicatif::{ProgressBar, ProgressStyle};
    use popbooth_portrait::{Assets, BatchJob, TextVars, batch_inputs};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runtime = Runtime::get(&[])?;
    // Several photos at once: one model thread each, so the workers do not fight over cores.
    let threads = if jobs > 1 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    // One set of model sessions per worker: they run side by side instead of taking turns.
    let dir = find_models_dir(&[])?;
    let sets = (0..jobs.clamp(1, 8))
        .map(|_| Models::load_with_threads(&runtime, &dir, threads))
        .collect::<Result<Vec<_>, _>>()?;
    let models: Vec<&Models> = sets.iter().collect();
    let assets = Assets::find(&[])?;
    let recipe = assets.preset(&args.preset).map_err(|e| {
        anyhow::anyhow!("{e}; the presets are: {}", assets.preset_names().join(", "))
    })?;
    let inputs = batch_inputs(&args.input)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let handler_flag = cancel.clone();
    // A second Ctrl-C while stopping is the default: quit at once.
    let _ = ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
    let bar = ProgressBar::new(inputs.len() as u64).with_style(ProgressStyle::with_template(
        "  {bar:30} {pos}/{len} photos, {msg}",
    )?);
    if args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_message("0 skipped");
    let skipped = std::sync::atomic::AtomicU32::new(0);
    let vars = TextVars {
        event: args.event.clone().unwrap_or_default(),
        date: args.date.clone().unwrap_or_default(),
    };
    let started = std::time::Instant::now();
    let report = popbooth_portrait::batch(
        &models,
        &assets,
        BatchJob {
            inputs: &inputs,
            recipe: &recipe,
            vars: &vars,
            out_dir: &args.out,
            jobs,
        },
        &cancel,
        &|p| {
            bar.set_position(u64::from(p.finished));
            if let Some(why) = &p.item.skipped {
                let n = skipped.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_message(format!("{n} skipped"));
                bar.suspend(|| eprintln!("skipped {}: {why}", p.item.input.display()));
            }
        },
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("seconds".into(), seconds.into());
        }
        outln!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        outln!(
            "{} rendered, {} skipped{} in {:.1} s ({:.2} photos/s) into {}",
            report.done,
            report.skipped,
            if report.cancelled { ", cancelled" } else { "" },
            seconds,
            f64::from(report.done) / seconds.max(1e-9),
            args.out.display()
        );
    }
    Ok(if report.done == 0 && !inputs.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `popbooth batch` arguments.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// The folder of photos
    pub input: std::path::PathBuf,
    /// A preset of assets/presets (classic-4x6, studio-4x6, portrait-blur-5x7, ...)
    #[arg(long)]
    pub preset: String,
    /// Where the prints go (NAME.jpg for each NAME.*)
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Photos worked on at once (default: one per core)
    #[arg(long)]
    pub jobs: Option<usize>,
    /// The event name printed on the templates
    #[arg(long)]
    pub event: Option<String>,
    /// The date printed on the templates
    #[arg(long)]
    pub date: Option<String>,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}
