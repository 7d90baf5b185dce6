//! `sovsim sweep`: the file-system side of sweeps. Reads the sweep file and its base scenarios
//! (bounded, inside the sweep's folder), finds which shard this process is (flag, or the array
//! index Slurm, Kubernetes or AWS Batch gives it), writes each case's result whole or not at all
//! and skips those already written, and merges them. What a case is and how it runs is
//! `sovsim_core::sweep`'s.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sovsim_core::catalog::Catalog;
use sovsim_core::diagnostic::SourceMap;
use sovsim_core::scenario::{self, Loaded};
use sovsim_core::study::Progress;
use sovsim_core::sweep::case::{Base, Record, run_case};
use sovsim_core::sweep::plan::{Case, Shard, plan};
use sovsim_core::sweep::spec::{self, Spec};
use sovsim_core::sweep::{Variant, check_scenarios, table};

use crate::Failure;
use crate::files;
use crate::progress::Bar;

/// A sweep file read and checked, its base scenarios loaded, its plan made.
pub(crate) struct Opened {
    /// The sweep file.
    pub file: PathBuf,
    pub spec: Spec,
    /// Each base scenario, loaded (valid).
    pub bases: Vec<Loaded>,
    /// Each base scenario with each set of overrides its cases apply, loaded once.
    pub variants: Vec<Variant>,
    pub plan: Vec<Case>,
}

impl Opened {
    /// The scenario `case` runs: its base scenario with its overrides.
    pub(crate) fn base(&self, case: &Case) -> Base<'_> {
        let loaded = self
            .variants
            .iter()
            .find(|v| v.scenario == case.scenario && v.overrides == case.overrides)
            .map_or(&self.bases[case.scenario], |v| &v.loaded);
        Base {
            file: &self.spec.scenarios[case.scenario].value,
            loaded,
        }
    }

    /// The sweep's folder of results: `--out`, or `reports/sweeps/<name>/`.
    pub(crate) fn out(&self, out: Option<PathBuf>) -> PathBuf {
        out.unwrap_or_else(|| {
            PathBuf::from("reports")
                .join("sweeps")
                .join(&self.spec.name)
        })
    }
}

/// Reads, checks and plans the sweep at `file`, printing every problem (the sweep file's, its
/// scenarios', and those only the scenarios reveal) before failing.
pub(crate) fn open(file: &Path, catalog: &Catalog, not_done: &str) -> Result<Opened, Failure> {
    let text = files::read_text(file)
        .map_err(|e| Failure(format!("cannot read `{}`: {e}", file.display())))?;
    let mut sources = SourceMap::default();
    let base = sources.add(file.display().to_string(), text);
    let (spec, mut problems) = spec::parse(&sources, base);
    let mut bases: Vec<Option<Loaded>> = Vec::new();
    let mut variants = Vec::new();
    let mut invalid = 0;
    if let Some(spec) = &spec {
        let folder = file.parent().unwrap_or(Path::new(""));
        for named in &spec.scenarios {
            let path = folder.join(&named.value);
            let reader = match files::FsReader::for_sweep_scenario(file, &path) {
                Ok(r) => r,
                Err(why) => {
                    problems.push(
                        sovsim_core::diagnostic::Diagnostic::error(
                            "file-unreadable",
                            format!("cannot read `{}`: {why}", path.display()),
                        )
                        .at(Some(named.span.clone()))
                        .field("scenarios")
                        .hint("the path is relative to the sweep file"),
                    );
                    bases.push(None);
                    continue;
                }
            };
            let loaded = scenario::load(&path, &reader, catalog, &[]);
            eprint!("{}", loaded.sources.render(&loaded.diagnostics));
            if loaded.scenario.is_none() {
                invalid += 1;
            }
            bases.push(Some(loaded));
        }
        let refs: Vec<Option<&Loaded>> = bases.iter().map(Option::as_ref).collect();
        let (found, loaded) = check_scenarios(spec, &refs, catalog);
        problems.extend(found);
        variants = loaded;
    }
    problems.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    eprint!("{}", sources.render(&problems));
    let errors = problems.iter().filter(|d| d.is_error()).count() + invalid;
    match spec {
        Some(spec) if errors == 0 => {
            let bases: Vec<Loaded> = bases.into_iter().flatten().collect();
            let hashes: Vec<String> = bases.iter().map(|b| b.hash.clone()).collect();
            let plan = plan(&spec, &hashes);
            Ok(Opened {
                file: file.to_path_buf(),
                spec,
                bases,
                variants,
                plan,
            })
        }
        _ => Err(Failure(format!(
            "`{}` is not a valid sweep ({} problem(s)); {not_done}",
            file.display(),
            errors.max(1)
        ))),
    }
}

