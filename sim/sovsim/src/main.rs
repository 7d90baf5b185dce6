//! The `sovsim` command: thin glue between the command line, the file system and the library crates.
//!
//! Arguments are parsed in two steps (ripgrep's habit): clap validates the raw arguments, then each
//! command turns them into library calls. Only this crate prints. Exit codes: 0 ok, 1 no result,
//! 2 error (bad input, unreadable file).

// The workspace forbids printing; this crate is the one place allowed to (ARCHITECTURE.md).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod catalog_cmd;
mod compare;
mod dispatch_out;
mod finance_out;
mod inventory;
mod manifest;
mod optimize;
mod progress;
mod run;
mod sensitivity_out;

use sovsim_core::catalog::{Catalog, CatalogSources, TABLES};
use sovsim_core::model::Policy;
use sovsim_core::scenario::{self, Loaded, SourceReader};
use sovsim_core::sensitivity::{self, Evaluator, Input, Output};
use sovsim_report::typeset::Template;

/// Plans sovereign AI infrastructure: land, power, datacenter shells, GPUs and open models, under
/// sovereignty rules, financed.
#[derive(Debug, Parser)]
#[command(name = "sovsim", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Read the reference catalog from this directory instead of the copy built into sovsim.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check scenario files and report every problem, with file:line:column, field, expectation and hint.
    #[command(
        after_help = "Example:\n  sovsim validate scenarios/*.toml\n  sovsim validate --format json scenarios/quickstart.toml"
    )]
    Validate {
        /// Scenario files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Apply a named override (`[overrides.NAME]`) after those the file lists; repeatable.
        #[arg(long = "override", value_name = "NAME")]
        overrides: Vec<String>,
    },
    /// Print the JSON Schema of the scenario format (for editors: autocompletion and checking).
    #[command(after_help = "Example:\n  sovsim schema > sovsim-scenario.schema.json")]
    Schema,
    /// Print a reference catalog table with the source of every row.
    #[command(
        after_help = "Example:\n  sovsim catalog accelerators\n  sovsim catalog power --format csv"
    )]
    Catalog {
        /// Which table; all of them if left out.
        #[arg(value_enum)]
        table: Option<CatalogTable>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
        /// Print the documentation of every column (Markdown, as in data/README.md) instead of rows.
        #[arg(long, conflicts_with = "table")]
        columns: bool,
    },
    /// Resolve a scenario against the catalog and write its inventory (sites, halls, power, clusters
    /// with every catalog value and override) as a run directory: manifest, summary and tables.
    #[command(
        after_help = "Example:\n  sovsim inventory scenarios/quickstart.toml\n  sovsim inventory scenarios/paris-1.4gw.toml --out /tmp/paris"
    )]
    Inventory {
        /// Scenario file.
        #[arg(value_name = "SCENARIO")]
        file: PathBuf,
        /// Output directory; default `reports/<scenario-name>/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Apply a named override after those the file lists; repeatable.
        #[arg(long = "override", value_name = "NAME")]
        overrides: Vec<String>,
    },
    /// Print what every file, column and key of a run directory means (Markdown, as in reports/README.md).
    #[command(after_help = "Example:\n  sovsim outputs")]
    Outputs,
    /// Simulate the buildout under uncertainty: N replications of land, permits, grid, on-site
    /// power, shells and GPUs (deliveries, supply caps, failures, retirement, refresh), with P10/P50/P90
    /// of every milestone and monthly series, and what delayed each site.
    #[command(
        after_help = "Example:\n  sovsim run scenarios/quickstart.toml --runs 100\n  sovsim run scenarios/eu-sovereign-2030.toml --runs 1000 --threads 2 --override slow-grid"
    )]
    Run {
        /// Scenario file.
        #[arg(value_name = "SCENARIO")]
        file: PathBuf,
        /// Monte Carlo replications.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
        runs: u64,
        /// Seed of every random stream; default: the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output directory; default `reports/<scenario-name>/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Apply a named override after those the file lists; repeatable.
        #[arg(long = "override", value_name = "NAME")]
        overrides: Vec<String>,
        /// Dispatch policy; default: the scenario's `[dispatch] policy` (`siloed` if unset).
        #[arg(long, value_enum)]
        dispatch: Option<DispatchPolicy>,
        /// Dispatch under both policies and report them side by side, with what pooling recovers.
        #[arg(long)]
        compare_dispatch: bool,
        /// Report template (typst); default: the shipped `reports/templates/report.typ`.
        #[arg(long, value_name = "PATH")]
        template: Option<PathBuf>,
        /// Simulate a named case (`[cases.NAME]`): its input changes and overrides, with the debt
        /// sized on the base case.
        #[arg(long, value_name = "NAME")]
        case: Option<String>,
    },
    /// Compare buildouts side by side: each scenario is run with the same seed and replications
    /// (common random numbers, so differences are not noise), or a run directory is read; writes
    /// the headline figures with P10/P50/P90 and their differences from the first, overlaid
    /// charts and a PDF.
    #[command(
        after_help = "Example:\n  sovsim compare scenarios/paris-1.4gw.toml scenarios/neocloud-1.3gw.toml\n  sovsim compare reports/paris-1.4gw reports/neocloud-1.3gw --out /tmp/cmp"
    )]
    Compare {
        /// Scenario files or run directories (at least two); differences are from the first.
        #[arg(required = true, num_args = 2.., value_name = "SCENARIO_OR_RUN_DIR")]
        inputs: Vec<PathBuf>,
        /// Replications of each scenario run.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
        runs: u64,
        /// Seed of every scenario run; default: the first scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output directory; default `reports/compare-<first>-vs-<second>…/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Comparison template (typst); default: the shipped `reports/templates/compare.typ`.
        #[arg(long, value_name = "PATH")]
        template: Option<PathBuf>,
    },
    /// Tornado: move each input of `[sensitivity]` alone over its range (prices, capex, rates,
    /// delays, demand), with the debt sized on the base case, and rank the inputs by the swing of
    /// an output. Writes the table, the chart and `sensitivity.json`.
    #[command(
        after_help = "Example:\n  sovsim sensitivity scenarios/neocloud-1.3gw.toml --output equity_irr\n  sovsim sensitivity scenarios/paris-1.4gw.toml --output dscr_min --quantile 0.1 --runs 50"
    )]
    Sensitivity {
        /// Scenario file.
        #[arg(value_name = "SCENARIO")]
        file: PathBuf,
        /// The output ranked.
        #[arg(long, value_enum, default_value_t = OutputArg::Npv)]
        output: OutputArg,
        /// Read each variant as this quantile (0 to 1) over replications with the scenario's
        /// seeds, instead of at its medians.
        #[arg(long, value_name = "Q")]
        quantile: Option<f64>,
        /// Replications of `--quantile`.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..), requires = "quantile")]
        runs: u64,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output directory; default `reports/<scenario-name>-sensitivity/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Apply a named override after those the file lists; repeatable.
        #[arg(long = "override", value_name = "NAME")]
        overrides: Vec<String>,
    },
    /// Break-even: the value of one input at which an output reaches a target (min DSCR = 1.0× or
    /// the lock-up level, equity IRR = hurdle, NPV = 0…), with the debt sized on the base case,
    /// and its distance from the scenario's value. Exit code 1 when no value in the range reaches it.
    #[command(
        after_help = "Example:\n  sovsim breakeven scenarios/neocloud-1.3gw.toml --input gpu_rent --target dscr_min=1.0\n  sovsim breakeven scenarios/neocloud-1.3gw.toml --input gpu_rent --target equity_irr=hurdle\n  sovsim breakeven scenarios/paris-1.4gw.toml --input grid_delay_months --target dscr_min=lockup --range 0,36"
    )]
    Breakeven {
        /// Scenario file.
        #[arg(value_name = "SCENARIO")]
        file: PathBuf,
        /// The input moved (see `sovsim sensitivity --help` for what each one moves).
        #[arg(long, value_enum)]
        input: InputArg,
        /// OUTPUT=VALUE: `dscr_min=1.0`, `dscr_min=lockup`, `llcr_min=covenant`,
        /// `equity_irr=hurdle`, `npv=0`, `first_gw=2030-01-01`…
        #[arg(long, value_name = "OUTPUT=VALUE")]
        target: String,
        /// LOW,HIGH change of the input searched; default: its `[sensitivity]` range.
        #[arg(long, value_name = "LOW,HIGH", allow_hyphen_values = true)]
        range: Option<String>,
        /// Search on this quantile (0 to 1) over replications with fixed seeds, instead of on
        /// the base case.
        #[arg(long, value_name = "Q")]
        quantile: Option<f64>,
        /// Replications of `--quantile`.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..), requires = "quantile")]
        runs: u64,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Apply a named override after those the file lists; repeatable.
        #[arg(long = "override", value_name = "NAME")]
        overrides: Vec<String>,
    },
    /// Plan the buildout: a mixed-integer program (HiGHS) sizes and times the scenario's candidate
    /// sites, grid connections, power, halls and GPU orders at least cost (or for the most
    /// sovereign demand within a budget), then prices each sovereignty rule by relaxing it.
    /// Writes the plan as a scenario file, with tables; exit code 1 when a target is missed.
    #[command(
        after_help = "Example:\n  sovsim optimize scenarios/eu-sovereign-2030.toml\n  sovsim optimize scenarios/eu-sovereign-2030.toml --then-run --runs 200"
    )]
    Optimize {
        /// Scenario file; its `[optimize]` section sets the objective, periods and limits.
        #[arg(value_name = "SCENARIO")]
        file: PathBuf,
        /// Output directory; default `reports/<scenario-name>-plan/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Apply a named override after those the file lists; repeatable.
        #[arg(long = "override", value_name = "NAME")]
        overrides: Vec<String>,
        /// Skip the cost of sovereignty (one re-optimisation per tier).
        #[arg(long)]
        no_sovereignty_cost: bool,
        /// Then simulate the plan (`sovsim run` on `plan.toml`, into `DIR/run`) and print its P50/P90
        /// milestones beside the optimiser's dates.
        #[arg(long)]
        then_run: bool,
        /// Replications of `--then-run`.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..), requires = "then_run")]
        runs: u64,
        /// Worker threads of `--then-run`; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, requires = "then_run")]
        threads: usize,
    },
    /// Re-render a run directory's report (charts, `model.xlsx`, `report.pdf`) from its files,
    /// without simulating again; e.g. with another template.
    #[command(
        after_help = "Example:\n  sovsim report reports/quickstart\n  sovsim report reports/eu-sovereign-2030 --template my-brand.typ"
    )]
    Report {
        /// A directory written by `sovsim run`.
        #[arg(value_name = "RUN_DIR")]
        dir: PathBuf,
        /// Report template (typst); default: the shipped `reports/templates/report.typ`.
        #[arg(long, value_name = "PATH")]
        template: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DispatchPolicy {
    /// Each demand uses only its own operators' clusters.
    Siloed,
    /// An independent operator pools all capacity each tier may use.
    Grid,
}

/// Outputs a sensitivity ranks (`sovsim_core::sensitivity::Output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum OutputArg {
    /// NPV of the project cash flows [EUR].
    Npv,
    /// Project IRR, post-tax, unlevered.
    ProjectIrr,
    /// Equity IRR, post-tax.
    EquityIrr,
    /// Smallest DSCR over the loan life.
    DscrMin,
    /// Smallest LLCR.
    LlcrMin,
    /// When energised IT capacity first reaches 1 GW.
    FirstGw,
}

