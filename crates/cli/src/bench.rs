//! `popbooth bench ...`: figures on stdout, ending with `ratio: R`.

use crate::output::outln;
use std::path::Path;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use popbooth_capture::bench::{EncodeJob, Throughput, encode_in_process, encode_with_ffmpeg_tool};

/// `popbooth bench encode`.
pub fn encode(frames: u32, runs: u32, ffmpeg: &Path) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        frames > 0 && runs > 0,
        "--frames and --runs must be at least 1"
    );
    let job = EncodeJob {
        frames,
        ..EncodeJob::default()
    };
    outln!(
        "encode {} frames of {}x{} testsrc2 at {} fps, {} preset {}",
        job.frames,
        job.width,
        job.height,
        job.fps,
        job.encoder,
        job.preset
    );
    let mut ours: Option<Throughput> = None;
    let mut tool: Option<Throughput> = None;
    let best = |a: Option<Throughput>, b: Throughput| match a {
        Some(a) if a.fps() >= b.fps() => Some(a),
        _ => Some(b),
    };
    for run in 1..=runs {
        let bar = ProgressBar::new(u64::from(job.frames)).with_style(ProgressStyle::with_template(
            "  in-process run {msg} {bar:30} {pos}/{len} frames",
        )?);
        bar.set_message(run.to_string());
        let t = encode_in_process(&job, |done| bar.set_position(u64::from(done)))?;
        bar.finish_and_clear();
        outln!(
            "  run {run} in-process  {:>6.2} s  {:>6.1} fps  {:>9} bytes",
            t.seconds,
            t.fps(),
            t.bytes
        );
        ours = best(ours, t);

        let spinner = ProgressBar::new_spinner().with_message(format!("ffmpeg tool run {run}"));
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        let t = encode_with_ffmpeg_tool(&job, ffmpeg)?;
        spinner.finish_and_clear();
        outln!(
            "  run {run} ffmpeg tool {:>6.2} s  {:>6.1} fps  {:>9} bytes",
            t.seconds,
            t.fps(),
            t.bytes
        );
        tool = best(tool, t);
    }
    let (ours, tool) = match (ours, tool) {
        (Some(o), Some(t)) => (o, t),
        _ => anyhow::bail!("no run finished"),
    };
    outln!("in-process:  {:.1} fps (best of {runs})", ours.fps());
    outln!("ffmpeg tool: {:.1} fps (best of {runs})", tool.fps());
    outln!("ratio: {:.3}", ours.fps() / tool.fps());
    Ok(ExitCode::SUCCESS)
}

/// The Python reference's interpreter: `POPBOOTH_PYREF` or the project's `.deps/pyref/`.
fn reference_python() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("POPBOOTH_PYREF") {
        return Some(p.into());
    }
    let here = std::env::current_dir().ok()?;
    here.ancestors()
        .map(|d| d.join(".deps/pyref/bin/python"))
        .find(|p| p.is_file())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// `popbooth bench portrait`: `photos` 12 MP JPEGs (the astronaut on a studio frame) through