/// Which shard this process is: `--shard i/n`; else the array index its scheduler gives it —
/// Slurm (`SLURM_ARRAY_TASK_ID` of `--shards`; without it, counted from `SLURM_ARRAY_TASK_MIN`, of
/// `SLURM_ARRAY_TASK_COUNT`), a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, of `--shards`),
/// AWS Batch (`AWS_BATCH_JOB_ARRAY_INDEX`, of `--shards` or `AWS_BATCH_JOB_ARRAY_SIZE`); else the
/// whole sweep.
pub(crate) fn shard(
    flag: Option<Shard>,
    shards: Option<u64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, Failure> {
    if let Some(s) = flag {
        return Ok(s);
    }
    let number = |name: &str| -> Result<Option<u64>, Failure> {
        match env(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Failure(format!("`{name}` is `{v}`, not a whole number"))),
        }
    };
    let (index, count, from) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        match shards {
            // The array is 0..N-1 (as `sovsim sweep slurm` writes it): the task id is the shard,
            // also when one task is resubmitted alone (`sbatch --array=3`).
            Some(n) => (Some(id), Some(n), "SLURM_ARRAY_TASK_ID"),
            None => (
                id.checked_sub(number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0)),
                number("SLURM_ARRAY_TASK_COUNT")?,
                "SLURM_ARRAY_TASK_ID",
            ),
        }
    } else if let Some(i) = number("JOB_COMPLETION_INDEX")? {
        (Some(i), shards, "JOB_COMPLETION_INDEX")
    } else if let Some(i) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
        (
            Some(i),
            shards.or(number("AWS_BATCH_JOB_ARRAY_SIZE")?),
            "AWS_BATCH_JOB_ARRAY_INDEX",
        )
    } else {
        return Ok(Shard::ALL);
    };
    let Some(count) = count else {
        return Err(Failure(format!(
            "`{from}` says which shard this is, but nothing says how many there are: give `--shards N`"
        )));
    };
    match index {
        Some(index) if index < count => Ok(Shard { index, count }),
        _ => Err(Failure(format!(
            "`{from}` makes this shard {} of {count}: out of range (arrays run 0 to {})",
            index.map_or("below 0".to_owned(), |i| i.to_string()),
            count.saturating_sub(1)
        ))),
    }
}

/// `DIR/cases/<id>.json`.
pub(crate) fn record_path(out: &Path, id: &str) -> PathBuf {
    out.join("cases").join(format!("{id}.json"))
}

/// The record stored for `id` under `out`, if there is one that parses.
pub(crate) fn read_record(out: &Path, id: &str) -> Option<Record> {
    let text = files::read_text(&record_path(out, id)).ok()?;
    serde_json::from_str(&text).ok()
}

/// What a shard did.
pub(crate) struct Ran {
    /// Cases this shard holds.
    pub held: usize,
    /// Of those, already done by an earlier attempt.
    pub skipped: usize,
    /// Of those, run now.
    pub ran: usize,
}

