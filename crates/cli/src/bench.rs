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
