//! `sovsim compare`: several buildouts side by side. Scenario files are run with one seed and one
//! number of replications (common random numbers); run directories are read as they are. The
//! comparison itself (table, charts, PDF) is made by `sovsim_report::compare` from the run
//! directories' files.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sovsim_core::catalog::Catalog;
use sovsim_core::scenario;
use sovsim_report::typeset::Template;

use crate::progress::Progress;
use crate::{Failure, FsReader, run, sensitivity_out};

/// What `sovsim compare` was asked.
pub(crate) struct Request<'a> {
    /// Scenario files or run directories, the reference first.
    pub inputs: &'a [PathBuf],
    /// Replications of each scenario run.
    pub runs: u64,
    /// Seed of every scenario run; default: the first scenario's.
    pub seed: Option<u64>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Output directory.
    pub out: Option<&'a Path>,
}

/// Runs or reads each buildout, writes the comparison and returns the terminal table.
pub(crate) fn compare(
    request: &Request,
    catalog: &Catalog,
    template: &Template,
) -> Result<String, Failure> {
    // Load every scenario first, so that a typo in the last file costs no simulation.
    let mut loaded = Vec::new();
    let mut problems = 0;
    for input in request.inputs {
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
        let l = scenario::load(input, &FsReader, catalog, &[]);
        eprint!("{}", l.sources.render(&l.diagnostics));
        if l.scenario.is_none() {
            problems += 1;
        }
        loaded.push(Some(l));
    }
    if problems > 0 {
        return Err(Failure(format!(
            "{problems} scenario(s) are not valid; nothing was compared"
        )));
    }
    let seed = request.seed.or_else(|| {
        loaded
            .iter()
            .flatten()
            .find_map(|l| l.scenario.as_ref().map(|s| s.meta.seed))
    });
    let names: Vec<String> = request
        .inputs
        .iter()
        .zip(&loaded)
        .map(
            |(input, l)| match l.as_ref().and_then(|l| l.scenario.as_ref()) {
                Some(s) => s.meta.name.clone(),
                None => input
                    .file_name()
                    .map_or("run".to_owned(), |n| n.to_string_lossy().into_owned()),
            },
        )
        .collect();
    // Labels are the names, numbered when two buildouts share one (a scenario against itself).
    let distinct: BTreeSet<&String> = names.iter().collect();
    let labels: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if distinct.len() == names.len() {
                n.clone()
            } else {
                format!("{}:{n}", i + 1)
            }
        })
        .collect();
    let out = request.out.map_or_else(
        || PathBuf::from("reports").join(format!("compare-{}", names.join("-vs-"))),
        Path::to_path_buf,
    );
    let mut dirs = Vec::new();
    let mut told = String::new();
    let scenarios = loaded.iter().filter(|l| l.is_some()).count() as u64;
    let progress = Progress::new(scenarios, "buildouts");
    for (k, (input, l)) in request.inputs.iter().zip(&loaded).enumerate() {
        let Some(l) = l else {
            dirs.push((labels[k].clone(), input.clone()));
            let _ = writeln!(told, "  {}: read {}", labels[k], input.display());
            continue;
        };
        let Some(stated) = l.scenario.as_ref() else {
            continue;
        };
        let mut stated = stated.clone();
        if let Some(seed) = seed {
            stated.meta.seed = seed;
        }
        let dir = out
            .join("runs")
            .join(format!("{}-{}", k + 1, stated.meta.name));
        let cases = sensitivity_out::case_scenarios(input, &[], &stated, catalog)?;
        let run_request = run::Request {
            runs: request.runs,
            threads: request.threads,
            out: &dir,
            compare_dispatch: false,
            stated: &stated,
            case: None,
            cases: &cases,
        };
        run::run(&stated, l, catalog, &run_request)?;
        progress.tick();
        let _ = writeln!(
            told,
            "  {}: ran {} ({} replications, seed {}) into {}",
            labels[k],
            input.display(),
            request.runs,
            stated.meta.seed,
            dir.display()
        );
        dirs.push((labels[k].clone(), dir));
    }
    progress.finish();
    let written =
        sovsim_report::compare::render(&dirs, &out, template).map_err(|e| Failure(e.0))?;
    let mut s = format!("Comparison of {}:\n{told}\n", labels.join(", "));
    s.push_str(&terminal_table(&written.comparison));
    let _ = writeln!(
        s,
        "\nWrote {} (comparison.parquet/.csv, {} charts, compare.pdf with {} pages)",
        out.display(),
        written
            .files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "svg"))
            .count(),
        written.pages.len()
    );
    Ok(s)
}

/// The P50 of each figure (and the base case's financial figures), side by side, with each
/// buildout's difference from the first.
fn terminal_table(c: &sovsim_report::compare::Comparison) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["P50 (base case where marked)".to_owned()];
    header.extend(c.labels.iter().cloned());
    header.extend(c.labels.iter().skip(1).map(|l| format!("Δ {l}")));
    rows.push(header);
    let base = c.grid("base");
    for (figure, cells) in c.grid("p50") {
        let mut row = vec![figure.clone()];
        row.extend(cells.iter().map(|(v, _)| v.clone()));
        row.extend(cells.iter().skip(1).map(|(_, d)| d.clone()));
        rows.push(row);
        if let Some((_, b)) = base.iter().find(|(f, _)| *f == figure) {
            let mut row = vec![format!("  {figure}, base case")];
            row.extend(b.iter().map(|(v, _)| v.clone()));
            row.extend(b.iter().skip(1).map(|(_, d)| d.clone()));
            rows.push(row);
        }
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
                line.push_str("  ");
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}