/// Runs the cases `shard` holds that have no matching result under `out`, `threads` at a time,
/// writing each result as it finishes.
pub(crate) fn run(
    opened: &Opened,
    catalog: &Catalog,
    out: &Path,
    shard: Shard,
    threads: usize,
) -> Result<Ran, Failure> {
    let dir = out.join("cases");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", dir.display())))?;
    let held: Vec<&Case> = opened
        .plan
        .iter()
        .filter(|c| shard.holds(c.index))
        .collect();
    // A pre-empted attempt of this shard may have left temporary files; other shards' are theirs.
    clear_partials(&dir, &held);
    let todo: Vec<&Case> = held
        .iter()
        .copied()
        .filter(|c| read_record(out, &c.id).is_none_or(|r| !r.matches(&opened.spec, c, catalog)))
        .collect();
    let bar = Bar::default();
    bar.start(todo.len() as u64, "cases");
    // Plain threads taking the next case in turn, each case on one thread of its own pool. Not a
    // rayon pool: a case's replications run on a pool of their own, and a rayon worker waiting on
    // another pool steals more cases onto its stack until it overflows.
    let workers = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
    .min(todo.len().max(1));
    let next = AtomicUsize::new(0);
    let failed: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(case) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = run_case(&opened.spec, case, &opened.base(case), catalog, 1)
                        .map_err(|e| e.to_string())
                        .and_then(|record| {
                            let mut bytes =
                                serde_json::to_vec_pretty(&record).map_err(|e| e.to_string())?;
                            bytes.push(b'\n');
                            sovsim_report::write_atomic(&record_path(out, &case.id), &bytes)
                                .map_err(|e| e.to_string())
                        });
                    if let Err(why) = result
                        && let Ok(mut f) = failed.lock()
                    {
                        f.push(format!("case {} ({}): {why}", case.index, case.id));
                    }
                    bar.advance(1);
                }
            });
        }
    });
    bar.finish();
    let failed = failed.into_inner().unwrap_or_default();
    if !failed.is_empty() {
        return Err(Failure(format!(
            "{} case(s) failed; the others are written:\n{}",
            failed.len(),
            failed.join("\n")
        )));
    }
    Ok(Ran {
        held: held.len(),
        skipped: held.len() - todo.len(),
        ran: todo.len(),
    })
}

/// Removes the temporary files an interrupted write of one of `cases` left in `dir`.
fn clear_partials(dir: &Path, cases: &[&Case]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.')
            && name.ends_with(".tmp")
            && cases
                .iter()
                .any(|c| name.starts_with(&format!(".{}.json.", c.id)));
        if partial {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Checks that every case of the plan has a matching result under `out` and writes the merged
/// table (`sweep.parquet`, `sweep.csv`) and `sweep.json`; returns the files written, the
/// table's rows and `sweep.json`.
pub(crate) fn merge(
    opened: &Opened,
    catalog: &Catalog,
    out: &Path,
) -> Result<(Vec<PathBuf>, usize, serde_json::Value), Failure> {
    let records = table::gather(&opened.spec, &opened.plan, catalog, |id| {
        read_record(out, id)
    })
    .map_err(|e| Failure(format!("`{}` is not complete: {e}", out.display())))?;
    let (spec, merged) = table::merged(&opened.spec, &opened.plan, &records);
    let dir = sovsim_report::RunDir::create(out)
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", out.display())))?;
    let mut written = dir.write_table_as(&spec, &merged)?;
    let summary = table::summary(&opened.spec, &opened.plan, &records, catalog);
    written.push(dir.write_json("sweep.json", &summary)?);
    Ok((written, merged.rows(), summary))
}

/// Seconds since `start`, for messages.
pub(crate) fn seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The global flags a scheduled task must be given again, with absolute paths: `--data` and
/// every `--allow-path`.
pub(crate) struct Globals<'a> {
    pub data: Option<&'a Path>,
    pub allow_paths: &'a [PathBuf],
}

/// `path` made absolute (from the working folder), without requiring it to exist.
fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(path)
        .map_err(|e| Failure(format!("cannot make `{}` absolute: {e}", path.display())))
}

/// The peak resident memory of this process so far [MB], from `/proc/self/status` (Linux).
fn peak_mb() -> Result<f64, Failure> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| {
        Failure(format!(
            "cannot measure the pilot's memory (/proc/self/status: {e}); scheduler scripts are written on Linux"
        ))
    })?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .ok_or_else(|| Failure("no peak memory (VmHWM) in /proc/self/status".to_owned()))
}

