//! Reading the files a user names, bounded and sandboxed: a scenario reads only inside its own
//! folder (or a root the user allows with `--allow-path`), only regular files, only up to a size.
//!
//! Why: a scenario file may come from someone else (an e-mail, a shared sweep service). Its
//! `extends` must not be able to make sovsim read `/etc/shadow`, hang on a FIFO or fill memory
//! from `/dev/zero`; and a refused file's bytes must never reach an output, so nothing is read
//! before the checks pass (typst's project root and `uv`'s project-file limits are the models).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sovsim_core::scenario::SourceReader;

/// Largest file sovsim reads: a scenario, a catalog table or a report template [bytes]. The
/// largest shipped file is ~40 kB; 16 MiB leaves room for generated scenarios of thousands of
/// sites.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Folders besides a scenario's own that its `extends` may read from (`--allow-path`).
static ALLOWED: OnceLock<Vec<PathBuf>> = OnceLock::new();

/// Records the folders `--allow-path` names (once, at start).
pub(crate) fn allow(paths: &[PathBuf]) {
    let _ = ALLOWED.set(paths.iter().filter_map(|p| p.canonicalize().ok()).collect());
}

/// The bytes of `path` if it is a regular file of at most [`MAX_FILE_BYTES`].
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    sovsim_report::typeset::read_bounded(path, MAX_FILE_BYTES).map_err(|e| e.to_string())
}

/// `read_bounded` as UTF-8 text.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read_bounded(path)?).map_err(|e| {
        format!(
            "not UTF-8 text (an invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Writes `bytes` to `path` whole or not at all: into a sibling file, then one rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("`{}` names no file", path.display()))?;
    let mut partial = name.to_os_string();
    partial.push(format!(".{}.partial", std::process::id()));
    let tmp = path.with_file_name(partial);
    let failed = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    std::fs::write(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })
}

/// Reads a scenario and the bases it extends from disk, inside the scenario's folder.
pub(crate) struct FsReader {
    /// The file the user named, canonical: it may be anywhere.
    top: Option<PathBuf>,
    /// Folders its bases may be read from, canonical: its own and the allowed ones.
    roots: Vec<PathBuf>,
}

impl FsReader {
    /// A reader for the scenario `file` and its bases.
    pub(crate) fn for_file(file: &Path) -> Self {
        let top = file.canonicalize().ok();
        let mut roots: Vec<PathBuf> = ALLOWED.get().cloned().unwrap_or_default();
        if let Some(dir) = top.as_deref().and_then(Path::parent) {
            roots.push(dir.to_path_buf());
        }
        FsReader { top, roots }
    }

    /// A reader for a scenario that the sweep file `sweep` names: the scenario must lie inside the
    /// sweep's folder or a folder given with `--allow-path` (a sweep file may come from someone
    /// else, as a scenario may); its bases, inside its own folder as always.
    pub(crate) fn for_sweep_scenario(sweep: &Path, scenario: &Path) -> Result<Self, String> {
        let sweep_dir = sweep
            .canonicalize()
            .ok()
            .and_then(|s| s.parent().map(Path::to_path_buf));
        let real = scenario.canonicalize().map_err(|e| e.to_string())?;
        let allowed = ALLOWED.get().map_or(&[][..], Vec::as_slice);
        if sweep_dir.as_ref().is_some_and(|d| real.starts_with(d))
            || allowed.iter().any(|r| real.starts_with(r))
        {
            return Ok(FsReader::for_file(scenario));
        }
        Err(format!(
            "outside the sweep's folder{}: a sweep may name scenarios inside it, or in a folder given with `--allow-path`",
            sweep_dir.map_or(String::new(), |d| format!(" `{}`", d.display()))
        ))
    }

    /// Whether `path` may be read: the file the user named, or a file inside a root once every
    /// symlink and `..` is resolved.
    fn check(&self, path: &Path) -> Result<(), String> {
        let real = path.canonicalize().map_err(|e| e.to_string())?;
        if self.top.as_ref() == Some(&real) || self.roots.iter().any(|r| real.starts_with(r)) {
            return Ok(());
        }
        let root = self.roots.last().map_or_else(
            || "the scenario's folder".to_owned(),
            |r| format!("`{}`", r.display()),
        );
        Err(format!(
            "outside the scenario's folder {root}: a scenario may only extend files inside it (or in a folder given with `--allow-path`)"
        ))
    }
}

impl SourceReader for FsReader {
    fn read(&self, path: &Path) -> Result<String, String> {
        self.check(path)?;
        read_text(path)
    }

    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.check(path)?;
        read_bounded(path)
    }
}
