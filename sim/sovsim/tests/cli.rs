//! The `sovsim` binary as a user runs it: exit codes, output formats and the run directory.

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

#[test]
fn validate_exits_0_on_the_shipped_scenarios_and_2_on_a_bad_one() {
    let ok = sovsim(&[
        "validate",
        "scenarios/quickstart.toml",
        "scenarios/paris-1.4gw.toml",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = sovsim(&[
        "validate",
        "sim/sovsim-core/tests/invalid/several-problems.toml",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("several-problems.toml:21:11"), "{stderr}");
    assert!(
        stderr.contains("hint: did you mean `capacity_mw`?"),
        "{stderr}"
    );
    assert!(stderr.contains("has 3 error(s)"), "{stderr}");
    assert!(
        bad.stdout.is_empty(),
        "human diagnostics go to stderr; stdout is for data"
    );
}

#[test]
fn validate_json_gives_the_same_problems_as_data() {
    let out = sovsim(&[
        "validate",
        "--format",
        "json",
        "sim/sovsim-core/tests/invalid/several-problems.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let problems: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let problems = problems.as_array().expect("an array");
    assert_eq!(problems.len(), 3);
    assert_eq!(problems[1]["code"], "unknown-field");
    assert_eq!(
        (problems[1]["line"].as_u64(), problems[1]["column"].as_u64()),
        (Some(28), Some(1))
    );
    assert_eq!(problems[1]["field"], "grid_connections[0].capacty_mw");
}

#[test]
fn schema_prints_a_json_schema() {
    let out = sovsim(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(schema["$defs"]["ScenarioFile"]["properties"]["sites"].is_object());
}

#[test]
fn catalog_lists_rows_with_their_sources() {
    let out = sovsim(&["catalog", "accelerators"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gb300-nvl72"));
    assert!(text.contains("h100-sxm: NVIDIA H100 datasheet"), "{text}");
    assert!(text.contains("~1.275"), "estimates are marked: {text}");
}

#[test]
fn validation_reproduces_the_published_figures_and_fails_when_the_catalog_drifts() {
    let out = sovsim(&["validation"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pass llama3-interruptions"), "{text}");
    let markdown = sovsim(&["validation", "--markdown"]);
    let committed = std::fs::read_to_string(repo().join("VALIDATION.md")).expect("VALIDATION.md");
    assert_eq!(String::from_utf8_lossy(&markdown.stdout), committed);
    // A catalog whose H100 fails twice as often no longer reproduces Llama 3's interruptions.
    let dir = std::env::temp_dir().join(format!("sovsim-drifted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for entry in std::fs::read_dir(repo().join("data")).expect("data/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "csv") {
            let mut body = std::fs::read_to_string(&path).expect("csv");
            if path.ends_with("accelerators.csv") {
                body = body.replacen(",0.00047,", ",0.00094,", 1);
            }
            std::fs::write(dir.join(path.file_name().expect("name")), body).expect("write");
        }
    }
    let drifted = sovsim(&["--data", dir.to_str().expect("utf-8"), "validation"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(drifted.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&drifted.stdout).contains("FAIL llama3-interruptions"),
        "{}",
        String::from_utf8_lossy(&drifted.stdout)
    );
}

#[test]
fn a_bad_data_dir_is_reported_with_exit_code_2() {
    let out = sovsim(&["--data", "/nonexistent-sovsim-data", "catalog"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot read `/nonexistent-sovsim-data/accelerators.csv`")
    );
}

/// Runs `sovsim inventory` on a shipped scenario into `out` and checks it succeeded.
fn inventory(scenario: &str, out: &Path) {
    let run = sovsim(&["inventory", scenario, "--out", out.to_str().expect("utf-8")]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Reads a JSON file of a run directory.
fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("written")).expect("JSON")
}

#[test]
fn inventory_writes_the_run_directory_and_the_same_bytes_twice() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        inventory("scenarios/neocloud-1.3gw.toml", out);
    }
    for name in [
        "summary.json",
        "inventory_clusters.csv",
        "inventory_clusters.parquet",
        "inventory_sites.parquet",
        "inventory_shells.csv",
        "inventory_power.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.join(name)).expect("written"),
            std::fs::read(b.join(name)).expect("written"),
        );
        assert_eq!(x, y, "{name} differs between two identical runs");
    }
    let summary = json(&a.join("summary.json"));
    assert_eq!(summary["gpus_total"], 2 * 136_900 + 102_000 + 68_000);
    assert_eq!(summary["hall_it_capacity_mw"], 1300.0);
    let manifest = json(&a.join("manifest.json"));
    assert_eq!(manifest["seed"], 13);
    assert_eq!(manifest["scenario_sha256"].as_str().map(str::len), Some(64));
    assert!(
        manifest["catalog_version"]
            .as_str()
            .is_some_and(|v| v.len() == 16)
    );
    let leftovers = std::fs::read_dir(&a)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0, "no temporary file is left behind");
}

#[test]
fn inventory_of_an_invalid_scenario_writes_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("run");
    let run = sovsim(&[
        "inventory",
        "sim/sovsim-core/tests/invalid/negative.toml",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!out.exists());
}

/// Sums a numeric column of a CSV table written by `inventory`.
fn column_sum(path: &Path, column: &str) -> f64 {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let index = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == column)
        .expect("column exists");
    reader
        .records()
        .map(|r| r.expect("row")[index].parse::<f64>().expect("a number"))
        .sum()
}

#[test]
fn the_summary_totals_equal_the_sums_of_the_tables() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("eu");
    inventory("scenarios/eu-sovereign-2030.toml", &out);
    let summary = json(&out.join("summary.json"));
    let close = |key: &str, table: &str, column: &str| {
        let total = column_sum(&out.join(table), column);
        let reported = summary[key].as_f64().expect("a number");
        assert!(
            (total - reported).abs() <= 1e-6 * total.abs().max(1.0),
            "{key} = {reported} but {table} sums to {total}"
        );
    };
    close("gpus_total", "inventory_clusters.csv", "gpus");
    close(
        "cluster_it_power_mw",
        "inventory_clusters.csv",
        "it_power_mw",
    );
    close(
        "cluster_facility_power_mw",
        "inventory_clusters.csv",
        "facility_power_mw",
    );
    close("hall_it_capacity_mw", "inventory_shells.csv", "it_mw");
    close(
        "onsite_power_capacity_mw",
        "inventory_power.csv",
        "capacity_mw",
    );
    close("land_cost_eur", "inventory_sites.csv", "land_cost_eur");
    // 2.2 GW of IT across eight member states, as the scenario promises.
    assert_eq!(summary["hall_it_capacity_mw"], 2_200.0);
    assert_eq!(summary["sites_count"], 8);
}

fn run(scenario: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", scenario, "--out", out.to_str().expect("UTF-8 path")];
    args.extend_from_slice(extra);
    let output = sovsim(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The keys `reports/README.md` documents for `summary.json`, with `{q}` and `{tier}` expanded.
fn documented_summary_keys(tiers: &[&str]) -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("reports/README.md")).expect("readme");
    let section = readme
        .split("### `summary.json`")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .expect("a summary.json section");
    let mut keys = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let key = line.split('`').nth(1).expect("a key in backticks");
        // `{use}` and `{source}` stand for the names the meaning lists in backticks.
        let listed: Vec<&str> = line.split('`').skip(3).step_by(2).collect();
        let per_tier: Vec<String> = if key.contains("{tier}") {
            tiers.iter().map(|t| key.replace("{tier}", t)).collect()
        } else if key.contains("{use}") {
            listed.iter().map(|u| key.replace("{use}", u)).collect()
        } else if key.contains("{source}") {
            listed.iter().map(|u| key.replace("{source}", u)).collect()
        } else {
            vec![key.to_owned()]
        };
        for key in per_tier {
            if key.contains("{q}") {
                keys.extend(["p10", "p50", "p90"].map(|q| key.replace("{q}", q)));
            } else {
                keys.push(key);
            }
        }
    }
    keys.sort();
    keys
}

#[test]
fn run_writes_the_run_directory_with_every_documented_key_and_a_human_summary() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = run("scenarios/quickstart.toml", dir.path(), &["--runs", "30"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Milestones (P50, with P10 to P90)"),
        "{stdout}"
    );
    assert!(stdout.contains("fr-brownfield"), "{stdout}");
    assert!(stdout.contains("waiting for the shell"), "{stdout}");
    for file in [
        "summary.json",
        "manifest.json",
        "timeseries.parquet",
        "timeseries.csv",
        "timeseries_power.parquet",
        "timeseries_gpus.parquet",
        "milestones.parquet",
        "delays.parquet",
        "events.parquet",
        "sovereignty.parquet",
        "dispatch.parquet",
        "utilisation.parquet",
        "demand.parquet",
        "sold.parquet",
        "training_runs.parquet",
    ] {
        assert!(dir.path().join(file).is_file(), "{file} missing");
    }
    let summary = json(&dir.path().join("summary.json"));
    let mut keys: Vec<String> = summary
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(keys, documented_summary_keys(&["eu-immune", "eu-resident"]));
    assert_eq!(summary["runs"], 30);
    let (p10, p50, p90) = (
        summary["date_full_capacity_p10"].as_str().expect("reached"),
        summary["date_full_capacity_p50"].as_str().expect("reached"),
        summary["date_full_capacity_p90"].as_str().expect("reached"),
    );
    assert!(p10 <= p50 && p50 <= p90, "{p10} {p50} {p90}");
    // The region's P50 energy over the horizon is the timeseries' region energy summed by month
    // only for the replication that is the median of every month at once, so check what must hold:
    // the headline figures are the table's at the last boundary.
    let manifest = json(&dir.path().join("manifest.json"));
    assert_eq!(manifest["command"], "run");
    assert_eq!(manifest["runs"], 30);
}

/// Every file of a run directory (charts included) but the manifest (which records the wall
/// time), by path within the directory.
fn results(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("a directory") {
            let p = entry.expect("an entry").path();
            if p.is_dir() {
                pending.push(p);
            } else if p.file_name().is_some_and(|n| n != "manifest.json") {
                let name = p
                    .strip_prefix(dir)
                    .expect("within the run")
                    .to_string_lossy()
                    .into_owned();
                files.push((name, std::fs::read(&p).expect("readable")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn run_rejects_zero_replications_and_an_invalid_scenario() {
    let zero = sovsim(&["run", "scenarios/quickstart.toml", "--runs", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("out");
    let bad = sovsim(&[
        "run",
        "sim/sovsim-core/tests/invalid/several-problems.toml",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!out.exists(), "nothing is written for an invalid scenario");
}

#[test]
fn compare_dispatch_reports_both_policies_and_what_the_grid_recovers() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = run(
        "scenarios/quickstart.toml",
        dir.path(),
        &["--runs", "8", "--compare-dispatch", "--dispatch", "grid"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("The compute grid recovers"), "{stdout}");
    let summary = json(&dir.path().join("summary.json"));
    assert_eq!(summary["dispatch_policy"], "grid");
    // The unsuffixed keys are the chosen policy's; both policies appear suffixed.
    assert_eq!(
        summary["utilisation_mean_p50"],
        summary["utilisation_mean_grid_p50"]
    );
    assert!(summary["utilisation_mean_siloed_p50"].is_number());
    assert!(summary["grid_recovered_gpu_hours_p50"].is_number());
    // Grid strands nothing by construction.
    assert_eq!(summary["stranded_gpu_hours_grid_p90"], 0.0);
}

/// A numeric column of a CSV table, empty cells as `None`.
fn column(path: &Path, name: &str) -> Vec<Option<f64>> {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let index = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == name)
        .expect("column exists");
    reader
        .records()
        .map(|r| r.expect("row")[index].parse::<f64>().ok())
        .collect()
}

#[test]
fn run_prints_the_financing_figures_a_reader_can_check_against_the_cashflows_table() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = run("scenarios/paris-1.4gw.toml", dir.path(), &["--runs", "8"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for text in [
        "Project IRR",
        "Equity IRR",
        "DSCR min",
        "LCOC",
        "Sources & uses",
        "Checks",
    ] {
        assert!(stdout.contains(text), "`{text}` missing from:\n{stdout}");
    }
    let summary = json(&dir.path().join("summary.json"));
    let cashflows = dir.path().join("cashflows.csv");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    let sum = |name: &str| column_sum(&cashflows, name);
    let number = |key: &str| summary[key].as_f64().unwrap_or(f64::NAN);
    assert!(close(sum("calc_capex_eur"), number("capex_total_eur")));
    assert!(close(sum("calc_revenue_eur"), number("revenue_total_eur")));
    assert!(close(
        sum("out_distributions_eur"),
        number("distributions_total_eur")
    ));
    // Debt drawn during construction is the debt source of funds, and equals the debt at COD.
    let debt_drawn = sum("calc_debt_drawn_eur");
    assert!(close(debt_drawn, number("sources_debt_eur")));
    assert!(close(number("sources_total_eur"), number("uses_total_eur")));
    // The smallest DSCR of the table is the headline one.
    let dscr_min = column(&cashflows, "out_dscr")
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    assert!(close(dscr_min, number("dscr_min")), "{dscr_min}");
    // NPV of the table's project cash flows at the scenario's 8 % (quarterly periods).
    let npv: f64 = column(&cashflows, "out_project_cf_eur")
        .iter()
        .enumerate()
        .map(|(p, cf)| cf.unwrap_or(0.0) / 1.08f64.powf((p + 1) as f64 / 4.0))
        .sum();
    assert!(
        close(npv, number("npv_eur")),
        "{npv} vs {}",
        number("npv_eur")
    );
    for q in ["p10", "p50", "p90"] {
        assert!(
            summary[format!("equity_irr_{q}")].is_number()
                || summary[format!("equity_irr_{q}")].is_null()
        );
    }
    let p = number("dscr_min_below_covenant_probability");
    assert!((0.0..=1.0).contains(&p));
    // Every balance in the table balances.
    assert!(
        column(&cashflows, "calc_balance_gap_eur")
            .iter()
            .flatten()
            .all(|g| g.abs() < 1.0)
    );
}

/// The files under a run directory's `charts/`.
fn chart_files(out: &Path) -> Vec<String> {
    std::fs::read_dir(out.join("charts"))
        .expect("charts/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_flywheel_page_prints_what_summary_json_says() {
    use sovsim_report::format::{count, money};

    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("run");
    let told = run(
        "scenarios/flywheel-inference-60mw.toml",
        &out,
        &["--runs", "8"],
    );
    let told = String::from_utf8_lossy(&told.stdout).into_owned();
    let summary = json(&out.join("summary.json"));
    let number = |k: &str| summary[k].as_f64().unwrap_or_else(|| panic!("{k}"));
    // The terminal and the report say what the rules bought, as summary.json has it.
    let bought = format!(
        "bought {} GPUs for {}",
        count(number("reinvested_gpus_p50")),
        money(number("reinvested_eur_p50"))
    );
    let rendered = sovsim_report::render(&out, &sovsim_report::typeset::Template::shipped())
        .expect("the report renders");
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let printed = squeeze(&rendered.pages.join("\n"));
    assert!(
        printed.contains(&squeeze(&bought)),
        "{bought} is not printed"
    );
    assert!(printed.contains(&squeeze(&money(number("flywheel_revenue_gain_eur_p50")))));
    assert!(
        told.contains("Reinvestment (`margin-to-gpus`) bought"),
        "{told}"
    );
    assert!(number("reinvested_gpus_p50") > 0.0);
    let charts = chart_files(&out);
    assert!(
        charts.contains(&"flywheel.svg".to_owned()) && charts.contains(&"flywheel.png".to_owned())
    );
    // The table's first years: nothing reinvested before the first GPUs earn.
    let rows = csv_rows(&out.join("flywheel.csv"));
    assert_eq!(
        rows.first().map(|r| r["reinvested_eur_p50"].as_str()),
        Some("0.0")
    );
    // The executive summary says it too.
    assert!(printed.contains(&squeeze("Reinvestment buys")));
    // The inventory counts the planned build: the rule's cluster is neither planned nor a refresh.
    let inv = dir.path().join("inventory");
    inventory("scenarios/flywheel-inference-60mw.toml", &inv);
    let summary = json(&inv.join("summary.json"));
    assert_eq!(summary["gpus_total"].as_u64(), Some(13_800));
    assert_eq!(summary["refresh_gpus_total"].as_u64(), Some(0));
}

#[test]
fn the_report_prints_the_figures_of_summary_json_and_re_renders_to_the_same_bytes() {
    use sovsim_report::document::headline_format;
    use sovsim_report::format::{money, percent, times};

    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("run");
    // A scenario with every chart: financed, with contracts, and the value of a portability
    // standard (`--compare-dispatch`).
    let told = run(
        "scenarios/second-source-200mw.toml",
        &out,
        &["--runs", "20", "--compare-dispatch"],
    );
    let told = String::from_utf8_lossy(&told.stdout).into_owned();
    assert!(told.contains("report.pdf"), "{told}");
    for file in [
        "report.pdf",
        "report.html",
        "model.xlsx",
        "charts/timeline.svg",
        "charts/cfads_dscr.png",
    ] {
        let bytes = std::fs::read(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(bytes.len() > 1000, "{file} is too small");
    }
    let before = results(&out);

    let rendered = sovsim_report::render(&out, &sovsim_report::typeset::Template::shipped())
        .expect("the report renders from the run directory");
    let summary = json(&out.join("summary.json"));
    let text = rendered.pages.join("\n");
    // Typst shapes a run of text per line and font: compare without spaces and line breaks.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let printed = squeeze(&text);
    // report.html is the same template exported as HTML: every figure the PDF prints, it shows.
    let page = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let in_html = squeeze(&sovsim_report::html::text(&page));
    let shows = |figure: &str| {
        let f = squeeze(figure);
        assert!(in_html.contains(&f), "{figure} is not in report.html");
        printed.contains(&f)
    };

    // Every headline handed to the template is summary.json's value, formatted, and is printed.
    let headline = rendered.data["headline"]
        .as_array()
        .expect("headline figures");
    assert!(headline.len() >= 12, "{headline:?}");
    for h in headline {
        let key = h["key"].as_str().expect("a key");
        for q in ["p10", "p50", "p90"] {
            let value = summary[format!("{key}_{q}")].as_f64();
            let expected = value.map_or_else(|| "n/a".to_owned(), headline_format(key));
            assert_eq!(h[q], expected.as_str(), "{key}_{q}");
            assert!(shows(&expected), "{key}_{q} = {expected} is not printed");
        }
    }
    // The base case the lender sizes debt on, as the financing section prints it.
    let base = |k: &str| summary[k].as_f64().expect(k);
    for figure in [
        money(base("debt_eur")),
        money(base("npv_eur")),
        percent(base("project_irr")),
        times(base("dscr_min")),
        money(base("sources_total_eur")),
        money(base("uses_capex_gpus_eur")),
    ] {
        assert!(shows(&figure), "{figure} is not printed");
    }
    for q in ["p10", "p50", "p90"] {
        let value = money(base(&format!("portability_value_eur_per_year_{q}")));
        assert!(
            shows(&value),
            "the value of a portability standard {value} is printed"
        );
    }
    assert!(text.contains("Master check"), "the checks page is printed");
    assert!(text.contains("Assumptions"));
    let html = sovsim_report::html::text(&page);
    assert!(html.contains("Master check") && html.contains("Assumptions"));

    // Every chart is written, as an SVG and a PNG, but the flywheel's (a scenario with
    // reinvestment rules: `the_flywheel_page_prints_what_summary_json_says`).
    let charts = chart_files(&out);
    let expected: Vec<&str> = sovsim_report::document::CHARTS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| *name != "flywheel")
        .collect();
    assert_eq!(charts.len(), 2 * expected.len(), "{charts:?}");
    for name in expected {
        assert!(charts.contains(&format!("{name}.svg")) && charts.contains(&format!("{name}.png")));
    }

    // Re-rendering from the files gives the same bytes: the report depends on the run only.
    assert_eq!(before, results(&out));

    // A template with an error is reported with its line, and the old report stays.
    let broken = dir.path().join("broken.typ");
    std::fs::write(&broken, "= Title\n#let x = (\n").expect("writable");
    let failed = sovsim(&[
        "report",
        out.to_str().expect("UTF-8"),
        "--template",
        broken.to_str().expect("UTF-8"),
    ]);
    assert_eq!(failed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("report.pdf")).ok(),
        before
            .iter()
            .find(|(n, _)| n == "report.pdf")
            .map(|(_, b)| b.clone())
    );

    // A rebranded template is used as it is, with files next to it.
    let brand = dir.path().join("brand");
    std::fs::create_dir_all(&brand).expect("writable");
    std::fs::write(brand.join("name.txt"), "Ministry of Compute").expect("writable");
    std::fs::write(
        brand.join("report.typ"),
        "#let d = json(\"/data.json\")\n= #read(\"name.txt\"): #d.scenario\nNPV P50: #d.headline.find(h => h.key == \"npv_eur\").p50\n",
    )
    .expect("writable");
    let ok = sovsim(&[
        "report",
        out.to_str().expect("UTF-8"),
        "--template",
        brand.join("report.typ").to_str().expect("UTF-8"),
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 pages"));
}

#[test]
fn optimize_writes_a_plan_that_runs_and_exits_1_when_a_target_is_missed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("plan");
    // The one-site fixture (quickstart before issue 19) asks for inference from the first day.
    let quickstart = repo().join("sim/sovsim-core/tests/fixtures/one-site.toml");
    let o = sovsim(&[
        "optimize",
        quickstart.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--then-run",
        "--runs",
        "5",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Quickstart's demand starts on the first day, before any permit: a slack plan, exit code 1,
    // and the shortfall in words.
    assert_eq!(
        o.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("Targets missed:"), "{stdout}");
    assert!(stdout.contains("short "), "{stdout}");
    assert!(stdout.contains("land and permits in FR"), "{stdout}");
    assert!(stdout.contains("Cost of sovereignty"), "{stdout}");
    assert!(
        stdout.contains("Milestones: optimiser (deterministic) vs simulation of the plan"),
        "{stdout}"
    );
    assert!(stdout.contains("MILP: "), "{stdout}");
    for f in [
        "plan.toml",
        "plan.csv",
        "objective_parts.csv",
        "shadow_prices.csv",
        "sovereignty_cost.csv",
        "optimize.json",
        "run/summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // The objective is the sum of its parts, as written.
    let summary = json(&out.join("optimize.json"));
    let parts: f64 = summary["parts"]
        .as_object()
        .expect("parts")
        .values()
        .map(|v| v.as_f64().expect("number"))
        .sum();
    let total = summary["objective_value"].as_f64().expect("objective");
    assert!(
        (parts - total).abs() <= 1e-9 * total.abs(),
        "{parts} vs {total}"
    );
    assert_eq!(summary["targets_met"], false);
    // The plan is a scenario `validate` accepts.
    let v = sovsim(&["validate", out.join("plan.toml").to_str().expect("utf-8")]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn optimize_of_an_invalid_scenario_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"x\"\n").expect("write");
    let o = sovsim(&["optimize", bad.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
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

fn text(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

// The investor's questions end to end: compare, sensitivity, break-even and a case. What they
// compute is tested through the library (sovsim-core's `it/sensitivity.rs`); these check the
// commands, their files and exit codes.

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

#[test]
fn sensitivity_writes_its_tornado_and_breakeven_answers_with_exit_codes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("sens");
    let output = sovsim(&[
        "sensitivity",
        "scenarios/quickstart.toml",
        "--output",
        "equity_irr",
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Tornado of equity_irr"));
    for file in [
        "tornado.parquet",
        "tornado.csv",
        "sensitivity.json",
        "charts/tornado_equity_irr.svg",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    let found = sovsim(&[
        "breakeven",
        "scenarios/quickstart.toml",
        "--input",
        "contract_price",
        "--target",
        "dscr_min=lockup",
        "--range=-0.9,0.5",
        "--format",
        "json",
    ]);
    assert_eq!(found.status.code(), Some(0));
    let answer: serde_json::Value = serde_json::from_slice(&found.stdout).expect("JSON");
    assert_eq!(answer["found"], true);
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
    assert!(String::from_utf8_lossy(&none.stdout).contains("no value of gpu_rent"));
    let hurdle = sovsim(&[
        "breakeven",
        "scenarios/quickstart.toml",
        "--input",
        "gpu_rent",
        "--target",
        "equity_irr=hurdle",
    ]);
    assert_eq!(hurdle.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&hurdle.stdout).contains("(hurdle) when gpu_rent is −"));
    // A scenario that states no hurdle is told which key to add.
    let unstated = sovsim(&[
        "breakeven",
        "sim/sovsim-core/tests/fixtures/one-site.toml",
        "--input",
        "gpu_rent",
        "--target",
        "equity_irr=hurdle",
    ]);
    assert_eq!(unstated.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unstated.stderr).contains("equity_hurdle_rate"));
}

#[test]
fn outputs_prints_the_schema_the_reports_readme_holds() {
    let output = sovsim(&["outputs"]);
    assert_eq!(output.status.code(), Some(0));
    let printed = String::from_utf8_lossy(&output.stdout);
    let readme = std::fs::read_to_string(repo().join("reports/README.md")).expect("README");
    assert!(printed.starts_with("### `summary.json`"), "{printed}");
    assert!(
        readme.contains(printed.as_ref()),
        "reports/README.md holds what `sovsim outputs` prints"
    );
}