/// Runs the plan's first case here as the pilot (writing its result if it has none: one case
/// less to run), and cuts the sweep into tasks whose limits follow what it took, from this
/// process's start (`started`) to its end, loading included.
pub(crate) fn schedule(
    opened: &Opened,
    catalog: &Catalog,
    globals: &Globals<'_>,
    out: &Path,
    tasks: &crate::cli::TaskOptions,
    started: Instant,
) -> Result<sovsim_core::sweep::scheduler::Job, Failure> {
    use sovsim_core::sweep::scheduler::{Job, Pilot};
    let first = opened
        .plan
        .first()
        .ok_or_else(|| Failure("the sweep has no case".to_owned()))?;
    std::fs::create_dir_all(out.join("cases"))
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", out.display())))?;
    let record = run_case(&opened.spec, first, &opened.base(first), catalog, 1)?;
    if read_record(out, &first.id).is_none_or(|r| !r.matches(&opened.spec, first, catalog)) {
        let mut bytes = serde_json::to_vec_pretty(&record)?;
        bytes.push(b'\n');
        sovsim_report::write_atomic(&record_path(out, &first.id), &bytes)?;
    }
    let pilot = Pilot {
        wall_s: seconds(started),
        peak_mb: peak_mb()?,
    };
    let cases = opened.plan.len() as u64;
    let shards = tasks.shards.unwrap_or_else(|| {
        // About half an hour of the pilot's time per task, at most 1,000 tasks (Slurm's default
        // MaxArraySize is 1,001).
        let total_s = pilot.wall_s * cases as f64 / tasks.cpus_per_task as f64;
        ((total_s / 1800.0).ceil() as u64).clamp(1, cases.min(1000))
    });
    let throttle = tasks.throttle.unwrap_or(shards.min(50)).min(shards);
    let program = std::env::current_exe()
        .map_err(|e| Failure(format!("cannot find the sovsim program: {e}")))?;
    let spec_file = absolute(&opened.file)?;
    let out = absolute(out)?;
    let mut globals_words: Vec<String> = Vec::new();
    if let Some(d) = globals.data {
        globals_words.extend(["--data".to_owned(), absolute(d)?.display().to_string()]);
    }
    for p in globals.allow_paths {
        globals_words.extend([
            "--allow-path".to_owned(),
            absolute(p)?.display().to_string(),
        ]);
    }
    let words = |command: &str, extra: &[String]| -> Vec<String> {
        let mut w = vec![
            program.display().to_string(),
            "sweep".to_owned(),
            command.to_owned(),
            spec_file.display().to_string(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        w.extend(globals_words.iter().cloned());
        w.extend(extra.iter().cloned());
        w
    };
    let workdir = absolute(Path::new("."))?;
    Ok(Job {
        name: opened.spec.name.clone(),
        run: words(
            "run",
            &[
                "--shards".to_owned(),
                shards.to_string(),
                "--threads".to_owned(),
                tasks.cpus_per_task.to_string(),
            ],
        ),
        merge: words("merge", &[]),
        workdir: workdir.display().to_string(),
        logs: out.join("slurm").join("logs").display().to_string(),
        cases,
        shards,
        throttle,
        cpus: tasks.cpus_per_task,
        partition: None,
        account: None,
        pilot,
    })
}

/// Writes `files` (name, text, executable) into `dir`, each whole or not at all.
pub(crate) fn write_scripts(
    dir: &Path,
    files: &[(&str, String, bool)],
) -> Result<Vec<PathBuf>, Failure> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", dir.display())))?;
    let mut written = Vec::new();
    for (name, text, executable) in files {
        let path = dir.join(name);
        sovsim_report::write_atomic(&path, text.as_bytes())?;
        if *executable {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(
                |e| Failure(format!("cannot make `{}` executable: {e}", path.display())),
            )?;
        }
        written.push(path);
    }
    Ok(written)
}
