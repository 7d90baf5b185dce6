//! Integration tests of sovsim-core at its boundary: scenario files in, scenarios or diagnostics out.
//!
//! One test binary for the crate (matklad, "Delete Cargo Integration Tests").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sovsim_core::catalog::{self, Catalog};
use sovsim_core::diagnostic::Diagnostic;
use sovsim_core::model::Distribution;
use sovsim_core::scenario::{self, Loaded, SourceReader};

#[path = "it/assumptions.rs"]
mod assumptions;
#[path = "it/contracts.rs"]
mod contracts;
#[path = "it/defence.rs"]
mod defence;
#[path = "it/dispatch.rs"]
mod dispatch;
#[path = "it/engine.rs"]
mod engine;
#[path = "it/finance.rs"]
mod finance;
#[path = "it/fixtures.rs"]
mod fixtures;
#[path = "it/golden.rs"]
mod golden;
#[path = "it/mutations.rs"]
mod mutations;
#[path = "it/portability.rs"]
mod portability;
#[path = "it/reinvest.rs"]
mod reinvest;
#[path = "it/sensitivity.rs"]
mod sensitivity;
#[path = "it/sovereignty.rs"]
mod sovereignty;
#[path = "it/tidy.rs"]
mod tidy;

/// Reads from disk.
struct Disk;

impl SourceReader for Disk {
    fn read(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// Reads from memory, so that tests can hand the loader any text.
struct Memory(BTreeMap<PathBuf, String>);

impl SourceReader for Memory {
    fn read(&self, path: &Path) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_owned())
    }
}

fn catalog() -> Catalog {
    match Catalog::embedded() {
        Ok(c) => c,
        Err((map, problems)) => panic!("shipped catalog is broken:\n{}", map.render(&problems)),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path, overrides: &[String]) -> Loaded {
    scenario::load(path, &Disk, &catalog(), overrides)
}

/// A scenario given as text, loaded as the file `test.toml`.
fn load_text(text: &str) -> Loaded {
    let path = PathBuf::from("test.toml");
    let reader = Memory(BTreeMap::from([(path.clone(), text.to_owned())]));
    scenario::load(&path, &reader, &catalog(), &[])
}

/// The scenario a text describes, or a panic that shows its diagnostics.
fn parse(text: &str) -> sovsim_core::model::Scenario {
    let loaded = load_text(text);
    loaded
        .scenario
        .unwrap_or_else(|| panic!("{}", loaded.sources.render(&loaded.diagnostics)))
}

/// Every problem found in a scenario given as text.
fn diagnostics(text: &str) -> Vec<Diagnostic> {
    load_text(text).diagnostics
}

/// The diagnostic of each `(code, field)` in `found`, in that order; a panic that lists what was
/// found if one is missing.
fn located<'a>(found: &'a [Diagnostic], expected: &[(&str, &str)]) -> Vec<&'a Diagnostic> {
    expected
        .iter()
        .map(|&(code, field)| {
            found
                .iter()
                .find(|d| d.code == code && d.field == field)
                .unwrap_or_else(|| panic!("no `{code}` at `{field}` in {found:#?}"))
        })
        .collect()
}

/// A shipped scenario (`scenarios/NAME`), which must be valid.
fn shipped(name: &str) -> sovsim_core::model::Scenario {
    load(&repo().join("scenarios").join(name), &[])
        .scenario
        .expect("shipped scenarios are valid")
}

#[test]
fn every_shipped_scenario_is_valid_without_warnings() {
    let files = shipped_scenarios();
    assert!(
        files.len() >= 4,
        "expected the four shipped scenarios, found {files:?}"
    );
    for file in files {
        let loaded = load(&file, &[]);
        assert!(
            loaded.diagnostics.is_empty(),
            "{}:\n{}",
            file.display(),
            loaded.sources.render(&loaded.diagnostics)
        );
        assert!(loaded.scenario.is_some());
    }
}

