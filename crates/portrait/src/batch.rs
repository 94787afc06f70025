//! Batch: one recipe applied to many photos in parallel, each written as a print JPEG. A file
//! that is not a usable photo (corrupt, empty, a decompression bomb, not an image) is reported
//! and skipped while the rest go on; a cancel stops it between photos; memory stays bounded
//! (each worker holds one photo at a time).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;

use crate::compose::{Assets, TextVars};
use crate::render::{Recipe, render};
use crate::{Models, PortraitError, load_photo};

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct BatchItem {
    pub input: PathBuf,
    /// The print written, or why the input was skipped.
    pub output: Option<PathBuf>,
    pub skipped: Option<String>,
}

/// Progress, as it happens (from the worker threads).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct BatchProgress {
    pub finished: u32,
    pub total: u32,
    pub item: BatchItem,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct BatchReport {
    /// In the order of the inputs; inputs not reached because of a cancel are missing.
    pub items: Vec<BatchItem>,
    pub done: u32,
    pub skipped: u32,
    pub cancelled: bool,
}

/// What a batch does: every input rendered with `recipe` into `out_dir` as `NAME.jpg`, by
/// `jobs` workers.
#[derive(Debug, Clone, Copy)]
pub struct BatchJob<'a> {
    pub inputs: &'a [PathBuf],
    pub recipe: &'a Recipe,
    pub vars: &'a TextVars,
    pub out_dir: &'a Path,
    pub jobs: usize,
}

/// Runs `job` until done or `cancel` is set, reporting each photo as it finishes. Worker `k`
/// uses `models[k % models.len()]`: one set of sessions per worker lets them run the models
/// side by side instead of taking turns on one set's locks.
pub fn batch(
    models: &[&Models],
    assets: &Assets,
    job: BatchJob<'_>,
    cancel: &AtomicBool,
    on_progress: &(dyn Fn(BatchProgress) + Sync),
) -> Result<BatchReport, PortraitError> {
    let BatchJob {
        inputs,
        recipe,
        vars,
        out_dir,
        jobs,
    } = job;
    std::fs::create_dir_all(out_dir).map_err(|e| PortraitError::Output {
        path: out_dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    // Check the recipe once, before any work: a missing template is the batch's error, not
    // every photo's.
    assets.template(&recipe.template)?;
    let outputs = output_names(inputs, out_dir);
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<BatchItem>>> = Mutex::new(vec![None; inputs.len()]);
    let total = u32::try_from(inputs.len()).unwrap_or(u32::MAX);
    std::thread::scope(|s| {
        if models.is_empty() {
            return;
        }
        for k in 0..jobs.clamp(1, 64) {
            let models = models[k % models.len()];
            let (next, finished, results, outputs) = (&next, &finished, &results, &outputs);
            s.spawn(move || {
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else {
                        return;
                    };
                    let item = match one(models, assets, input, recipe, vars, &outputs[i]) {
                        Ok(()) => BatchItem {
                            input: input.clone(),
                            output: Some(outputs[i].clone()),
                            skipped: None,
                        },
                        Err(e) => {
                            tracing::warn!(file = %input.display(), error = %e, "batch: skipped");
                            BatchItem {
                                input: input.clone(),
                                output: None,
                                skipped: Some(e.to_string()),
                            }
                        }
                    };
                    let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
                    on_progress(BatchProgress {
                        finished: u32::try_from(n).unwrap_or(u32::MAX),
                        total,
                        item: item.clone(),
                    });
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(item);
                    }
                }
            });
        }
    });
    let items: Vec<BatchItem> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let done = items.iter().filter(|i| i.output.is_some()).count();
    Ok(BatchReport {
        done: u32::try_from(done).unwrap_or(u32::MAX),
        skipped: u32::try_from(items.len() - done).unwrap_or(u32::MAX),
        cancelled: items.len() < inputs.len(),
        items,
    })
}

/// One photo: read, render, write (atomically: a cancelled or crashed batch leaves no half
/// file under the final name).
fn one(
    models: &Models,
    assets: &Assets,
    input: &Path,
    recipe: &Recipe,
    vars: &TextVars,
    output: &Path,
) -> Result<(), PortraitError> {
    let photo = load_photo(input)?;
    let rendered = render(
        models,
        assets,
        std::slice::from_ref(&photo),
        recipe,
        vars,
        false,
    )?;
    crate::recycle_photo(photo);
    let tmp = output.with_extension("jpg.part");
    let written =
        std::fs::write(&tmp, &rendered.print_jpeg).and_then(|()| std::fs::rename(&tmp, output));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        PortraitError::Output {
            path: output.to_path_buf(),
            reason: e.to_string(),
        }
    })
}

/// `out_dir/STEM.jpg` per input, `STEM-2.jpg` ... when two inputs share a stem.
fn output_names(inputs: &[PathBuf], out_dir: &Path) -> Vec<PathBuf> {
    let mut seen = std::collections::HashMap::<String, u32>::new();
    inputs
        .iter()
        .map(|p| {
            let stem = p
                .file_stem()
                .map_or_else(|| "photo".into(), |s| s.to_string_lossy().into_owned());
            let n = seen.entry(stem.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                out_dir.join(format!("{stem}.jpg"))
            } else {
                out_dir.join(format!("{stem}-{n}.jpg"))
            }
        })
        .collect()
}

/// The regular files of `dir`, sorted by name (everything: what is not a photo is reported
/// by the batch, not silently left out).
pub fn batch_inputs(dir: &Path) -> Result<Vec<PathBuf>, PortraitError> {
    let entries = std::fs::read_dir(dir).map_err(|e| PortraitError::BadPhoto {
        reason: format!("cannot read the folder {}: {e}", dir.display()),
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}
