//! The `sovsim` command: thin glue between the command line, the file system and the library.
//!
//! Each command parses its arguments (`cli.rs`, clap), resolves them into the library's options,
//! calls the library (`sovsim_core::study` answers the question, `sovsim_core::rundir` builds the
//! files, `sovsim_core::text` tells the answer), writes the files (`sovsim_report`) and prints.
//! Only this crate reads the file system outside a run directory, prints, or exits. Exit codes:
//! 0 ok, 1 no result, 2 error (bad input, unreadable file).

// The workspace forbids printing; this crate is the one place allowed to (ARCHITECTURE.md).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

mod cli;
mod files;
mod progress;
mod render;
mod sweep;

use cli::{CatalogFormat, Cli, Command, Format, SweepCommand};
use progress::Bar;
use sovsim_core::catalog::{Catalog, CatalogSources, TABLES};
use sovsim_core::model::Scenario;
use sovsim_core::rundir::manifest::{Invocation, manifest};
use sovsim_core::rundir::{self, Contents};
use sovsim_core::scenario::{self, InMemory, Loaded, SourceReader};
use sovsim_core::study;
use sovsim_core::study::sensitivity::{self, BreakEven, Evaluator, Mode, Target};
use sovsim_core::text;
use sovsim_report::RunDir;
use sovsim_report::staging::{self, Staging};
use sovsim_report::typeset::Template;

/// A failure the user must see; the message is printed to stderr and the exit code is 2.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// Writes to standard output. A closed pipe (`sovsim schema | head`) ends the process quietly
/// with status 141, as a tool killed by SIGPIPE would; any other failure (`> /dev/full`) is an
/// error naming standard output. Never a panic, unlike `print!`.
fn emit(text: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(text).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        Err(e) => Err(Failure(format!("cannot write to standard output: {e}"))),
    }
}

/// `print!` that fails instead of panicking (see [`emit`]).
macro_rules! out {
    ($($t:tt)*) => { emit(format_args!($($t)*)) };
}