/// Converts TOML to the JSON a schema validator reads: dates become strings, as editors see them.
fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[test]
fn the_json_schema_accepts_every_shipped_scenario() {
    let schema = scenario::json_schema();
    let validator =
        jsonschema::validator_for(&schema).expect("the generated schema is a valid JSON Schema");
    for file in shipped_scenarios() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let value: toml::Value = toml::from_str(&text).expect("valid TOML");
        let json = toml_to_json(&value);
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn the_json_schema_rejects_what_the_loader_rejects_for_types() {
    let schema = scenario::json_schema();
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("readable");
    let text = text
        .replace("max_it_mw = 200", "max_it_mw = \"two hundred\"")
        .replace("capacity_mw = 240", "capacty_mw = 240");
    let json = toml_to_json(&toml::from_str(&text).expect("valid TOML"));
    assert!(
        !validator.is_valid(&json),
        "a string for a number and an unknown key must fail the schema"
    );
}

#[test]
fn a_variant_extends_its_base_and_applies_a_named_override() {
    let base = load(&repo().join("scenarios/eu-sovereign-2030.toml"), &[])
        .scenario
        .expect("valid");
    let variant = load(
        &repo().join("scenarios/eu-sovereign-2030-slow-grid.toml"),
        &[],
    )
    .scenario
    .expect("valid");
    assert_eq!(variant.meta.name, "eu-sovereign-2030-slow-grid");
    assert_eq!(
        variant.sites.len(),
        base.sites.len(),
        "entities are inherited"
    );
    let wait = |s: &sovsim_core::model::Scenario, id: &str| {
        s.grid_connections
            .iter()
            .find(|g| g.id == id)
            .expect("exists")
            .queue_wait_months
            .dist
            .clone()
    };
    assert_eq!(
        wait(&variant, "de-brandenburg-grid"),
        Distribution::Pert {
            min: 96.0,
            mode: 120.0,
            max: 156.0
        }
    );
    assert_eq!(
        wait(&variant, "fr-grand-est-grid"),
        wait(&base, "fr-grand-est-grid"),
        "untouched entities keep their values"
    );
    // The same override applied from the command line gives the same result.
    let cli = load(
        &repo().join("scenarios/eu-sovereign-2030.toml"),
        &["slow-grid".to_owned()],
    )
    .scenario
    .expect("valid");
    assert_eq!(
        wait(&cli, "de-brandenburg-grid"),
        wait(&variant, "de-brandenburg-grid")
    );
}

#[test]
fn catalog_values_can_be_overridden_per_entity_and_the_override_is_recorded() {
    let s = load(&repo().join("scenarios/eu-sovereign-2030.toml"), &[])
        .scenario
        .expect("valid");
    let mistral = s
        .models
        .iter()
        .find(|m| m.spec.id == "mistral-large-2")
        .expect("used");
    assert_eq!(mistral.spec.training_tokens_t, Some(15.0));
    assert_eq!(mistral.overridden, ["training_tokens_t"]);
    let deepseek = s
        .models
        .iter()
        .find(|m| m.spec.id == "deepseek-v3")
        .expect("used");
    assert!(deepseek.overridden.is_empty());
}

#[test]
fn a_correlation_matrix_becomes_its_cholesky_factor() {
    let s = load(
        &repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"),
        &[],
    )
    .scenario
    .expect("valid");
    let l = s.uncertainty.cholesky.expect("a matrix was given");
    let c = &l * l.transpose();
    assert!(
        (c[(0, 1)] - 0.3).abs() < 1e-12 && (c[(1, 1)] - 1.0).abs() < 1e-12,
        "L·Lᵀ gives back the matrix"
    );
}

#[test]
fn every_default_the_loader_asks_for_is_in_the_catalog() {
    let c = catalog();
    for key in [
        "mfu",
        "post_training_share",
        "gpu_useful_life_years",
        "gpu_resale_retention_per_year",
        "dsra_months",
        "gpu_hour_price_decline_per_year",
        "arrangement_fee_pct",
        "shell_depreciation_years",
        "cash_sweep_share",
    ] {
        assert!(
            c.default_value(key).is_some_and(f64::is_finite),
            "defaults.csv lacks `{key}`"
        );
    }
    for input in sovsim_core::model::Input::ALL {
        let (low, high) = input.default_keys();
        let (l, h) = (c.default_value(&low), c.default_value(&high));
        assert!(
            l.zip(h)
                .is_some_and(|(l, h)| l <= h && input.accepts(l) && input.accepts(h)),
            "defaults.csv lacks a valid range `{low}`, `{high}`"
        );
    }
}

#[test]
fn every_catalog_row_has_a_source_and_a_date() {
    let sources = catalog::embedded_sources();
    for table in catalog::TABLES {
        let text = sources.get(table.file).expect("shipped");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().expect("header").clone();
        let source = headers
            .iter()
            .position(|h| h == "source")
            .expect("source column");
        let date = headers
            .iter()
            .position(|h| h == "source_date")
            .expect("source_date column");
        for record in reader.records() {
            let record = record.expect("well-formed row");
            assert!(
                !record[source].trim().is_empty(),
                "{}: row `{}` has no source",
                table.file,
                &record[0]
            );
            assert!(
                !record[date].trim().is_empty(),
                "{}: row `{}` has no source date",
                table.file,
                &record[0]
            );
        }
    }
}

#[test]
fn data_readme_documents_every_column_as_the_code_does() {
    let readme =
        std::fs::read_to_string(repo().join("data/README.md")).expect("data/README.md exists");
    let generated = catalog::columns_markdown();
    assert!(
        readme.contains(&generated),
        "data/README.md is out of date: replace its column section with the output of `sovsim catalog --columns`:\n{generated}"
    );
}

#[test]
fn a_catalog_given_with_data_dir_is_checked_like_the_shipped_one() {
    let mut sources = catalog::embedded_sources();
    let text = sources.get_mut("accelerators.csv").expect("shipped");
    *text = text.replacen(",air,2022,", ",water,2022,", 1);
    let Err((map, problems)) = Catalog::parse(&sources) else {
        panic!("accepted a bad cooling value")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, "catalog-value");
    let at = map
        .locate(problems[0].span.clone().expect("located").start)
        .expect("in a file");
    assert_eq!((at.file.as_str(), at.line), ("data/accelerators.csv", 2));
}

#[test]
fn missing_files_are_reported_not_panicked_on() {
    let reader = Memory(BTreeMap::new());
    let loaded = scenario::load(Path::new("nowhere.toml"), &reader, &catalog(), &[]);
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].code, "file-unreadable");
}

