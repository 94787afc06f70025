//! Writing files so that a crash or power cut leaves either the old file or the new one,
//! never a torn one.

use std::io::Write;
use std::path::Path;

use crate::StoreError;

/// Creates `path` (which must not exist) with `data` and syncs it to disk.
pub(crate) fn write_synced(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(StoreError::io("create", path))?;
    f.write_all(data).map_err(StoreError::io("write", path))?;
    f.sync_all().map_err(StoreError::io("sync", path))
}

/// Makes a rename durable (the directory entry itself is synced). A no-op where directories
/// cannot be opened (Windows).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        let d = std::fs::File::open(dir).map_err(StoreError::io("open", dir))?;
        d.sync_all().map_err(StoreError::io("sync", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Replaces `path` with `data` atomically: a synced temporary file beside it is renamed over
/// it. Creates the parent folder if needed.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(StoreError::io("create the folder", dir))?;
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7()));
    let result = write_synced(&tmp, data)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(StoreError::io("replace", path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

/// Writes `data` as `dir/name` once: if the file is there it is kept as it is (content-named
/// files never change); otherwise a synced temporary file is renamed into place and the
/// folder synced.
pub(crate) fn write_once(dir: &Path, name: &str, data: &[u8]) -> Result<(), StoreError> {
    let target = dir.join(name);
    if target.exists() {
        return Ok(());
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7()));
    let result = write_synced(&tmp, data).and_then(|()| {
        std::fs::rename(&tmp, &target).map_err(StoreError::io("move into place", &target))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}
