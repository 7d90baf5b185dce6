//! Output directories that are whole or absent: everything a command writes goes into a hidden
//! sibling, which replaces the directory with one atomic exchange at the end (SQLite's and
//! Postgres' discipline: a committed state is whole, an uncommitted one is invisible).
//!
//! Rules:
//! - The staging directory is `.<name>.sovsim-<pid>` beside the target: the same file system, so
//!   the final step is a rename, never a copy.
//! - Commit swaps staging and target with `renameat2(RENAME_EXCHANGE)` (the target is never absent,
//!   even for an instant), then removes the previous run, now in the staging path. A target that
//!   does not exist yet is created by a plain rename.
//! - A command that fails, or is killed, leaves the previous run untouched: a failure removes its
//!   staging directory; a killed process leaves one behind, which the next command writing beside
//!   it removes once its process is gone.
//! - A target that exists must be a directory sovsim wrote (it holds `.sovsim-output`, or a
//!   `manifest.json`, `optimize.json`, `comparison.csv` or `tornado.csv` from before the marker): `--out /` or
//!   `--out ~` is refused, never emptied.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The marker every directory sovsim writes holds.
pub const MARKER: &str = ".sovsim-output";

/// Files that mark a directory written by a sovsim older than [`MARKER`].
const OLD_MARKERS: [&str; 4] = [
    "manifest.json",
    "optimize.json",
    "comparison.csv",
    "tornado.csv",
];

/// A directory being written, to replace `target` on [`Staging::commit`].
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Starts writing `target` in a fresh hidden sibling; removes the staging directories that
    /// dead sovsim processes left beside it.
    ///
    /// # Errors
    /// If `target` exists and is not a directory sovsim wrote, or the sibling cannot be created.
    pub fn begin(target: &Path) -> io::Result<Self> {
        check_target(target)?;
        let (parent, name) = parent_and_name(target)?;
        fs::create_dir_all(&parent).map_err(|e| named(e, &parent))?;
        remove_dead_siblings(&parent, &name);
        let staging = parent.join(format!(".{name}.sovsim-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| named(e, &staging))?;
        }
        fs::create_dir(&staging).map_err(|e| named(e, &staging))?;
        fs::write(staging.join(MARKER), b"written by sovsim\n").map_err(|e| named(e, &staging))?;
        Ok(Self {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// Starts rewriting `target` in place: a copy of it in a fresh sibling (what `sovsim report`
    /// re-renders), which replaces it on commit.
    ///
    /// # Errors
    /// As [`Staging::begin`], or if `target` cannot be copied.
    pub fn begin_from(target: &Path) -> io::Result<Self> {
        let staging = Self::begin(target)?;
        if target.is_dir() {
            copy_dir(target, &staging.staging)?;
        }
        Ok(staging)
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The directory the writes will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Makes the writes the target, atomically, and removes the previous run.
    ///
    /// # Errors
    /// If the exchange or rename fails (the previous run is then untouched).
    pub fn commit(mut self) -> io::Result<()> {
        if self.target.exists() {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.staging,
                rustix::fs::CWD,
                &self.target,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .map_err(|e| named(io::Error::from(e), &self.target))?;
            self.committed = true;
            // The previous run is now in the staging path: gone, or removed by the next run.
            let _ = fs::remove_dir_all(&self.staging);
        } else {
            fs::rename(&self.staging, &self.target).map_err(|e| named(e, &self.target))?;
            self.committed = true;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Whether `dir` is a directory sovsim wrote.
pub fn is_sovsim_output(dir: &Path) -> bool {
    dir.join(MARKER).is_file() || OLD_MARKERS.iter().any(|m| dir.join(m).is_file())
}

fn check_target(target: &Path) -> io::Result<()> {
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(named(e, target)),
        Ok(m) if !m.is_dir() => Err(io::Error::other(format!(
            "`{}` exists and is not a directory: choose another output directory",
            target.display()
        ))),
        Ok(_) => {
            let empty = fs::read_dir(target)
                .map_err(|e| named(e, target))?
                .next()
                .is_none();
            if empty || is_sovsim_output(target) {
                Ok(())
            } else {
                Err(io::Error::other(format!(
                    "refusing to replace `{}`: it is not empty and not a directory sovsim wrote (no `{MARKER}` or `manifest.json`); choose another output directory",
                    target.display()
                )))
            }
        }
    }
}

/// The parent of `target` (the current directory for a bare name) and its last component.
fn parent_and_name(target: &Path) -> io::Result<(PathBuf, String)> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            io::Error::other(format!(
                "`{}` does not name a directory sovsim can write (it has no last component)",
                target.display()
            ))
        })?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_owned()))
}

/// Removes `.<name>.sovsim-<pid>` siblings whose process is gone: what a killed run left.
fn remove_dead_siblings(parent: &Path, name: &str) {
    let prefix = format!(".{name}.sovsim-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists();
        if !alive && pid != std::process::id() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to).map_err(|e| named(e, to))?;
    for entry in fs::read_dir(from).map_err(|e| named(e, from))? {
        let entry = entry.map_err(|e| named(e, from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(|e| named(e, &src))?.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| named(e, &src))?;
        }
    }
    Ok(())
}

/// `e` with the path it happened on: a full disk names the file.
pub(crate) fn named(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("`{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_replaces_the_previous_run_whole_and_a_drop_leaves_it_untouched() {
        let dir = tempfile::tempdir().expect("temp");
        let target = dir.path().join("run");
        let first = Staging::begin(&target).expect("begin");
        fs::write(first.path().join("a.txt"), "1").expect("write");
        first.commit().expect("commit");
        assert_eq!(fs::read_to_string(target.join("a.txt")).expect("a"), "1");
        let second = Staging::begin(&target).expect("begin");
        fs::write(second.path().join("b.txt"), "2").expect("write");
        drop(second); // a failure: nothing changes
        assert!(target.join("a.txt").exists() && !target.join("b.txt").exists());
        let third = Staging::begin(&target).expect("begin");
        fs::write(third.path().join("b.txt"), "2").expect("write");
        third.commit().expect("commit");
        assert!(!target.join("a.txt").exists() && target.join("b.txt").exists());
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("run")],
            "no staging left"
        );
    }

    #[test]
    fn a_directory_sovsim_did_not_write_is_never_replaced() {
        let dir = tempfile::tempdir().expect("temp");
        fs::write(dir.path().join("thesis.tex"), "precious").expect("write");
        let refused = Staging::begin(dir.path()).expect_err("refused");
        assert!(
            refused.to_string().contains("refusing to replace"),
            "{refused}"
        );
        assert!(dir.path().join("thesis.tex").exists());
        let root = Staging::begin(Path::new("/")).expect_err("refused");
        assert!(root.to_string().contains('/'), "{root}");
    }
}