#[test]
fn the_committed_schema_file_is_the_generated_one() {
    let committed = std::fs::read_to_string(repo().join("scenarios/sovsim-scenario.schema.json"))
        .expect("committed");
    let generated =
        serde_json::to_string_pretty(&scenario::json_schema()).expect("serialisable") + "\n";
    assert!(
        committed == generated,
        "scenarios/sovsim-scenario.schema.json is stale: run `sovsim schema > scenarios/sovsim-scenario.schema.json`"
    );
}

#[test]
fn the_country_catalog_holds_every_eu_member_and_the_jurisdictions_sites_are_planned_in() {
    let catalog = catalog();
    let eu: Vec<&str> = catalog
        .countries
        .iter()
        .filter(|c| c.eu_member)
        .map(|c| c.code.as_str())
        .collect();
    let mut expected_eu = vec![
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    ];
    expected_eu.sort_unstable();
    let mut eu_sorted = eu.clone();
    eu_sorted.sort_unstable();
    assert_eq!(eu_sorted, expected_eu, "the EU-27, no more and no less");
    for c in catalog.countries.iter().filter(|c| c.eu_member) {
        assert!(
            c.grid_carbon_g_per_kwh.is_some()
                && c.industrial_power_price_per_kwh.is_some()
                && c.grid_wait_months_min.is_some()
                && c.grid_wait_months_max.is_some(),
            "{}: an EU member needs carbon, price and grid wait",
            c.code
        );
    }
    for code in ["NO", "CH", "GB", "US", "CA", "JP", "AE", "SA", "IN"] {
        let c = catalog
            .country(code)
            .unwrap_or_else(|| panic!("{code} is in the catalog"));
        assert!(
            c.grid_wait_months_min.is_some() && c.grid_wait_months_max.is_some(),
            "{code} has a grid wait"
        );
        assert!(
            c.grid_carbon_g_per_kwh.is_some() || c.industrial_power_price_per_kwh.is_some(),
            "{code} has at least one sourced figure"
        );
    }
    for c in &catalog.countries {
        if let (Some(min), Some(max)) = (c.grid_wait_months_min, c.grid_wait_months_max) {
            assert!(min <= max, "{}: wait range {min}..{max}", c.code);
        }
    }
}

