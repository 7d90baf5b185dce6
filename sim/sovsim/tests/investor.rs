//! The investor's questions through the binary: comparisons whose differences are those of the
//! runs' own files, a tornado ranked as separate runs rank it, break-evens that end, and cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sovsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovsim"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("sovsim runs")
}

fn ok(output: Output) -> Output {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("written")).expect("JSON")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The rows of a CSV file as maps from column to text.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("CSV");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            headers
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
fn days(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().expect("date")).collect();
    let (y, m, d) = (if p[1] <= 2 { p[0] - 1 } else { p[0] }, p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

#[test]
fn compare_differences_are_the_differences_of_the_runs_summaries() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("cmp");
    let output = ok(sovsim(&[
        "compare",
        "scenarios/paris-1.4gw.toml",
        "scenarios/neocloud-1.3gw.toml",
        "--runs",
        "8",
        "--out",
        text(&out),
    ]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Δ neocloud-1.3gw") && stdout.contains("Equity IRR"),
        "{stdout}"
    );
    assert!(out.join("compare.pdf").exists() && out.join("comparison.parquet").exists());
    let a = json(&out.join("runs/1-paris-1.4gw/summary.json"));
    let b = json(&out.join("runs/2-neocloud-1.3gw/summary.json"));
    assert_eq!(a["seed"], b["seed"], "common random numbers: one seed");
    let rows = csv_rows(&out.join("comparison.csv"));
    let mut checked = 0;
    for row in rows.iter().filter(|r| r["buildout"] == "neocloud-1.3gw") {
        let key = &row["key"];
        let (Some(va), Some(vb)) = (a.get(key), b.get(key)) else {
            continue;
        };
        let expected = match (va.as_f64(), vb.as_f64(), va.as_str(), vb.as_str()) {
            (Some(x), Some(y), _, _) => Some(y - x),
            (_, _, Some(x), Some(y)) => Some((days(y) - days(x)) as f64),
            _ => None,
        };
        let found: Option<f64> = row["difference"].parse().ok();
        assert_eq!(found, expected, "{key}: {row:?}");
        if expected.is_some() {
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} differences checked");
}

#[test]
fn comparing_a_scenario_with_itself_gives_zero_differences() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("self");
    ok(sovsim(&[
        "compare",
        "scenarios/quickstart.toml",
        "scenarios/quickstart.toml",
        "--runs",
        "6",
        "--out",
        text(&out),
    ]));
    let rows = csv_rows(&out.join("comparison.csv"));
    let differences: Vec<f64> = rows
        .iter()
        .filter_map(|r| r["difference"].parse::<f64>().ok())
        .collect();
    assert!(differences.len() > 20, "{}", differences.len());
    assert!(differences.iter().all(|d| *d == 0.0), "{differences:?}");
}

/// Quickstart with a four-input `[sensitivity]` and, for each end of each range, the same change
/// written out as a named override, so that separate runs can price it.
const SENSITIVE: &str = r#"
extends = "QUICKSTART"

[scenario]
name = "quickstart-sensitive"

[sensitivity]
inputs = ["gpu_rent", "opex", "construction_delay_months", "base_rate"]
ranges = { gpu_rent = [-0.4, 0.1], opex = [-0.2, 0.2], construction_delay_months = [0, 6], base_rate = [0, 0.04] }

[overrides.gpu_rent-low.finance]
gpu_hour_price_eur = { gb300-nvl72 = { dist = "triangular", min = 1.5, mode = 2.4, max = 3.3 } }

[overrides.gpu_rent-high.finance]
gpu_hour_price_eur = { gb300-nvl72 = { dist = "triangular", min = 2.75, mode = 4.4, max = 6.05 } }

[overrides.opex-low.finance]
maintenance_pct_per_year = 1.6
insurance_pct_per_year = 0.24
staff_eur_per_mw_year = 40000
network_eur_per_gpu_year = 400

[overrides.opex-high.finance]
maintenance_pct_per_year = 2.4
insurance_pct_per_year = 0.36
staff_eur_per_mw_year = 60000
network_eur_per_gpu_year = 600

[[overrides.construction_delay_months-high.shells]]
id = "saclay-hall"
phases = [
  { it_mw = 100, build_months = { dist = "triangular", min = 24, mode = 30, max = 42 } },
  { it_mw = 100, build_months = { dist = "triangular", min = 24, mode = 30, max = 42 } },
]

[overrides.base_rate-high.finance]
base_rate = 0.065

[cases.dear]
description = "rents down, rates up"
inputs = { gpu_rent = -0.1, base_rate = 0.04 }
"#;

fn sensitive_scenario(dir: &Path) -> PathBuf {
    let quickstart = repo().join("scenarios/quickstart.toml");
    let path = dir.join("sensitive.toml");
    std::fs::write(&path, SENSITIVE.replace("QUICKSTART", text(&quickstart))).expect("write");
    path
}

#[test]
fn a_tornado_ranks_inputs_as_separate_runs_do() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let scenario = sensitive_scenario(dir.path());
    let out = dir.path().join("sens");
    let output = ok(sovsim(&[
        "sensitivity",
        text(&scenario),
        "--output",
        "npv",
        "--out",
        text(&out),
    ]));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Tornado of npv"));
    let sens = json(&out.join("sensitivity.json"));
    let ranking: Vec<(String, f64)> = sens["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .map(|r| {
            (
                r["input"].as_str().expect("name").to_owned(),
                r["swing"].as_f64().expect("swing"),
            )
        })
        .collect();
    // Separate runs: the base case's NPV (`npv_eur`, project cash flows, so the debt does not
    // enter) of the scenario with each end written out as an override.
    let npv_with = |overrides: &[&str]| -> f64 {
        let run_dir = dir.path().join(format!("run-{}", overrides.join("+")));
        let mut args = vec![
            "run",
            text(&scenario),
            "--runs",
            "1",
            "--out",
            text(&run_dir),
        ];
        for o in overrides {
            args.extend(["--override", o]);
        }
        ok(sovsim(&args));
        json(&run_dir.join("summary.json"))["npv_eur"]
            .as_f64()
            .expect("npv")
    };
    let base = npv_with(&[]);
    let end = |name: &str, side: &str| -> f64 {
        let key = format!("{name}-{side}");
        let defined = SENSITIVE.contains(&format!("[overrides.{key}"))
            || SENSITIVE.contains(&format!("[[overrides.{key}"));
        if defined { npv_with(&[&key]) } else { base }
    };
    let mut separate: Vec<(String, f64)> =
        ["gpu_rent", "opex", "construction_delay_months", "base_rate"]
            .iter()
            .map(|n| ((*n).to_owned(), (end(n, "high") - end(n, "low")).abs()))
            .collect();
    separate.sort_by(|a, b| b.1.total_cmp(&a.1));
    let names = |v: &[(String, f64)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&ranking),
        names(&separate),
        "{ranking:?} vs {separate:?}"
    );
    for ((_, a), (_, b)) in ranking.iter().zip(&separate) {
        // summary.json rounds to a micro-euro.
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0) + 1e-5,
            "{ranking:?} vs {separate:?}"
        );
    }
    assert_eq!(
        ranking.last().map(|r| r.1),
        Some(0.0),
        "the base rate does not move project NPV"
    );
}