/// the whole pipeline to a 300 dpi 4x6 print: the median time of one photo (stage by stage)
/// and the batch rate; then the Python reference (MediaPipe 0.10.14 + Pillow) on the same
/// photos in the same run. Ratio: the reference's median time over ours.
pub fn portrait(photos: u32, batch_photos: u32) -> anyhow::Result<ExitCode> {
    use popbooth_portrait::{Assets, BatchJob, Models, Runtime, TextVars, find_models_dir};
    anyhow::ensure!(photos > 0, "--photos must be at least 1");
    let runtime = Runtime::get(&[])?;
    let models = Models::load(&runtime, &find_models_dir(&[])?)?;
    let assets = Assets::find(&[])?;
    let recipe = assets.preset("studio-4x6")?;
    let tmp = tempfile_dir()?;
    let input = tmp.join("in");
    std::fs::create_dir_all(&input)?;
    let n = photos.max(batch_photos);
    let mut files = Vec::new();
    for (i, img) in popbooth_portrait::bench::bench_photos(n)?
        .into_iter()
        .enumerate()
    {
        let path = input.join(format!("photo-{i:03}.jpg"));
        img.save(&path)?;
        files.push(path);
    }
    outln!(
        "portrait: {n} photos of 4000x3000 (JPEG), preset studio-4x6 (detect, landmarks, straighten, tone, skin, matte, backdrop, frame, compose, sharpen, 300 dpi JPEG)"
    );

    // One photo at a time, warm sessions (the first photo warms up and is not counted).
    let first = std::fs::read(&files[0])?;
    popbooth_portrait::bench::time_pipeline(&models, &assets, &first, &recipe)?;
    let mut totals = Vec::new();
    let mut stages = Vec::new();
    for path in files.iter().take(photos as usize) {
        let t = popbooth_portrait::bench::time_pipeline(
            &models,
            &assets,
            &std::fs::read(path)?,
            &recipe,
        )?;
        totals.push(t.total);
        stages.push(t);
    }
    let ours = median(&mut totals);
    let stage = |f: fn(&popbooth_portrait::StageTimes) -> f64| {
        median(&mut stages.iter().map(f).collect::<Vec<_>>())
    };
    outln!(
        "  one photo: median {ours:.0} ms (decode {:.0}, faces {:.0}, frame {:.0}, tone {:.0}, skin {:.0}, matte {:.0}, backdrop {:.0}, compose {:.0}, sharpen {:.0}, encode {:.0})",
        stage(|t| t.decode),
        stage(|t| t.faces),
        stage(|t| t.frame),
        stage(|t| t.tone),
        stage(|t| t.skin),
        stage(|t| t.matte),
        stage(|t| t.background),
        stage(|t| t.compose),
        stage(|t| t.sharpen),
        stage(|t| t.encode)
    );

    // The batch: every core busy, one photo per core, one model thread per photo.
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sets = (0..jobs)
        .map(|_| Models::load_with_threads(&runtime, models.dir(), 1))
        .collect::<Result<Vec<_>, _>>()?;
    let batch_models: Vec<&Models> = sets.iter().collect();
    let batch_files = &files[..batch_photos.min(n) as usize];
    let started = std::time::Instant::now();
    let report = popbooth_portrait::batch(
        &batch_models,
        &assets,
        BatchJob {
            inputs: batch_files,
            recipe: &recipe,
            vars: &TextVars::default(),
            out_dir: &tmp.join("out"),
            jobs,
        },
        &std::sync::atomic::AtomicBool::new(false),
        &|_| {},
    )?;
    let rate = f64::from(report.done) / started.elapsed().as_secs_f64();
    outln!(
        "  batch: {} photos with {jobs} workers, {rate:.2} photos/s",
        report.done
    );

    // The Python reference on the same photos.
    let Some(python) = reference_python() else {
        outln!(
            "  python reference: not installed (./scripts/setup --bench installs MediaPipe 0.10.14 and Pillow into .deps/pyref)"
        );
        outln!("ratio: unavailable");
        return Ok(ExitCode::FAILURE);
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/bench_portrait_reference.py");
    let ref_out = tmp.join("ref");
    std::fs::create_dir_all(&ref_out)?;
    let output = std::process::Command::new(&python)
        .arg(&script)
        .arg(assets.dir().join("backgrounds/studio-grey.png"))
        .arg(&ref_out)
        .args(files.iter().take(photos as usize))
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "the Python reference failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(
        output
            .stdout
            .split(|b| *b == b'\n')
            .rev()
            .find(|l| l.starts_with(b"{"))
            .unwrap_or_default(),
    )?;
    let mut reference: Vec<f64> = v["ms"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default();
    let theirs = median(&mut reference);
    outln!("  python reference (MediaPipe 0.10.14 + Pillow): median {theirs:.0} ms a photo");
    let _ = std::fs::remove_dir_all(&tmp);
    outln!("ratio: {:.2}", theirs / ours);
    Ok(ExitCode::SUCCESS)
}

/// `popbooth bench sales`: `n` durable sales through the domain layer and the same rows
/// through plain statements, alternating `runs` times, each on a fresh event.
pub async fn sales(n: u32, runs: u32) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(n > 0 && runs > 0, "--sales and --runs must be at least 1");
    let tmp = tempfile_dir()?;
    outln!(
        "sales: {n} durable sales a run (order, line, payment and events in one transaction, synchronous FULL), best of {runs}"
    );
    const TILLS: u32 = 8;
    let (mut ours, mut theirs, mut ours_at_once, mut theirs_at_once) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for run in 0..runs {
        let at = |side: &str| tmp.join(format!("{side}-{run}"));
        let o = popbooth_sales::bench::domain(&at("domain"), n).await?;
        let t = popbooth_sales::bench::baseline(&at("plain"), n).await?;
        let (oc, commits) =
            popbooth_sales::bench::domain_concurrent(&at("domain-tills"), n, TILLS).await?;
        let tc = popbooth_sales::bench::baseline_concurrent(&at("plain-tills"), n, TILLS).await?;
        outln!(
            "  run {}: one till: popbooth {o:.0} sales/s, plain sqlx {t:.0}; {TILLS} tills at once: popbooth {oc:.0} sales/s ({commits} commits, group commit), plain sqlx {tc:.0}",
            run + 1
        );
        ours = ours.max(o);
        theirs = theirs.max(t);
        ours_at_once = ours_at_once.max(oc);
        theirs_at_once = theirs_at_once.max(tc);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    outln!("  one till:        popbooth {ours:.0} sales/s; plain sqlx inserts {theirs:.0} sales/s");
    outln!(
        "  {TILLS} tills at once: popbooth {ours_at_once:.0} sales/s; plain sqlx inserts {theirs_at_once:.0} sales/s (ratio {:.2})",
        ours_at_once / theirs_at_once
    );
    // The headline compares like with like: one sale after another, one commit each.
    outln!("ratio: {:.2}", ours / theirs);
    Ok(ExitCode::SUCCESS)
}

/// A fresh folder under the system's temporary folder.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "popbooth-bench-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
