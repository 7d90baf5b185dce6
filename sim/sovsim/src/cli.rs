//! The command line: every command, argument and help text (clap), and the conversion of its
//! enums into the library's types. Parsing only validates; `main.rs` turns the arguments into
//! library calls.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use sovsim_core::model::{Input, Policy};
use sovsim_core::study::sensitivity::Output;

/// A model file's path, and the format its extension says.
fn model_path(text: &str) -> Result<(PathBuf, sovsim_optimise::files::Format), String> {
    let path = PathBuf::from(text);
    match sovsim_optimise::files::Format::of(&path) {
        Some(format) => Ok((path, format)),
        None => Err(format!(
            "`{text}` names no model format: end it in `.mps` (free MPS) or `.lp` (CPLEX LP)"
        )),
    }
}

/// Most replications a command runs (a count near 2^64 would never end); the aggregate's memory
/// model is stated up to it.
pub(crate) use sovsim_core::engine::aggregate::MAX_RUNS;

/// Most worker threads: more than any machine sovsim runs on has cores; thousands of threads make
/// no progress (each replication is short) and exhaust memory.
pub(crate) const MAX_THREADS: usize = 256;

/// A `--threads` value: 0 (every core) up to [`MAX_THREADS`].
fn threads(text: &str) -> Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of threads"))?;
    if n > MAX_THREADS {
        return Err(format!(
            "{n} threads is more than sovsim runs ({MAX_THREADS} at most; 0 uses every core)"
        ));
    }
    Ok(n)
}