#[test]
fn a_break_even_is_found_or_said_to_be_out_of_range() {
    let found = ok(sovsim(&[
        "breakeven",
        "scenarios/quickstart.toml",
        "--input",
        "gpu_rent",
        "--target",
        "dscr_min=lockup",
        "--format",
        "json",
    ]));
    let answer: serde_json::Value = serde_json::from_slice(&found.stdout).expect("JSON");
    assert_eq!(answer["found"], true);
    let value = answer["value"].as_f64().expect("value");
    assert!((-0.4..0.0).contains(&value), "{answer}");
    assert_eq!(
        answer["distance_from_base_pct"].as_f64(),
        Some(value * 100.0)
    );
    let none = sovsim(&[
        "breakeven",
        "scenarios/quickstart.toml",
        "--input",
        "gpu_rent",
        "--target",
        "dscr_min=0.1",
        "--range",
        "0,0.1",
    ]);
    assert_eq!(none.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&none.stdout);
    assert!(stdout.contains("no value of gpu_rent"), "{stdout}");
    let hurdle = sovsim(&[
        "breakeven",
        "scenarios/quickstart.toml",
        "--input",
        "gpu_rent",
        "--target",
        "equity_irr=hurdle",
    ]);
    assert_eq!(hurdle.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&hurdle.stderr).contains("equity_hurdle_rate"));
}

#[test]
fn a_case_runs_with_the_base_case_debt_and_every_case_is_tabled() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let scenario = sensitive_scenario(dir.path());
    let (base_dir, case_dir) = (dir.path().join("base"), dir.path().join("dear"));
    ok(sovsim(&[
        "run",
        text(&scenario),
        "--runs",
        "2",
        "--out",
        text(&base_dir),
    ]));
    ok(sovsim(&[
        "run",
        text(&scenario),
        "--runs",
        "2",
        "--case",
        "dear",
        "--out",
        text(&case_dir),
    ]));
    let (base, dear) = (
        json(&base_dir.join("summary.json")),
        json(&case_dir.join("summary.json")),
    );
    assert_eq!(base["case"], "base");
    assert_eq!(dear["case"], "dear");
    assert_eq!(
        base["debt_commitment_eur"], dear["debt_commitment_eur"],
        "debt sized on the base case"
    );
    assert!(dear["dscr_min"].as_f64() < base["dscr_min"].as_f64());
    let cases = csv_rows(&base_dir.join("cases.csv"));
    assert_eq!(
        cases.iter().map(|r| r["case"].as_str()).collect::<Vec<_>>(),
        ["base", "dear"]
    );
    let tabled: f64 = cases[1]["dscr_min"].parse().expect("number");
    let simulated = dear["dscr_min"].as_f64().expect("number");
    assert!((tabled - simulated).abs() < 1e-6, "{tabled} vs {simulated}");
    let typo = sovsim(&["run", text(&scenario), "--runs", "1", "--case", "deer"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean `dear`?"));
}