impl OutputArg {
    fn output(self) -> Output {
        match self {
            OutputArg::Npv => Output::Npv,
            OutputArg::ProjectIrr => Output::ProjectIrr,
            OutputArg::EquityIrr => Output::EquityIrr,
            OutputArg::DscrMin => Output::DscrMin,
            OutputArg::LlcrMin => Output::LlcrMin,
            OutputArg::FirstGw => Output::FirstGw,
        }
    }
}

/// Inputs a sensitivity moves (`sovsim_core::sensitivity::Input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum InputArg {
    /// Every GPU-hour price (contracted and spot) and the token price; relative change.
    GpuRent,
    /// Every grid and on-site energy price; relative change.
    EnergyPrice,
    /// The price per GPU of every cluster and refresh; relative change.
    GpuCapex,
    /// The capex of halls, on-site power plants and land; relative change.
    FacilityCapex,
    /// Maintenance, insurance, staff and network costs; relative change.
    Opex,
    /// The base interest rate; added (0.04: four points).
    BaseRate,
    /// Months added to every site's permit.
    PermitDelayMonths,
    /// Months added to every grid connection's queue wait.
    GridDelayMonths,
    /// Months added to every hall phase's and on-site plant's build time.
    ConstructionDelayMonths,
    /// Months added to every GPU order's lead time.
    GpuDelayMonths,
    /// Inference tokens per day and training runs per year; relative change.
    Demand,
}