/// Plans sovereign AI infrastructure: land, power, datacenter shells, GPUs and open models, under
/// sovereignty rules, financed.
#[derive(Debug, Parser)]
#[command(name = "sovsim", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    /// Read the reference catalog from this directory instead of the copy built into sovsim.
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Let scenarios extend files, and sweeps name scenarios, in this folder as well as in their
    /// own (repeatable). Without it, `extends` may only name files inside the scenario's folder,
    /// and a sweep only scenarios inside its own.
    #[arg(long = "allow-path", global = true, value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
    /// Reproduce published figures (GPUs and capex per GW, training compute and GPU-hours,
    /// failures, serving rates, build speed, GPU rents) through sovsim's own code; exit 1 if one
    /// falls outside its tolerance.
    #[command(
        after_help = "Example:\n  sovsim validation\n  sovsim validation --markdown > VALIDATION.md"
    )]
    Validation {
        /// Print VALIDATION.md (every case with its source, tolerance and reason) instead of a summary.
        #[arg(long)]
        markdown: bool,
    },
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
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
        runs: u64,
        /// Seed of every random stream; default: the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = threads)]
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
        /// LEVER=VALUE: move a lever as if the scenario stated it (its debt sized on it), e.g.
        /// `gpu_rent=-0.2` (20 % lower) or `grid_delay_months=12`; repeatable. What a sweep's case
        /// runs (`sovsim sweep plan` prints each case's arguments).
        #[arg(long = "change", value_name = "LEVER=VALUE", value_parser = change, allow_hyphen_values = true)]
        changes: Vec<(Input, f64)>,
    },
    /// Sweeps: scenario ensembles (levers, overrides, named cases and scenarios combined by a
    /// design) run in shards, on one machine or as a scheduler's array job, and merged into one
    /// table. See sweeps/README.md.
    #[command(
        subcommand,
        after_help = "Example:\n  sovsim sweep plan sweeps/quickstart-grid-rent.toml --allow-path scenarios\n  sovsim sweep run sweeps/quickstart-grid-rent.toml --allow-path scenarios\n  sovsim sweep merge sweeps/quickstart-grid-rent.toml --allow-path scenarios"
    )]
    Sweep(SweepCommand),
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
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS))]
        runs: u64,
        /// Seed of every scenario run; default: the first scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = threads)]
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
        #[arg(long, value_parser = output_parser(), default_value = "npv")]
        output: Output,
        /// Read each variant as this quantile (0 to 1) over replications with the scenario's
        /// seeds, instead of at its medians.
        #[arg(long, value_name = "Q")]
        quantile: Option<f64>,
        /// Replications of `--quantile`.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS), requires = "quantile")]
        runs: u64,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = threads)]
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
        /// The input moved.
        #[arg(long, value_parser = input_parser())]
        input: Input,
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
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS), requires = "quantile")]
        runs: u64,
        /// Worker threads; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = threads)]
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
        after_help = "Example:\n  sovsim optimize scenarios/eu-sovereign-2030.toml\n  sovsim optimize scenarios/eu-sovereign-2030.toml --then-run --runs 200\n  sovsim optimize scenarios/eu-sovereign-2030.toml --write-model eu.mps"
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
        /// Also write the MILP, before it is solved, as a model file another solver reads: free
        /// MPS for a name ending in `.mps`, CPLEX LP for `.lp`; rows and columns carry readable
        /// names (`grid_capacity[fr-grid]`, `gpus_k[fr-b200,fr-hall,2028]`).
        #[arg(long, value_name = "PATH", value_parser = model_path)]
        write_model: Option<(PathBuf, sovsim_optimise::files::Format)>,
        /// Then simulate the plan (`sovsim run` on `plan.toml`, into `DIR/run`) and print its P50/P90
        /// milestones beside the optimiser's dates.
        #[arg(long)]
        then_run: bool,
        /// Replications of `--then-run`.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=MAX_RUNS), requires = "then_run")]
        runs: u64,
        /// Worker threads of `--then-run`; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = threads, requires = "then_run")]
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
    /// Internal: renders a run directory's report in a child process under memory and CPU
    /// limits, so that a template that never ends cannot take the machine with it. Not for users.
    #[command(name = "__render-report", hide = true)]
    RenderReport {
        /// The run directory (a staging copy).
        dir: PathBuf,
        /// Report template; default: the shipped one.
        #[arg(long)]
        template: Option<PathBuf>,
    },
    /// Internal: renders a sweep's charts and PDF in a child process under limits, as
    /// `__render-report`.
    #[command(name = "__render-sweep", hide = true)]
    RenderSweep {
        /// The sweep's folder of results.
        dir: PathBuf,
        /// Sweep template; default: the shipped one.
        #[arg(long)]
        template: Option<PathBuf>,
    },
    /// Internal: renders a comparison in a child process under limits, as `__render-report`.
    #[command(name = "__render-compare", hide = true)]
    RenderCompare {
        /// The output directory (a staging directory).
        out: PathBuf,
        /// Comparison template; default: the shipped one.
        #[arg(long)]
        template: Option<PathBuf>,
        /// A labelled run directory: `--run LABEL DIR`, in order.
        #[arg(long = "run", num_args = 2, value_names = ["LABEL", "DIR"])]
        runs: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DispatchPolicy {
    /// Each demand uses only its own operators' clusters.
    Siloed,
    /// An independent operator pools all capacity each tier may use.
    Grid,
}

/// Parses an output of a sensitivity by its name; `--help` lists each with what it is.
fn output_parser() -> impl TypedValueParser<Value = Output> {
    PossibleValuesParser::new(Output::ALL.map(|o| PossibleValue::new(o.name()).help(o.meaning())))
        .try_map(|name: String| Output::parse(&name).ok_or_else(|| format!("no output `{name}`")))
}

/// Parses an input a sensitivity moves by its name; `--help` lists each with what it moves.
/// A `--change LEVER=VALUE`: a lever of [`Input::ALL`] and a change it can take.
fn change(text: &str) -> Result<(Input, f64), String> {
    let names = Input::ALL.map(Input::name).join(", ");
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not LEVER=VALUE (levers: {names})"))?;
    let input = Input::parse(name.trim()).ok_or_else(|| {
        let hint = sovsim_core::diagnostic::did_you_mean(name.trim(), Input::ALL.map(Input::name))
            .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
        format!("no lever `{name}`{hint} (levers: {names})")
    })?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a number ({})", input.unit()))?;
    if !input.accepts(value) {
        return Err(format!(
            "{value} is not a change `{name}` can take ({}, above −1)",
            input.unit()
        ));
    }
    Ok((input, value))
}

fn input_parser() -> impl TypedValueParser<Value = Input> {
    PossibleValuesParser::new(
        Input::ALL
            .map(|i| PossibleValue::new(i.name()).help(format!("{}; {}", i.meaning(), i.unit()))),
    )
    .try_map(|name: String| Input::parse(&name).ok_or_else(|| format!("no input `{name}`")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Source lines with carets, for people.
    Human,
    /// One JSON array of diagnostics, for tools.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CatalogFormat {
    /// Aligned columns, estimates marked `~`, sources listed below.
    Table,
    /// The CSV file as stored.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CatalogTable {
    Accelerators,
    Power,
    Shells,
    Countries,
    Models,
    Sovereignty,
    CsfObjectives,
    CsfCriteria,
    Certifications,
    Throughput,
    Efficiency,
    Defaults,
}

impl CatalogTable {
    pub(crate) fn name(self) -> &'static str {
        match self {
            CatalogTable::Accelerators => "accelerators",
            CatalogTable::Power => "power",
            CatalogTable::Shells => "shells",
            CatalogTable::Countries => "countries",
            CatalogTable::Models => "models",
            CatalogTable::Sovereignty => "sovereignty",
            CatalogTable::CsfObjectives => "csf-objectives",
            CatalogTable::CsfCriteria => "csf-criteria",
            CatalogTable::Certifications => "certifications",
            CatalogTable::Throughput => "throughput",
            CatalogTable::Efficiency => "efficiency",
            CatalogTable::Defaults => "defaults",
        }
    }
}

impl DispatchPolicy {
    pub(crate) fn policy(self) -> Policy {
        match self {
            DispatchPolicy::Siloed => Policy::Siloed,
            DispatchPolicy::Grid => Policy::Grid,
        }
    }
}

/// What `sovsim sweep` does.
#[derive(Debug, Subcommand)]
pub(crate) enum SweepCommand {
    /// Check a sweep file and its scenarios (every problem, located) and list its cases: id, seed,
    /// inputs, and the `sovsim run` arguments that run each alone.
    #[command(
        after_help = "Example:\n  sovsim sweep plan sweeps/quickstart-grid-rent.toml --allow-path scenarios\n  sovsim sweep plan sweeps/quickstart-grid-rent.toml --allow-path scenarios --format json"
    )]
    Plan {
        /// Sweep file.
        #[arg(value_name = "SWEEP")]
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run a shard of the sweep's cases (all of them without a shard): one result file per case,
    /// written whole or not at all; cases already done are skipped, so a retried or pre-empted
    /// task is safe.
    #[command(
        after_help = "The shard is `--shard`; else the array index of a Slurm array task (SLURM_ARRAY_TASK_ID of --shards,\nor counted from SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT), a Kubernetes Indexed Job\n(JOB_COMPLETION_INDEX of --shards) or an AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX of --shards or\nAWS_BATCH_JOB_ARRAY_SIZE); else the whole sweep.\n\nExample:\n  sovsim sweep run sweeps/quickstart-grid-rent.toml --allow-path scenarios\n  sovsim sweep run sweeps/quickstart-grid-rent.toml --allow-path scenarios --shard 0/4 --threads 1"
    )]
    Run {
        /// Sweep file.
        #[arg(value_name = "SWEEP")]
        file: PathBuf,
        /// The sweep's folder of results; default `reports/sweeps/<name>/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Run shard I of N (from 0): the cases whose place in the plan is I modulo N.
        #[arg(long, value_name = "I/N", value_parser = shard)]
        shard: Option<sovsim_core::sweep::plan::Shard>,
        /// How many shards there are, when a scheduler gives the index: the array runs 0 to N−1.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        shards: Option<u64>,
        /// Cases run at once; 0 uses every core. Results do not depend on it.
        #[arg(long, default_value_t = 0, value_parser = threads)]
        threads: usize,
    },
    /// Write a Slurm array job for the sweep (`sweep.sbatch`, `%` throttled, each task's time and
    /// memory estimated from a pilot case run here), a merge job that runs once it succeeds
    /// (`merge.sbatch`, `--dependency=afterok`) and `submit.sh`, which submits both.
    #[command(
        after_help = "Example:\n  sovsim sweep slurm sweeps/eu-grid-rent-tier.toml --allow-path scenarios --shards 6 --throttle 3\n  bash reports/sweeps/eu-grid-rent-tier/slurm/submit.sh"
    )]
    Slurm {
        /// Sweep file.
        #[arg(value_name = "SWEEP")]
        file: PathBuf,
        #[command(flatten)]
        tasks: TaskOptions,
        /// Slurm partition; default: the cluster's.
        #[arg(long)]
        partition: Option<String>,
        /// Slurm account to charge; default: yours.
        #[arg(long)]
        account: Option<String>,
    },
    /// Write a Kubernetes Indexed Job for the sweep (`sweep-job.yaml`: one pod per shard, reading
    /// it from JOB_COMPLETION_INDEX; limits from a pilot case run here), the merge job and
    /// `submit.sh`, which applies one, waits for it and applies the other.
    #[command(
        after_help = "Example:\n  sovsim sweep kubernetes sweeps/eu-grid-rent-tier.toml --allow-path scenarios --image registry.example/sovsim:0.1 --claim sweeps --mount /work"
    )]
    Kubernetes {
        /// Sweep file.
        #[arg(value_name = "SWEEP")]
        file: PathBuf,
        #[command(flatten)]
        tasks: TaskOptions,
        /// Container image holding `sovsim` at the path this one has.
        #[arg(long)]
        image: String,
        /// Persistent volume claim holding the sweep's files and folder of results.
        #[arg(long)]
        claim: String,
        /// Where the claim is mounted in the pod: the paths in the commands must hold there.
        #[arg(long, value_name = "PATH")]
        mount: String,
    },
    /// Check that every case of the plan has a result that matches it, and write one table of
    /// inputs and outputs (`sweep.parquet`, `sweep.csv`), a row per case in plan order, with
    /// `sweep.json` (each output over the cases, each target's share), charts and `sweep.pdf`.
    #[command(
        after_help = "Example:\n  sovsim sweep merge sweeps/quickstart-grid-rent.toml --allow-path scenarios"
    )]
    Merge {
        /// Sweep file.
        #[arg(value_name = "SWEEP")]
        file: PathBuf,
        /// The sweep's folder of results; default `reports/sweeps/<name>/`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Sweep report template (typst); default: the shipped `reports/templates/sweep.typ`.
        #[arg(long, value_name = "PATH")]
        template: Option<PathBuf>,
    },
}

/// How a sweep is cut into a scheduler's tasks.
#[derive(Debug, clap::Args)]
pub(crate) struct TaskOptions {
    /// The sweep's folder of results (on storage every node sees); default
    /// `reports/sweeps/<name>/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Tasks; default: about half an hour of cases each, by the pilot (at most 1,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub shards: Option<u64>,
    /// Most tasks running at once; default: all of them, up to 50.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub throttle: Option<u64>,
    /// Cores per task: cases it runs at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub cpus_per_task: u64,
}

/// A `--shard I/N`.
fn shard(text: &str) -> Result<sovsim_core::sweep::plan::Shard, String> {
    sovsim_core::sweep::plan::Shard::parse(text)
}
