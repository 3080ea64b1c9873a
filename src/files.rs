//! Files the shop writes for the owner (exports): written under a temporary name beside the
//! target and renamed only when complete, so a failed write never leaves half a file where a
//! good one was.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::Error;

/// The folder `path` is in (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `path` through `write`, which gets a buffered writer; the file appears at `path`
/// only when `write` succeeded and everything is flushed.
pub(crate) fn write_whole<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<NamedTempFile>) -> Result<T, Error>,
) -> Result<T, Error> {
    let io = |e: std::io::Error| match Error::io(path, e) {
        Error::Invalid(message) => Error::Invalid(format!("cannot write {message}")),
        other => other,
    };
    let file = NamedTempFile::new_in(folder_of(path)).map_err(io)?;
    let mut out = BufWriter::new(file);
    let written = write(&mut out)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(written)
}