impl InputArg {
    fn input(self) -> Input {
        match self {
            InputArg::GpuRent => Input::GpuRent,
            InputArg::EnergyPrice => Input::EnergyPrice,
            InputArg::GpuCapex => Input::GpuCapex,
            InputArg::FacilityCapex => Input::FacilityCapex,
            InputArg::Opex => Input::Opex,
            InputArg::BaseRate => Input::BaseRate,
            InputArg::PermitDelayMonths => Input::PermitDelay,
            InputArg::GridDelayMonths => Input::GridDelay,
            InputArg::ConstructionDelayMonths => Input::ConstructionDelay,
            InputArg::GpuDelayMonths => Input::GpuDelay,
            InputArg::Demand => Input::Demand,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Source lines with carets, for people.
    Human,
    /// One JSON array of diagnostics, for tools.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogFormat {
    /// Aligned columns, estimates marked `~`, sources listed below.
    Table,
    /// The CSV file as stored.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogTable {
    Accelerators,
    Power,
    Shells,
    Countries,
    Models,
    Sovereignty,
    Throughput,
    Efficiency,
    Defaults,
}

impl CatalogTable {
    fn name(self) -> &'static str {
        match self {
            CatalogTable::Accelerators => "accelerators",
            CatalogTable::Power => "power",
            CatalogTable::Shells => "shells",
            CatalogTable::Countries => "countries",
            CatalogTable::Models => "models",
            CatalogTable::Sovereignty => "sovereignty",
            CatalogTable::Throughput => "throughput",
            CatalogTable::Efficiency => "efficiency",
            CatalogTable::Defaults => "defaults",
        }
    }
}

/// Reads scenario files from disk.
struct FsReader;

impl SourceReader for FsReader {
    fn read(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// A failure the user must see; the message is printed to stderr and the exit code is 2.
pub(crate) struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
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
    match cli.command {
        Command::Validate {
            files,
            format,
            overrides,
        } => Ok(validate(&files, format, &overrides, &catalog)),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&scenario::json_schema())?;
            println!("{schema}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog { columns: true, .. } => {
            print!("{}", sovsim_core::catalog::columns_markdown());
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog { table, format, .. } => {
            let tables: Vec<_> = match table {
                Some(t) => TABLES.iter().filter(|x| x.name == t.name()).collect(),
                None => TABLES.iter().collect(),
            };
            for (n, t) in tables.iter().enumerate() {
                let text = sources.get(t.file).map_or("", String::as_str);
                if n > 0 {
                    println!();
                }
                match format {
                    CatalogFormat::Csv => print!("{text}"),
                    CatalogFormat::Table => print!("{}", catalog_cmd::render(t, text)?),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inventory {
            file,
            out,
            overrides,
        } => {
            let loaded = scenario::load(&file, &FsReader, &catalog, &overrides);
            eprint!("{}", loaded.sources.render(&loaded.diagnostics));
            let Some(scenario) = &loaded.scenario else {
                return Err(Failure(format!(
                    "`{}` is not valid; nothing was written",
                    file.display()
                )));
            };
            let out = out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.meta.name));
            let started = std::time::Instant::now();
            let written = inventory::write(scenario, &loaded, &catalog, &out, started)?;
            for path in written {
                eprintln!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Outputs => {
            print!("{}", run::outputs_markdown());
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
        } => {
            // Read the template first: a typo in its path should not cost a simulation.
            let template = report_template(template.as_deref())?;
            let mut loaded = scenario::load(&file, &FsReader, &catalog, &overrides);
            eprint!("{}", loaded.sources.render(&loaded.diagnostics));
            let Some(scenario) = loaded.scenario.as_mut() else {
                return Err(Failure(format!(
                    "`{}` is not valid; nothing was run",
                    file.display()
                )));
            };
            if let Some(seed) = seed {
                scenario.meta.seed = seed;
            }
            match dispatch {
                Some(DispatchPolicy::Siloed) => scenario.dispatch.policy = Policy::Siloed,
                Some(DispatchPolicy::Grid) => scenario.dispatch.policy = Policy::Grid,
                None => {}
            }
            let stated = scenario.clone();
            let cases = sensitivity_out::case_scenarios(&file, &overrides, &stated, &catalog)?;
            let simulated = match &case {
                None => &stated,
                Some(name) => {
                    &cases
                        .iter()
                        .find(|(c, _)| &c.name == name)
                        .ok_or_else(|| unknown_case(name, &stated))?
                        .1
                }
            };
            let default_dir = match &case {
                None => stated.meta.name.clone(),
                Some(name) => format!("{}-{name}", stated.meta.name),
            };
            let out = out.unwrap_or_else(|| PathBuf::from("reports").join(default_dir));
            let request = run::Request {
                runs,
                threads,
                out: &out,
                compare_dispatch,
                stated: &stated,
                case: case.as_deref(),
                cases: &cases,
            };
            let (summary, _) = run::run(simulated, &loaded, &catalog, &request)?;
            print!("{summary}");
            print!("{}", report(&out, &template)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Optimize {
            file,
            out,
            overrides,
            no_sovereignty_cost,
            then_run,
            runs,
            threads,
        } => {
            let loaded = scenario::load(&file, &FsReader, &catalog, &overrides);
            eprint!("{}", loaded.sources.render(&loaded.diagnostics));
            let Some(scenario) = loaded.scenario.as_ref() else {
                return Err(Failure(format!(
                    "`{}` is not valid; nothing was optimised",
                    file.display()
                )));
            };
            let out = out.unwrap_or_else(|| {
                PathBuf::from("reports").join(format!("{}-plan", scenario.meta.name))
            });
            let outcome = sovsim_optimise::optimise(scenario).map_err(|e| match e {
                sovsim_optimise::OptimiseError::Infeasible(why) => Failure(why),
                other => Failure(other.to_string()),
            });
            let outcome = match outcome {
                Ok(o) => o,
                Err(Failure(why)) => {
                    eprintln!("no plan: {why}");
                    return Ok(ExitCode::from(1));
                }
            };
            let sovereignty = if no_sovereignty_cost {
                Vec::new()
            } else {
                sovsim_optimise::cost_of_sovereignty(scenario, &outcome)?
            };
            let written = optimize::write(scenario, &loaded, &outcome, &sovereignty, &out)?;
            print!("{}", written.summary);
            if then_run {
                let plan_loaded = scenario::load(&written.plan_file, &FsReader, &catalog, &[]);
                eprint!("{}", plan_loaded.sources.render(&plan_loaded.diagnostics));
                let Some(plan) = plan_loaded.scenario.as_ref() else {
                    return Err(Failure(format!(
                        "the plan `{}` is not a valid scenario (a defect: please report it)",
                        written.plan_file.display()
                    )));
                };
                let run_dir = out.join("run");
                let request = run::Request {
                    runs,
                    threads,
                    out: &run_dir,
                    compare_dispatch: false,
                    stated: plan,
                    case: None,
                    cases: &[],
                };
                let (summary, _) = run::run(plan, &plan_loaded, &catalog, &request)?;
                print!(
                    "\nSimulation of the plan ({runs} replications, {}):\n{summary}",
                    run_dir.display()
                );
                print!("{}", optimize::compare_milestones(&outcome, &run_dir)?);
            }
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
            let template = match template {
                Some(p) => Template::read(&p).map_err(|e| Failure(e.to_string()))?,
                None => Template::compare(),
            };
            let request = compare::Request {
                inputs: &inputs,
                runs,
                seed,
                threads,
                out: out.as_deref(),
            };
            print!("{}", compare::compare(&request, &catalog, &template)?);
            Ok(ExitCode::SUCCESS)
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
            let mode = mode(quantile, runs, threads)?;
            let evaluator = Evaluator::new(&scenario).ok_or_else(|| no_finance(&file))?;
            let steps = 1 + 2 * scenario.sensitivity.len() as u64;
            let progress = progress::Progress::new(steps, "evaluations");
            let (base, bars) =
                sensitivity_out::tornado(&scenario, &evaluator, mode, threads, &progress)?;
            progress.finish();
            let output = output.output();
            let out = out.unwrap_or_else(|| {
                PathBuf::from("reports").join(format!("{}-sensitivity", scenario.meta.name))
            });
            let written =
                sensitivity_out::write_tornado(&out, &scenario, &base, &bars, output, mode)?;
            print!(
                "{}",
                sensitivity_out::tornado_human(&scenario, &base, &bars, output)
            );
            println!(
                "  ({}; debt sized once on the base case)\nWrote {} ({} files)",
                mode.describe(),
                out.display(),
                written.len()
            );
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
            let input = input.input();
            let target = sensitivity_out::parse_target(&target, &scenario)?;
            let range = match range {
                Some(text) => parse_range(&text, input)?,
                None => scenario
                    .sensitivity
                    .iter()
                    .find(|r| r.input == input)
                    .map(|r| (r.low, r.high))
                    .or_else(|| {
                        let (l, h) = input.default_keys();
                        catalog.default_value(&l).zip(catalog.default_value(&h))
                    })
                    .ok_or_else(|| {
                        Failure(format!(
                            "no range for `{}`; give `--range LOW,HIGH`",
                            input.name()
                        ))
                    })?,
            };
            let mode = mode(quantile, runs, threads)?;
            let evaluator = Evaluator::new(&scenario).ok_or_else(|| no_finance(&file))?;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Failure(format!("cannot start the worker threads: {e}")))?;
            let progress =
                progress::Progress::new(sensitivity::SCAN_POINTS as u64 + 2, "evaluations");
            let (base, found) = pool.install(|| {
                let base = mode.evaluate(&evaluator, &scenario);
                let mut done = 0u64;
                let found = sensitivity::breakeven(
                    |x| {
                        done += 1;
                        if done > sensitivity::SCAN_POINTS as u64 + 1 {
                            progress.extend(1);
                        }
                        progress.tick();
                        let variant = sensitivity::apply(&scenario, &[(input, x)]);
                        target.output.of(&mode.evaluate(&evaluator, &variant))
                    },
                    range.0,
                    range.1,
                    target.value,
                    1e-9 * (range.1 - range.0).abs().max(1e-9),
                );
                (base, found)
            });
            progress.finish();
            let (text, json) = sensitivity_out::breakeven_report(
                &scenario, input, &target, range, &base, &found, mode,
            );
            match format {
                Format::Human => print!("{text}"),
                Format::Json => println!("{}", serde_json::to_string_pretty(&json)?),
            }
            Ok(match found {
                sensitivity::BreakEven::Found { .. } => ExitCode::SUCCESS,
                sensitivity::BreakEven::NotReached { .. } => ExitCode::from(1),
            })
        }
        Command::Report { dir, template } => {
            let template = report_template(template.as_deref())?;
            print!("{}", report(&dir, &template)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The valid, financed scenario at `file`, or why not.
fn financed(
    file: &Path,
    overrides: &[String],
    catalog: &Catalog,
) -> Result<sovsim_core::model::Scenario, Failure> {
    let loaded = scenario::load(file, &FsReader, catalog, overrides);
    eprint!("{}", loaded.sources.render(&loaded.diagnostics));
    let Some(scenario) = loaded.scenario else {
        return Err(Failure(format!(
            "`{}` is not valid; nothing was evaluated",
            file.display()
        )));
    };
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

fn unknown_case(name: &str, scenario: &sovsim_core::model::Scenario) -> Failure {
    let names: Vec<&str> = scenario.cases.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        return Failure(format!(
            "no case named `{name}`: `{}` declares no `[cases.NAME]`",
            scenario.meta.name
        ));
    }
    let hint = sovsim_core::diagnostic::did_you_mean(name, names.iter().copied())
        .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
    Failure(format!(
        "no case named `{name}`; `{}` declares {}{hint}",
        scenario.meta.name,
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// How variants are read: at their medians, or a quantile over replications.
fn mode(
    quantile: Option<f64>,
    runs: u64,
    threads: usize,
) -> Result<sensitivity_out::Mode, Failure> {
    match quantile {
        None => Ok(sensitivity_out::Mode::Deterministic),
        Some(q) if (0.0..=1.0).contains(&q) => {
            Ok(sensitivity_out::Mode::Quantile { q, runs, threads })
        }
        Some(q) => Err(Failure(format!(
            "`--quantile {q}` is not between 0 and 1 (0.1 for the P10)"
        ))),
    }
}

/// `LOW,HIGH` as a change `input` can take.
fn parse_range(text: &str, input: Input) -> Result<(f64, f64), Failure> {
    let bad = || {
        Failure(format!(
            "`--range {text}` is not LOW,HIGH with LOW ≤ HIGH for `{}` ({})",
            input.name(),
            input.unit()
        ))
    };
    let (low, high) = text.split_once(',').ok_or_else(bad)?;
    let low: f64 = low.trim().parse().map_err(|_| bad())?;
    let high: f64 = high.trim().parse().map_err(|_| bad())?;
    if low > high || !input.accepts(low) || !input.accepts(high) {
        return Err(bad());
    }
    Ok((low, high))
}

fn report_template(path: Option<&Path>) -> Result<Template, Failure> {
    match path {
        Some(p) => Template::read(p).map_err(|e| Failure(e.to_string())),
        None => Ok(Template::shipped()),
    }
}

/// Renders the report of the run in `dir` and says what was written.
fn report(dir: &Path, template: &Template) -> Result<String, Failure> {
    let rendered = sovsim_report::render(dir, template).map_err(|e| Failure(e.to_string()))?;
    let charts = rendered
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
        .count();
    Ok(format!(
        "Report: {} ({} pages, {charts} charts in {}, workbook {})\n",
        dir.join("report.pdf").display(),
        rendered.pages.len(),
        dir.join("charts").display(),
        dir.join("model.xlsx").display(),
    ))
}

fn catalog_sources(dir: Option<&Path>) -> Result<CatalogSources, Failure> {
    let Some(dir) = dir else {
        return Ok(sovsim_core::catalog::embedded_sources());
    };
    let mut sources = CatalogSources::new();
    for table in TABLES {
        let path = dir.join(table.file);
        let text = std::fs::read_to_string(&path)
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
) -> ExitCode {
    let results: Vec<Loaded> = files
        .iter()
        .map(|f| scenario::load(f, &FsReader, catalog, overrides))
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
            println!(
                "{}",
                serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into())
            );
        }
    }
    if results.iter().any(Loaded::has_errors) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
