//! What the integration tests that run sovsim to completion share: the repository, and sovsim
//! run in it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root, where the shipped scenarios are.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs sovsim in the repository, asserting it succeeds.
pub fn sovsim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sovsim"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("sovsim runs");
    assert!(
        out.status.success(),
        "sovsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
