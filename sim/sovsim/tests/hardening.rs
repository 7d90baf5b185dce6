//! The binary as an attacker, a careless user and a full disk would try it: scenarios that reach
//! outside their folder, inputs that never end, closed pipes, absurd resource requests.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs sovsim in `dir`, killing it (and failing) if it has not finished after `limit`: a hang
/// must fail the test, not stall it.
fn sovsim_in(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sovsim"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sovsim starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waits").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!(
                "`sovsim {}` did not finish within {limit:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn extends_cannot_read_outside_the_scenarios_folder_nor_hang_and_never_prints_the_target() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let project = dir.path().join("project");
    let secret = dir.path().join("secret");
    std::fs::create_dir_all(project.join("sub")).expect("project");
    std::fs::create_dir_all(&secret).expect("secret");
    let marker = "SECRET-MARKER-7f3a";
    std::fs::write(
        secret.join("base.toml"),
        format!("password = \"{marker}\"\n"),
    )
    .expect("secret file");
    std::os::unix::fs::symlink(secret.join("base.toml"), project.join("link.toml"))
        .expect("symlink");
    let fifo = project.join("fifo.toml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let absolute = secret.join("base.toml");
    let absolute = absolute.to_str().expect("UTF-8 path");
    for target in [
        absolute,
        "../secret/base.toml",
        "sub/../../secret/base.toml",
        "link.toml",
        "fifo.toml",
        "/dev/zero",
        "/proc/self/environ",
    ] {
        std::fs::write(
            project.join("s.toml"),
            format!("extends = \"{target}\"\n[scenario]\nname = \"x\"\n"),
        )
        .expect("scenario");
        let out = sovsim_in(&project, &["validate", "s.toml"], Duration::from_secs(10));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{target}: {text}");
        assert!(text.contains("s.toml:1:11"), "{target}: located: {text}");
        assert!(
            !text.contains(marker),
            "{target}: the target's bytes leaked: {text}"
        );
        assert!(!text.contains("PATH="), "{target}: the environment leaked");
    }
    // A folder the user allows may be extended from.
    std::fs::write(
        project.join("s.toml"),
        "extends = \"../secret/base.toml\"\n[scenario]\nname = \"x\"\n",
    )
    .expect("scenario");
    let allowed = sovsim_in(
        &project,
        &[
            "--allow-path",
            secret.to_str().expect("UTF-8"),
            "validate",
            "s.toml",
        ],
        Duration::from_secs(10),
    );
    let text = String::from_utf8_lossy(&allowed.stderr);
    assert!(!text.contains("outside the scenario's folder"), "{text}");
    // The scenario itself may not be a FIFO either.
    let out = sovsim_in(
        &project,
        &["validate", "fifo.toml"],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
}

#[test]
fn text_that_is_not_utf8_gets_a_located_diagnostic() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        dir.path().join("bad.toml"),
        b"[scenario]\nname = \"a\xffb\"\n",
    )
    .expect("file");
    let out = sovsim_in(
        dir.path(),
        &["validate", "bad.toml"],
        Duration::from_secs(10),
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text.contains("[not-utf8]") && text.contains("bad.toml:2:10"),
        "{text}"
    );
}

#[test]
fn every_command_that_prints_ends_quietly_on_a_closed_pipe_and_fails_cleanly_on_a_full_disk() {
    for args in [
        &["schema"][..],
        &["catalog"],
        &["catalog", "--columns"],
        &["outputs"],
        &["validation", "--markdown"],
        &["validate", "--format", "json", "scenarios/quickstart.toml"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sovsim"))
            .args(args)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sovsim starts");
        let mut stdout = child.stdout.take().expect("piped");
        let mut first = [0u8; 10];
        let _ = stdout.read(&mut first);
        drop(stdout); // the reader goes away, as `| head -c 10` does
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("piped")
            .read_to_string(&mut stderr)
            .expect("stderr");
        let status = child.wait().expect("exits");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            matches!(status.code(), Some(0 | 141)),
            "{args:?}: {status:?} {stderr}"
        );
    }
    if Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_sovsim"))
            .arg("schema")
            .stdout(full)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn absurd_runs_and_threads_are_refused_with_the_limit() {
    for (flag, value, words) in [
        ("--threads", "100000", "256 at most"),
        ("--runs", "18446744073709551615", "1..=1000000"),
    ] {
        let out = sovsim_in(
            &repo(),
            &["run", "scenarios/quickstart.toml", flag, value],
            Duration::from_secs(10),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
    }
}
