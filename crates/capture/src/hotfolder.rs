//! The hot folder: tethering software (or a Wi-Fi SD card) writes a DSLR's shots into a
//! folder; each finished image is imported into the event exactly once.
//!
//! Polling, not file-system notifications (the `notify` crate): a notification says that a
//! file changed, not that the camera software has finished writing it, so sizes would have
//! to be polled anyway; polling also behaves the same on network shares and SD cards, and
//! when the folder is deleted and comes back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use popbooth_store::{Event, NewShot, SessionKind, Shot, content_hash};
use tokio::sync::watch;

use crate::CaptureError;

/// Largest image accepted, in pixels (a 100 MP medium-format frame fits; a decompression
/// bomb does not).
const MAX_PIXELS: u64 = 120_000_000;
/// Largest file accepted, in bytes.
const MAX_BYTES: u64 = 200 * 1024 * 1024;

/// How the watcher polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotFolderConfig {
    /// Time between two looks at the folder; a file is finished once its size and
    /// modification time have not changed for one interval.
    pub poll: Duration,
    /// Longest wait between retries while the folder is missing.
    pub max_backoff: Duration,
}

impl Default for HotFolderConfig {
    fn default() -> Self {
        HotFolderConfig {
            poll: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum HotFolderEvent {
    /// The folder is there and being watched.
    Watching,
    /// The folder is gone (unplugged card, deleted); retrying in `retry_in`.
    Reconnecting {
        retry_in: Duration,
        reason: String,
    },
    Imported {
        file: PathBuf,
        shot: Box<Shot>,
    },
    /// Same content as a shot already in the event: not imported again.
    Duplicate {
        file: PathBuf,
    },
    Rejected {
        file: PathBuf,
        reason: String,
    },
}

/// Watches `dir` until `stop` turns true, importing finished images into `event`. Never
/// returns an error for what is in the folder (that is reported as `Rejected`); only a
/// failing event database ends it.
pub async fn watch_hot_folder(
    dir: &Path,
    event: &Event,
    config: HotFolderConfig,
    mut stop: watch::Receiver<bool>,
    mut on_event: impl FnMut(HotFolderEvent),
) -> Result<(), CaptureError> {
    // Per file: the (size, mtime) seen at the last look, and whether it is dealt with.
    let mut seen: HashMap<PathBuf, ((u64, SystemTime), bool)> = HashMap::new();
    let mut backoff = config.poll;
    let mut watching = false;
    loop {
        let wait = match list(dir) {
            Ok(files) => {
                if !watching {
                    watching = true;
                    backoff = config.poll;
                    on_event(HotFolderEvent::Watching);
                }
                for (path, stamp) in files {
                    let Some(entry) = seen.get_mut(&path) else {
                        // First sight: it may still be growing; judge it at the next look.
                        seen.insert(path, (stamp, false));
                        continue;
                    };
                    if entry.0 != stamp {
                        // Still being written (or rewritten): look again next time.
                        *entry = (stamp, false);
                        continue;
                    }
                    if entry.1 {
                        continue;
                    }
                    entry.1 = true;
                    on_event(import(&path, event).await?);
                }
                config.poll
            }
            Err(e) => {
                watching = false;
                let retry_in = backoff;
                on_event(HotFolderEvent::Reconnecting {
                    retry_in,
                    reason: e.to_string(),
                });
                backoff = (backoff * 2).min(config.max_backoff);
                retry_in
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(());
                }
            }
        }
        if *stop.borrow() {
            return Ok(());
        }
    }
}

/// The visible regular files of `dir` with their size and modification time.
fn list(dir: &Path) -> std::io::Result<Vec<(PathBuf, (u64, SystemTime))>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // hidden and temporary files of the tethering software
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() {
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            out.push((entry.path(), (meta.len(), mtime)));
        }
    }
    out.sort();
    Ok(out)
}

/// Imports one finished file, or says why not.
async fn import(path: &Path, event: &Event) -> Result<HotFolderEvent, CaptureError> {
    let file = path.to_path_buf();
    let reject = |reason: String| {
        tracing::warn!(file = %path.display(), %reason, "hot folder: rejected");
        Ok(HotFolderEvent::Rejected {
            file: file.clone(),
            reason,
        })
    };
    let checked = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || check_image(&path))
            .await
            .map_err(|e| CaptureError::Thread(e.to_string()))?
    };
    let (data, width, height, ext) = match checked {
        Ok(v) => v,
        Err(reason) => return reject(reason),
    };
    if event.shot_by_sha256(&content_hash(&data)).await?.is_some() {
        tracing::info!(file = %path.display(), "hot folder: already imported");
        return Ok(HotFolderEvent::Duplicate { file });
    }
    let session = event.start_session(SessionKind::Single, 1).await?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let source = format!("hot folder: {}", name.as_deref().unwrap_or("?"));
    let shot = event
        .add_shot(
            &session,
            1,
            NewShot {
                source: &source,
                width,
                height,
                extension: ext,
                data: &data,
            },
        )
        .await?;
    tracing::info!(file = %path.display(), original = %shot.file, "hot folder: imported");
    Ok(HotFolderEvent::Imported {
        file,
        shot: Box::new(shot),
    })
}

/// Reads and fully decodes the file (a truncated JPEG fails here), within size limits.
/// Returns its bytes, size and the extension for its format.
fn check_image(path: &Path) -> Result<(Vec<u8>, u32, u32, &'static str), String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len == 0 {
        return Err("the file is empty".into());
    }
    if len > MAX_BYTES {
        return Err(format!(
            "the file is larger than {} MB",
            MAX_BYTES / 1024 / 1024
        ));
    }
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    let format = image::guess_format(&data).map_err(|_| "not an image".to_owned())?;
    let ext = match format {
        image::ImageFormat::Jpeg => "jpg",
        image::ImageFormat::Png => "png",
        other => return Err(format!("{other:?} images are not taken (JPEG and PNG are)")),
    };
    // Decoders are lenient with a cut-off file (a JPEG decodes with a grey bottom), so the
    // end marker is checked first: a write that stopped halfway is caught here.
    if !has_end_marker(format, &data) {
        return Err("damaged: the file is cut off (no end marker)".into());
    }
    let (w, h) = limited_reader(&data, format)
        .into_dimensions()
        .map_err(|e| format!("unreadable: {e}"))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!("{w}x{h} is larger than {MAX_PIXELS} pixels"));
    }
    limited_reader(&data, format)
        .decode()
        .map_err(|e| format!("damaged: {e}"))?;
    Ok((data, w, h, ext))
}

/// A decoder for `data` that refuses to allocate more than [`MAX_PIXELS`] RGBA pixels.
fn limited_reader(
    data: &[u8],
    format: image::ImageFormat,
) -> image::ImageReader<std::io::Cursor<&[u8]>> {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    reader
}

/// JPEG ends with EOI (FF D9; some cameras pad zeros after it), PNG with its IEND chunk.
fn has_end_marker(format: image::ImageFormat, data: &[u8]) -> bool {
    match format {
        image::ImageFormat::Jpeg => {
            let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            data[..end].ends_with(&[0xFF, 0xD9])
        }
        image::ImageFormat::Png => {
            data.len() >= 12 && &data[data.len() - 8..data.len() - 4] == b"IEND"
        }
        _ => true,
    }
}
