//! Rendering a report in a child process under limits: a user's typst template is a program, and
//! one that loops forever or allocates without end must fail with a clear error, not take the
//! machine (typst itself has no evaluation limit).
//!
//! The parent starts `sovsim __render-report DIR [--template PATH]` (or `__render-compare`) and
//! waits at most
//! [`WALL_LIMIT`] (or `SOVSIM_REPORT_TIMEOUT_S`); the child first caps its own address space at [`MEMORY_LIMIT`] and its CPU time
//! at [`CPU_LIMIT`] (setrlimit needs no unsafe code there), renders, and prints what it rendered as
//! JSON. Whatever happens, the output directory is committed only if the child succeeded, so a
//! failed template keeps the previous report.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Resource, Rlimit, setrlimit};

/// Longest a report may take to render [wall time] unless `SOVSIM_REPORT_TIMEOUT_S` says
/// otherwise: the EU scenario's renders in under a second in release builds and a few seconds in
/// debug builds.
const WALL_LIMIT: Duration = Duration::from_secs(120);

/// The wall-time limit: `SOVSIM_REPORT_TIMEOUT_S` seconds, or [`WALL_LIMIT`].
fn wall_limit() -> Duration {
    std::env::var("SOVSIM_REPORT_TIMEOUT_S")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(WALL_LIMIT, Duration::from_secs)
}

/// Most CPU time the rendering child may use [s].
const CPU_LIMIT: u64 = 300;

/// Largest address space the rendering child may map [bytes]: the EU report peaks near 120 MB of
/// resident memory; 4 GiB leaves room for thread stacks and the allocator's reservations.
pub(crate) const MEMORY_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// What a rendering reports back: enough for the summary line.
pub(crate) struct Rendered {
    pub pages: usize,
    pub charts: usize,
}

/// In the child: caps its own memory and CPU time.
pub(crate) fn limit_self() {
    let cap = |resource, limit| {
        let _ = setrlimit(
            resource,
            Rlimit {
                current: Some(limit),
                maximum: Some(limit),
            },
        );
    };
    cap(Resource::As, MEMORY_LIMIT);
    cap(Resource::Cpu, CPU_LIMIT);
}

/// Renders the report of `dir` with the template at `template` (the shipped one if `None`) in a
/// limited child process.
pub(crate) fn in_child(dir: &Path, template: Option<&Path>) -> Result<Rendered, String> {
    rendered_by("__render-report", dir, template)
}

/// Renders the charts and PDF of the sweep merged in `dir` with the template at `template` (the
/// shipped one if `None`) in a limited child process.
pub(crate) fn sweep_in_child(dir: &Path, template: Option<&Path>) -> Result<Rendered, String> {
    rendered_by("__render-sweep", dir, template)
}

/// Runs `sovsim COMMAND DIR [--template T]` as a limited child: pages and charts it rendered.
fn rendered_by(command: &str, dir: &Path, template: Option<&Path>) -> Result<Rendered, String> {
    let mut args: Vec<OsString> = vec![command.into(), dir.into()];
    if let Some(t) = template {
        args.extend(["--template".into(), t.into()]);
    }
    let json = child(&args)?;
    let count = |k: &str| json[k].as_u64().unwrap_or(0) as usize;
    Ok(Rendered {
        pages: count("pages"),
        charts: count("charts"),
    })
}

/// A comparison rendered in a child: its table for the terminal, charts and pages.
pub(crate) struct Compared {
    pub table: String,
    pub charts: usize,
    pub pages: usize,
}

/// Renders the comparison of the labelled run directories `runs` into `out` with the template at
/// `template` (the shipped one if `None`) in a limited child process.
pub(crate) fn compare_in_child(
    out: &Path,
    template: Option<&Path>,
    runs: &[(String, PathBuf)],
) -> Result<Compared, String> {
    let mut args: Vec<OsString> = vec!["__render-compare".into(), out.into()];
    if let Some(t) = template {
        args.extend(["--template".into(), t.into()]);
    }
    for (label, dir) in runs {
        args.push("--run".into());
        args.push(label.into());
        args.push(dir.into());
    }
    let json = child(&args)?;
    Ok(Compared {
        table: json["table"].as_str().unwrap_or_default().to_owned(),
        charts: json["charts"].as_u64().unwrap_or(0) as usize,
        pages: json["pages"].as_u64().unwrap_or(0) as usize,
    })
}

/// Runs `sovsim ARGS` as a limited child and returns the JSON it prints, or its error in words.
fn child(args: &[OsString]) -> Result<serde_json::Value, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find sovsim itself: {e}"))?;
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the report renderer: {e}"))?;
    let started = Instant::now();
    let limit = wall_limit();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the report did not finish within {} s (a template that never ends? `SOVSIM_REPORT_TIMEOUT_S` sets the limit); the previous report is kept",
                limit.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut stderr);
    }
    if !status.success() {
        // The child's own error, every line of it (a template error lists where it failed).
        let why = stderr
            .find("error: ")
            .map(|at| stderr[at + "error: ".len()..].trim_end().to_owned())
            .unwrap_or_else(|| match status.code() {
                Some(code) => format!("the report renderer exited with status {code}"),
                None => format!(
                    "the report renderer was stopped ({status}): past its limit of {} GiB of memory or {CPU_LIMIT} s of CPU (a template that never ends?)",
                    MEMORY_LIMIT >> 30
                ),
            });
        return Err(format!("{why}; the previous report is kept"));
    }
    serde_json::from_str(&stdout).map_err(|e| format!("the report renderer said: {e}"))
}