#[test]
fn a_site_priced_in_another_currency_takes_the_scenarios_rate_or_asks_for_it() {
    let text = std::fs::read_to_string(repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
        .expect("the one-site fixture exists")
        .replace("country = \"FR\"", "country = \"US\"");
    let us = catalog()
        .country("US")
        .and_then(|c| c.industrial_power_price_per_kwh)
        .expect("the US has a price");
    let scenario = parse(&text);
    let usd = scenario
        .finance
        .as_ref()
        .and_then(|f| f.eur_per_currency.get("USD").copied())
        .expect("the fixture states a USD rate");
    let price = scenario.grid_connections[0].price_eur_per_mwh.dist.median();
    assert!(
        (price - us * 1000.0 * usd).abs() < 1e-9,
        "{price} = {us} USD/kWh × 1000 × {usd}"
    );
    let without = text.replace("USD =", "CHF =");
    let loaded = load_text(&without);
    assert!(loaded.scenario.is_none());
    let rendered = loaded.sources.render(&loaded.diagnostics);
    assert!(
        rendered.contains("the catalog's electricity price for this connection is in USD"),
        "{rendered}"
    );
}

#[test]
fn every_published_figure_in_validation_md_is_reproduced_within_its_tolerance() {
    let validation =
        sovsim_core::validation::check(&catalog()).expect("the validation scenarios load");
    let checked = &validation.cases;
    assert!(
        checked.len() >= 12,
        "the suite needs at least 12 published figures, has {}",
        checked.len()
    );
    let failing: Vec<String> = checked
        .iter()
        .filter(|c| !c.passes())
        .map(|c| {
            format!(
                "{}: published {:?}, sovsim {} ({:+.1} %, tolerance ±{:.0} %)",
                c.id,
                c.published,
                c.sovsim,
                c.difference() * 100.0,
                c.tolerance * 100.0
            )
        })
        .collect();
    assert!(failing.is_empty(), "drifted:\n{}", failing.join("\n"));
    let committed =
        std::fs::read_to_string(repo().join("VALIDATION.md")).expect("VALIDATION.md exists");
    assert_eq!(
        committed,
        sovsim_core::text::validation::markdown(&validation),
        "VALIDATION.md is out of date: regenerate it with `sovsim validation --markdown > VALIDATION.md`"
    );
}

#[test]
fn a_catalog_with_nan_or_infinity_in_a_figure_is_refused_where_it_is() {
    let mut sources = catalog::embedded_sources();
    let text = sources
        .get("accelerators.csv")
        .expect("shipped")
        .replacen(",0.00047,", ",NaN,", 1)
        .replacen(",989,", ",inf,", 1);
    sources.insert("accelerators.csv".to_owned(), text);
    let Err((map, problems)) = Catalog::parse(&sources) else {
        panic!("a NaN in the catalog is refused");
    };
    let rendered = map.render(&problems);
    assert!(
        rendered.contains("column `failure_rate_per_gpu_day` is `NaN`")
            && rendered.contains("column `bf16_dense_tflops` is `inf`"),
        "{rendered}"
    );
    assert!(problems.iter().all(|p| p.span.is_some()), "{rendered}");
}