/// `println!` that fails instead of panicking (see [`emit`]).
macro_rules! outln {
    () => { emit(format_args!("\n")) };
    ($($t:tt)*) => { emit(format_args!("{}\n", format_args!($($t)*))) };
}

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    files::allow(&cli.allow_path);
    match run(cli, started) {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli, started: Instant) -> Result<ExitCode, Failure> {
    let sources = catalog_sources(cli.data.as_deref())?;
    let catalog = match Catalog::parse(&sources) {
        Ok(c) => c,
        Err((map, problems)) => {
            eprint!("{}", map.render(&problems));
            return Err(Failure(format!(
                "the catalog has {} problem(s)",
                problems.len()
            )));
        }
    };
    let invocation =
        |command: &'static str, runs: Option<u64>, threads: Option<usize>| Invocation {
            command,
            command_line: std::env::args().collect(),
            runs,
            threads,
            wall_time_s: started.elapsed().as_secs_f64(),
        };
    match cli.command {
        Command::Validate {
            files,
            format,
            overrides,
        } => validate(&files, format, &overrides, &catalog),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&scenario::json_schema())?;
            outln!("{schema}")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog { columns: true, .. } => {
            out!("{}", sovsim_core::catalog::columns_markdown())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog { table, format, .. } => {
            let tables: Vec<_> = match table {
                Some(t) => TABLES.iter().filter(|x| x.name == t.name()).collect(),
                None => TABLES.iter().collect(),
            };
            for (n, t) in tables.iter().enumerate() {
                let csv = sources.get(t.file).map_or("", String::as_str);
                if n > 0 {
                    outln!()?;
                }
                match format {
                    CatalogFormat::Csv => out!("{csv}")?,
                    CatalogFormat::Table => out!("{}", text::catalog::render(t, csv)?)?,
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inventory {
            file,
            out,
            overrides,
        } => {
            let (loaded, scenario) = load(&file, &overrides, &catalog, "nothing was written")?;
            let out = out.unwrap_or_else(|| default_dir(&scenario.meta.name));
            let contents = rundir::inventory::contents(&scenario);
            let how = || {
                manifest(
                    &invocation("inventory", None, None),
                    &scenario,
                    &loaded,
                    &catalog,
                )
            };
            let staging = stage(&out)?;
            let written = write(staging.path(), &contents, how)?;
            let written: Vec<PathBuf> = written
                .iter()
                .map(|p| shown(p, staging.path(), &out))
                .collect();
            commit(staging)?;
            for path in written {
                eprintln!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validation { markdown } => {
            let checked = sovsim_core::validation::check(&catalog).map_err(Failure)?;
            if markdown {
                out!("{}", text::validation::markdown(&checked))?;
            } else {
                out!("{}", text::validation::render(&checked))?;
            }
            Ok(if checked.passes() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Outputs => {
            out!(
                "{}",
                rundir::schema::run_markdown(&sovsim_report::document::CHARTS)
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            file,
            runs,
            seed,
            threads,
            out,
            overrides,
            dispatch,
            compare_dispatch,
            template,
            case,
            changes,
        } => {
            // Read the template here so that a bad path fails before anything is done; the
            // rendering child reads it again.
            report_template(template.as_deref())?;
            let template_path = template;
            let (loaded, scenario) = load(&file, &overrides, &catalog, "nothing was run")?;
            let restated = study::cases::Restated {
                seed,
                policy: dispatch.map(cli::DispatchPolicy::policy),
                changes,
            };
            let (stated, cases) = restated.apply(&loaded, &catalog, &overrides, &scenario)?;
            let out = out.unwrap_or_else(|| {
                default_dir(&match &case {
                    None => stated.meta.name.clone(),
                    Some(name) => format!("{}-{name}", stated.meta.name),
                })
            });
            let request = study::run::Request {
                runs,
                threads,
                compare_dispatch,
                case,
                summary_only: false,
            };
            let results = study::run::run(&stated, &cases, &catalog, &request, &Bar::default())?;
            let how = || {
                let how = invocation("run", Some(runs), Some(threads));
                manifest(&how, &results.scenario, &loaded, &catalog)
            };
            let staging = stage(&out)?;
            write(staging.path(), &rundir::run::contents(&results), how)?;
            let rendered = report(staging.path(), template_path.as_deref(), &out)?;
            commit(staging)?;
            out!(
                "{}",
                text::run::summary(&results, &out.display().to_string())
            )?;
            out!("{rendered}")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep(command) => {
            let globals = sweep::Globals {
                data: cli.data.as_deref(),
                allow_paths: &cli.allow_path,
            };
            sweep_command(command, &catalog, &globals, started)
        }
        Command::Optimize {
            file,
            out,
            overrides,
            no_sovereignty_cost,
            write_model,
            then_run,
            runs,
            threads,
        } => {
            let (loaded, scenario) = load(&file, &overrides, &catalog, "nothing was optimised")?;
            let scenario = &scenario;
            if let Some((path, format)) = &write_model {
                let text = sovsim_optimise::write_model(scenario, *format)?;
                files::write_atomic(path, text.as_bytes()).map_err(Failure)?;
                eprintln!("wrote {}", path.display());
            }
            let out = out.unwrap_or_else(|| default_dir(&format!("{}-plan", scenario.meta.name)));
            let outcome = match sovsim_optimise::optimise(scenario) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("no plan: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            let (sovereignty, curve) = if no_sovereignty_cost {
                (Vec::new(), Vec::new())
            } else {
                (
                    sovsim_optimise::cost_of_sovereignty(scenario, &outcome)?,
                    sovsim_optimise::seal_curve(scenario)?,
                )
            };
            let plan_text = sovsim_optimise::outputs::plan_file(scenario, &loaded, &outcome)
                .map_err(Failure)?;
            let staging = stage(&out)?;
            let dir = RunDir::create(staging.path())?;
            let plan_file = dir.write_bytes("plan.toml", plan_text.as_bytes())?;
            let shown_plan = out.join("plan.toml");
            let mut files = vec![plan_file.clone()];
            files.extend(dir.write_contents(&sovsim_optimise::outputs::contents(
                scenario,
                &outcome,
                &sovereignty,
                &curve,
            ))?);
            if let Some(chart) = seal_curve_chart(&curve) {
                files.extend(sovsim_report::write_chart(&dir, &chart)?.1);
            }
            for f in &files {
                eprintln!("wrote {}", shown(f, staging.path(), &out).display());
            }
            out!(
                "{}",
                sovsim_optimise::outputs::summary(
                    scenario,
                    &outcome,
                    &sovereignty,
                    &curve,
                    &shown_plan.display().to_string()
                )
            )?;
            if then_run {
                // The plan is loaded from the text just written, not read back from disk.
                let reader = InMemory([(plan_file.clone(), plan_text)].into());
                let (plan_loaded, plan) = load_with(
                    &plan_file,
                    &reader,
                    &[],
                    &catalog,
                    "the plan cannot run (a defect: please report it)",
                )?;
                let plan = &plan;
                let run_dir = staging.path().join("run");
                let shown_run = out.join("run");
                let request = study::run::Request {
                    runs,
                    threads,
                    ..Default::default()
                };
                let results = study::run::run(plan, &[], &catalog, &request, &Bar::default())?;
                let how = || {
                    manifest(
                        &invocation("run", Some(runs), Some(threads)),
                        plan,
                        &plan_loaded,
                        &catalog,
                    )
                };
                write(&run_dir, &rundir::run::contents(&results), how)?;
                out!(
                    "\nSimulation of the plan ({runs} replications, {}):\n{}",
                    shown_run.display(),
                    text::run::summary(&results, &shown_run.display().to_string())
                )?;
                out!(
                    "{}",
                    sovsim_optimise::outputs::milestones_beside(&outcome, &results.aggregate, plan)
                )?;
            }
            commit(staging)?;
            Ok(if outcome.explanation.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Compare {
            inputs,
            runs,
            seed,
            threads,
            out,
            template,
        } => {
            // Read the template here so that a bad path fails before anything is run; the
            // rendering child reads it again.
            if let Some(p) = &template {
                Template::read(p).map_err(|e| Failure(e.to_string()))?;
            }
            compare(
                &inputs,
                runs,
                seed,
                threads,
                out,
                &catalog,
                template.as_deref(),
                &invocation,
            )
        }
        Command::Sensitivity {
            file,
            output,
            quantile,
            runs,
            threads,
            out,
            overrides,
        } => {
            let scenario = financed(&file, &overrides, &catalog)?;
            let mode = Mode::new(quantile, runs, threads)?;
            let evaluator = Evaluator::new(&scenario).ok_or_else(|| no_finance(&file))?;
            let tornado =
                sensitivity::tornado(&scenario, &evaluator, mode, threads, &Bar::default())?;
            let out =
                out.unwrap_or_else(|| default_dir(&format!("{}-sensitivity", scenario.meta.name)));
            let staging = stage(&out)?;
            let written =
                sovsim_report::sensitivity::write(staging.path(), &scenario, &tornado, output)?;
            commit(staging)?;
            out!(
                "{}",
                text::sensitivity::tornado(&scenario, &tornado, output)
            )?;
            outln!(
                "  ({}; debt sized once on the base case)\nWrote {} ({} files)",
                mode.describe(),
                out.display(),
                written.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Breakeven {
            file,
            input,
            target,
            range,
            quantile,
            runs,
            threads,
            format,
            overrides,
        } => {
            let scenario = financed(&file, &overrides, &catalog)?;
            let target = Target::parse(&target, &scenario)?;
            let range = sensitivity::search_range(&scenario, &catalog, input, range.as_deref())?;
            let mode = Mode::new(quantile, runs, threads)?;
            let evaluator = Evaluator::new(&scenario).ok_or_else(|| no_finance(&file))?;
            let question = sensitivity::Question {
                input,
                target,
                range,
            };
            let search = sensitivity::search(
                &scenario,
                &evaluator,
                question,
                mode,
                threads,
                &Bar::default(),
            )?;
            match format {
                Format::Human => out!("{}", text::sensitivity::breakeven(&scenario, &search))?,
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&rundir::sensitivity::breakeven_json(
                        &scenario, &search
                    ))?
                )?,
            }
            Ok(match search.found {
                BreakEven::Found { .. } => ExitCode::SUCCESS,
                BreakEven::NotReached { .. } => ExitCode::from(1),
            })
        }
        Command::RenderReport { dir, template } => {
            render::limit_self();
            let template = report_template(template.as_deref())?;
            let rendered =
                sovsim_report::render(&dir, &template).map_err(|e| Failure(e.to_string()))?;
            outln!(
                "{}",
                serde_json::json!({ "pages": rendered.pages.len(), "charts": svgs(&rendered.files) })
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::RenderSweep { dir, template } => {
            render::limit_self();
            let template = match template {
                Some(p) => Template::read(&p).map_err(|e| Failure(e.to_string()))?,
                None => Template::sweep(),
            };
            let written = sovsim_report::sweep::render(&dir, &template)
                .map_err(|e| Failure(e.to_string()))?;
            outln!(
                "{}",
                serde_json::json!({ "pages": written.pages.len(), "charts": written.charts })
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::RenderCompare {
            out,
            template,
            runs,
        } => {
            render::limit_self();
            let template = match template {
                Some(p) => Template::read(&p).map_err(|e| Failure(e.to_string()))?,
                None => Template::compare(),
            };
            let dirs: Vec<(String, PathBuf)> = runs
                .chunks_exact(2)
                .map(|pair| (pair[0].clone(), PathBuf::from(&pair[1])))
                .collect();
            let written =
                sovsim_report::compare::render(&dirs, &out, &template).map_err(|e| Failure(e.0))?;
            outln!(
                "{}",
                serde_json::json!({
                    "table": written.comparison.terminal_table(),
                    "charts": svgs(&written.files),
                    "pages": written.pages.len(),
                })
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { dir, template } => {
            // Read the template here so that a bad path fails before anything is done; the
            // rendering child reads it again.
            report_template(template.as_deref())?;
            let template_path = template;
            if !staging::is_sovsim_output(&dir) {
                return Err(Failure(format!(
                    "`{}` is not a directory written by `sovsim run`",
                    dir.display()
                )));
            }
            // Re-rendered in a copy that replaces the directory whole: a template that fails
            // leaves the previous report in place.
            let staging = Staging::begin_from(&dir)
                .map_err(|e| Failure(format!("cannot write `{}`: {e}", dir.display())))?;
            let rendered = report(staging.path(), template_path.as_deref(), &dir)?;
            commit(staging)?;
            out!("{rendered}")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `sovsim sweep …`.
fn sweep_command(
    command: SweepCommand,
    catalog: &Catalog,
    globals: &sweep::Globals<'_>,
    started: Instant,
) -> Result<ExitCode, Failure> {
    match command {
        SweepCommand::Slurm {
            file,
            tasks,
            partition,
            account,
        } => {
            let opened = sweep::open(&file, catalog, "nothing was written")?;
            let out = opened.out(tasks.out.clone());
            let mut job = sweep::schedule(&opened, catalog, globals, &out, &tasks, started)?;
            job.partition = partition;
            job.account = account;
            let dir = out.join("slurm");
            // Slurm opens a task's log before it runs: the folder must exist however the
            // scripts are submitted (`submit.sh`, or one task again with `sbatch --array=I`).
            std::fs::create_dir_all(&job.logs)
                .map_err(|e| Failure(format!("cannot create `{}`: {e}", job.logs)))?;
            hand_over(
                &job,
                &dir,
                [
                    ("sweep.sbatch", job.slurm_array()),
                    ("merge.sbatch", job.slurm_merge()),
                ],
                |a, m| job.slurm_submit(a, m),
            )
        }
        SweepCommand::Kubernetes {
            file,
            tasks,
            image,
            claim,
            mount,
        } => {
            let opened = sweep::open(&file, catalog, "nothing was written")?;
            let out = opened.out(tasks.out.clone());
            let job = sweep::schedule(&opened, catalog, globals, &out, &tasks, started)?;
            let dir = out.join("kubernetes");
            hand_over(
                &job,
                &dir,
                [
                    ("sweep-job.yaml", job.kubernetes(&image, &claim, &mount)),
                    (
                        "merge-job.yaml",
                        job.kubernetes_merge(&image, &claim, &mount),
                    ),
                ],
                |j, m| job.kubernetes_submit(j, m),
            )
        }
        SweepCommand::Plan { file, format } => {
            let opened = sweep::open(&file, catalog, "no plan")?;
            let folder = file.parent().unwrap_or(Path::new(""));
            let command = |c: &sovsim_core::sweep::plan::Case| {
                let mut words = vec![
                    "sovsim".to_owned(),
                    "run".to_owned(),
                    folder
                        .join(&opened.spec.scenarios[c.scenario].value)
                        .display()
                        .to_string(),
                ];
                words.extend(c.run_arguments(opened.spec.runs));
                words
            };
            match format {
                Format::Json => {
                    let cases: Vec<serde_json::Value> = opened
                        .plan
                        .iter()
                        .map(|c| {
                            serde_json::json!({
                                "index": c.index,
                                "case_id": c.id,
                                "seed": c.seed,
                                "scenario_file": opened.spec.scenarios[c.scenario].value,
                                "overrides": c.overrides,
                                "case": c.case,
                                "changes": c.changes.iter().map(|(i, v)| (i.name().to_owned(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
                                "run": command(c),
                            })
                        })
                        .collect();
                    outln!("{}", serde_json::to_string_pretty(&cases)?)?;
                }
                Format::Human => out!("{}", plan_text(&opened, &command))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        SweepCommand::Run {
            file,
            out,
            shard,
            shards,
            threads,
        } => {
            let shard = sweep::shard(shard, shards, &|name| std::env::var(name).ok())?;
            let opened = sweep::open(&file, catalog, "nothing was run")?;
            let out = opened.out(out);
            let ran = sweep::run(&opened, catalog, &out, shard, threads)?;
            outln!(
                "Shard {}/{} of sweep `{}`: {} case(s) of {}; ran {}, {} already done ({:.1} s). Results in {}",
                shard.index,
                shard.count,
                opened.spec.name,
                ran.held,
                opened.plan.len(),
                ran.ran,
                ran.skipped,
                sweep::seconds(started),
                out.join("cases").display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        SweepCommand::Merge {
            file,
            out,
            template,
        } => {
            // Read the template here so that a bad path fails before anything is merged; the
            // rendering child reads it again.
            if let Some(p) = &template {
                Template::read(p).map_err(|e| Failure(e.to_string()))?;
            }
            let opened = sweep::open(&file, catalog, "nothing was merged")?;
            let out = opened.out(out);
            let (written, rows, summary) = sweep::merge(&opened, catalog, &out)?;
            for path in &written {
                eprintln!("wrote {}", path.display());
            }
            let rendered = render::sweep_in_child(&out, template.as_deref()).map_err(Failure)?;
            outln!(
                "Merged sweep `{}`: {rows} case(s) × {} replications, {} output column(s)",
                opened.spec.name,
                opened.spec.runs,
                opened.spec.output_keys().len()
            )?;
            for t in summary["targets"].as_array().into_iter().flatten() {
                outln!(
                    "  {}: {} of {rows} case(s)",
                    t["test"].as_str().unwrap_or_default(),
                    t["cases_meeting"]
                )?;
            }
            outln!(
                "Report: {} ({} pages, {} charts in {})",
                out.join("sweep.pdf").display(),
                rendered.pages,
                rendered.charts,
                out.join("charts").display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes a scheduler's two files (the tasks', the merge's) into `dir` with the `submit.sh`
/// that `submit` makes from their absolute paths, and says what was scheduled.
fn hand_over(
    job: &sovsim_core::sweep::scheduler::Job,
    dir: &Path,
    [(tasks, tasks_text), (merge, merge_text)]: [(&str, String); 2],
    submit: impl Fn(&str, &str) -> String,
) -> Result<ExitCode, Failure> {
    let absolute = |name: &str| {
        let p = dir.join(name);
        std::path::absolute(&p).unwrap_or(p).display().to_string()
    };
    let submit = submit(&absolute(tasks), &absolute(merge));
    let written = sweep::write_scripts(
        dir,
        &[
            (tasks, tasks_text, false),
            (merge, merge_text, false),
            ("submit.sh", submit, true),
        ],
    )?;
    for path in &written {
        eprintln!("wrote {}", path.display());
    }
    outln!("{}", scheduled_text(job, &dir.join("submit.sh")))?;
    Ok(ExitCode::SUCCESS)
}

/// What was scheduled, in words.
fn scheduled_text(job: &sovsim_core::sweep::scheduler::Job, submit: &Path) -> String {
    let l = job.task_limits();
    format!(
        "Sweep `{}`: {} case(s) in {} task(s), at most {} at once, {} core(s) each.\n\
         Pilot case: {:.1} s and {:.0} MB peak here; each task may take {} and {} MB ({}× head-room).\n\
         Submit with: {}",
        job.name,
        job.cases,
        job.shards,
        job.throttle,
        job.cpus,
        job.pilot.wall_s,
        job.pilot.peak_mb,
        sovsim_core::sweep::scheduler::slurm_time(l.time_s),
        l.mem_mb,
        sovsim_core::sweep::scheduler::SAFETY,
        submit.display()
    )
}

/// The plan in words: the design, then a line per case.
fn plan_text(
    opened: &sweep::Opened,
    command: &dyn Fn(&sovsim_core::sweep::plan::Case) -> Vec<String>,
) -> String {
    use std::fmt::Write as _;
    let spec = &opened.spec;
    let levers = spec.lever_inputs();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Sweep `{}`: {} case(s) ({} design over {} scenario(s)), {} replications each, seeds {}",
        spec.name,
        opened.plan.len(),
        spec.design.name(),
        spec.scenarios.len(),
        spec.runs,
        spec.seeds.name()
    );
    let outputs: Vec<&str> = spec.outputs.iter().map(|o| o.name.value.as_str()).collect();
    let _ = writeln!(
        s,
        "Outputs kept: {}
",
        outputs.join(", ")
    );
    let mut header = vec![
        "index".to_owned(),
        "case_id".to_owned(),
        "seed".to_owned(),
        "scenario".to_owned(),
        "overrides".to_owned(),
        "case".to_owned(),
    ];
    header.extend(levers.iter().map(|i| i.name().to_owned()));
    let rows: Vec<Vec<String>> = opened
        .plan
        .iter()
        .map(|c| {
            let mut row = vec![
                c.index.to_string(),
                c.id.clone(),
                c.seed.to_string(),
                spec.scenarios[c.scenario].value.clone(),
                c.overrides_label(),
                c.case.clone().unwrap_or_else(|| "base".to_owned()),
            ];
            row.extend(levers.iter().map(|i| format!("{}", c.change(*i))));
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|k| {
            rows.iter()
                .map(|r| r[k].chars().count())
                .chain([header[k].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(s, "{}", cells.join("  ").trim_end());
    }
    if let Some(first) = opened.plan.first() {
        let _ = writeln!(
            s,
            "
Each case runs alone as `sovsim run` with its arguments (`--format json` lists them), e.g. case 0:
  {}",
            command(first).join(" ")
        );
    }
    s
}

/// How many charts `files` holds (each is written as SVG and PNG).
fn svgs(files: &[PathBuf]) -> usize {
    files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
        .count()
}

/// `reports/<name>/`, where directories go unless `--out` says otherwise.
fn default_dir(name: &str) -> PathBuf {
    PathBuf::from("reports").join(name)
}

/// Loads `file` with `overrides`, printing its diagnostics: the scenario (taken out of what was
/// loaded, which keeps the files read), or a failure that says what was not done.
fn load(
    file: &Path,
    overrides: &[String],
    catalog: &Catalog,
    not_done: &str,
) -> Result<(Loaded, Scenario), Failure> {
    load_with(
        file,
        &files::FsReader::for_file(file),
        overrides,
        catalog,
        not_done,
    )
}

fn load_with(
    file: &Path,
    reader: &dyn SourceReader,
    overrides: &[String],
    catalog: &Catalog,
    not_done: &str,
) -> Result<(Loaded, Scenario), Failure> {
    let mut loaded = scenario::load(file, reader, catalog, overrides);
    eprint!("{}", loaded.sources.render(&loaded.diagnostics));
    match loaded.scenario.take() {
        Some(s) => Ok((loaded, s)),
        None => Err(Failure(format!(
            "`{}` is not valid; {not_done}",
            file.display()
        ))),
    }
}

/// Starts writing the output directory `target` whole or not at all (see
/// `sovsim_report::staging`): the files go into a hidden sibling that replaces it on commit.
fn stage(target: &Path) -> Result<Staging, Failure> {
    Staging::begin(target).map_err(|e| Failure(format!("cannot write `{}`: {e}", target.display())))
}

/// Makes what `staging` holds the output directory; says which on failure.
fn commit(staging: Staging) -> Result<(), Failure> {
    let target = staging.target().to_path_buf();
    staging
        .commit()
        .map_err(|e| Failure(format!("cannot write `{}`: {e}", target.display())))
}

/// `path`, written under `staging`, as it will be named once committed under `target`.
fn shown(path: &Path, staging: &Path, target: &Path) -> PathBuf {
    path.strip_prefix(staging)
        .map_or_else(|_| path.to_path_buf(), |rest| target.join(rest))
}

/// Writes `contents` into `out`, then `manifest.json` (made last, so that it records the whole
/// wall time); returns the files written.
fn write(
    out: &Path,
    contents: &Contents,
    manifest: impl FnOnce() -> serde_json::Value,
) -> Result<Vec<PathBuf>, Failure> {
    let dir = RunDir::create(out)
        .map_err(|e| Failure(format!("cannot create `{}`: {e}", out.display())))?;
    let mut written = dir.write_contents(contents)?;
    written.push(dir.write_json("manifest.json", &manifest())?);
    Ok(written)
}

/// The valid, financed scenario at `file`, or why not.
fn financed(file: &Path, overrides: &[String], catalog: &Catalog) -> Result<Scenario, Failure> {
    let (_, scenario) = load(file, overrides, catalog, "nothing was evaluated")?;
    if scenario.finance.is_none() {
        return Err(no_finance(file));
    }
    Ok(scenario)
}

fn no_finance(file: &Path) -> Failure {
    Failure(format!(
        "`{}` has no `[finance]` section: sensitivities and break-evens read the financial model",
        file.display()
    ))
}

/// `sovsim compare`: runs each scenario with one seed and one number of replications (common
/// random numbers; run directories are read as they are), then compares their directories.
#[allow(clippy::too_many_arguments)]
fn compare(
    inputs: &[PathBuf],
    runs: u64,
    seed: Option<u64>,
    threads: usize,
    out: Option<PathBuf>,
    catalog: &Catalog,
    template: Option<&Path>,
    invocation: &dyn Fn(&'static str, Option<u64>, Option<usize>) -> Invocation,
) -> Result<ExitCode, Failure> {
    use std::fmt::Write as _;
    // Load every scenario first, so that a typo in the last file costs no simulation.
    let mut loaded = Vec::new();
    let mut problems = 0;
    for input in inputs {
        if input.is_dir() {
            if !input.join("summary.json").exists() {
                return Err(Failure(format!(
                    "`{}` is a directory without `summary.json`: give a scenario file or a directory written by `sovsim run`",
                    input.display()
                )));
            }
            loaded.push(None);
            continue;
        }
        match load(input, &[], catalog, "nothing was compared") {
            Ok(l) => loaded.push(Some(l)),
            Err(Failure(why)) => {
                eprintln!("error: {why}");
                problems += 1;
            }
        }
    }
    if problems > 0 {
        return Err(Failure(format!(
            "{problems} scenario(s) are not valid; nothing was compared"
        )));
    }
    let seed = seed.or_else(|| loaded.iter().flatten().map(|(_, s)| s.meta.seed).next());
    let names: Vec<String> = inputs
        .iter()
        .zip(&loaded)
        .map(|(input, l)| match l {
            Some((_, s)) => s.meta.name.clone(),
            None => input
                .file_name()
                .map_or("run".to_owned(), |n| n.to_string_lossy().into_owned()),
        })
        .collect();
    let labels = study::compare::labels(&names);
    let out = out.unwrap_or_else(|| default_dir(&format!("compare-{}", names.join("-vs-"))));
    let staging = stage(&out)?;
    let mut dirs = Vec::new();
    let mut told = String::new();
    for (k, (input, l)) in inputs.iter().zip(&loaded).enumerate() {
        let Some((l, stated)) = l else {
            dirs.push((labels[k].clone(), input.clone()));
            let _ = writeln!(told, "  {}: read {}", labels[k], input.display());
            continue;
        };
        let mut stated = stated.clone();
        if let Some(seed) = seed {
            stated.meta.seed = seed;
        }
        let relative = PathBuf::from("runs").join(format!("{}-{}", k + 1, stated.meta.name));
        let dir = staging.path().join(&relative);
        let cases = study::cases::scenarios(l, catalog, &[], &stated, &Default::default())?;
        let request = study::run::Request {
            runs,
            threads,
            ..Default::default()
        };
        let results = study::run::run(&stated, &cases, catalog, &request, &Bar::default())?;
        let how = || {
            manifest(
                &invocation("run", Some(runs), Some(threads)),
                &stated,
                l,
                catalog,
            )
        };
        write(&dir, &rundir::run::contents(&results), how)?;
        let _ = writeln!(
            told,
            "  {}: ran {} ({runs} replications, seed {}) into {}",
            labels[k],
            input.display(),
            stated.meta.seed,
            out.join(&relative).display()
        );
        dirs.push((labels[k].clone(), dir));
    }
    let written = render::compare_in_child(staging.path(), template, &dirs).map_err(Failure)?;
    commit(staging)?;
    out!("Comparison of {}:\n{told}\n", labels.join(", "))?;
    out!("{}", written.table)?;
    outln!(
        "\nWrote {} (comparison.parquet/.csv, {} charts, compare.pdf with {} pages)",
        out.display(),
        written.charts,
        written.pages
    )?;
    Ok(ExitCode::SUCCESS)
}

fn report_template(path: Option<&Path>) -> Result<Template, Failure> {
    match path {
        Some(p) => Template::read(p).map_err(|e| Failure(e.to_string())),
        None => Ok(Template::shipped()),
    }
}

/// Renders the report of the run in `dir` and says what was written.
/// Renders the report of the run directory `dir` (in a child process under limits, see
/// `render.rs`) with the template at `template`, to be found at `shown` once committed.
fn report(dir: &Path, template: Option<&Path>, shown: &Path) -> Result<String, Failure> {
    let rendered = render::in_child(dir, template).map_err(Failure)?;
    Ok(format!(
        "Report: {} ({} pages; in a browser: {}), {} charts in {}, workbook {}\n",
        shown.join("report.pdf").display(),
        rendered.pages,
        shown.join("report.html").display(),
        rendered.charts,
        shown.join("charts").display(),
        shown.join("model.xlsx").display(),
    ))
}

fn catalog_sources(dir: Option<&Path>) -> Result<CatalogSources, Failure> {
    let Some(dir) = dir else {
        return Ok(sovsim_core::catalog::embedded_sources());
    };
    let mut sources = CatalogSources::new();
    for table in TABLES {
        let path = dir.join(table.file);
        let text = files::read_text(&path)
            .map_err(|e| Failure(format!("cannot read `{}`: {e}", path.display())))?;
        sources.insert(table.file.to_owned(), text);
    }
    Ok(sources)
}

fn validate(
    files: &[PathBuf],
    format: Format,
    overrides: &[String],
    catalog: &Catalog,
) -> Result<ExitCode, Failure> {
    let results: Vec<Loaded> = files
        .iter()
        .map(|f| scenario::load(f, &files::FsReader::for_file(f), catalog, overrides))
        .collect();
    match format {
        Format::Human => {
            for (file, loaded) in files.iter().zip(&results) {
                eprint!("{}", loaded.sources.render(&loaded.diagnostics));
                let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
                let warnings = loaded.diagnostics.len() - errors;
                if errors == 0 {
                    eprintln!("ok: `{}` is valid ({warnings} warning(s))", file.display());
                } else {
                    eprintln!(
                        "invalid: `{}` has {errors} error(s) and {warnings} warning(s)",
                        file.display()
                    );
                }
            }
        }
        Format::Json => {
            let all: Vec<_> = results
                .iter()
                .flat_map(|l| l.sources.to_json(&l.diagnostics))
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into())
            )?;
        }
    }
    Ok(if results.iter().any(Loaded::has_errors) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The cost-of-sovereignty curve: per framework objective, the premium over no rule as the least
/// SEAL every tier requires on it rises; `None` without a curve.
fn seal_curve_chart(curve: &[sovsim_optimise::CurvePoint]) -> Option<sovsim_report::charts::Chart> {
    use sovsim_report::charts::{Chart, Kind, Series};
    let max = curve.iter().map(|c| c.seal).max()?;
    let mut objectives: Vec<&str> = curve.iter().map(|c| c.objective.as_str()).collect();
    objectives.dedup();
    let series = objectives
        .iter()
        .map(|o| Series {
            label: (*o).to_owned(),
            values: (0..=max)
                .map(|seal| {
                    curve
                        .iter()
                        .find(|c| c.objective == *o && c.seal == seal)
                        .map_or(f64::NAN, |c| c.premium_eur / 1e9)
                })
                .collect(),
        })
        .collect();
    Some(Chart {
        name: "seal_curve".into(),
        title: "Cost of sovereignty as the required SEAL rises".into(),
        x_label: "least SEAL every tier requires on the objective".into(),
        y_label: "optimised cost over no rule [€bn NPV]".into(),
        kind: Kind::Lines {
            categories: (0..=max).map(|s| format!("SEAL-{s}")).collect(),
            series,
        },
    })
}
