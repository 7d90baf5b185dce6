//! The assumptions list: catalog figures with their sources, overrides marked as the scenario's,
//! and only the defaults that filled a field the scenario left out.

use sovsim_core::assumptions::list;

use super::{catalog, shipped};

#[test]
fn catalog_figures_carry_their_source_and_overrides_are_the_scenarios() {
    let s = shipped("paris-1.4gw.toml");
    let c = catalog();
    let rows = list(&s, &c);
    let find = |subject: &str, field: &str| {
        rows.iter()
            .find(|r| r.subject == subject && r.field == field)
            .unwrap_or_else(|| panic!("{subject} {field} is listed"))
    };
    // An accelerator's power comes from its catalog row, with that row's source.
    let sku = &s.clusters[0].accelerator.id;
    let row = c.accelerator(sku).expect("in the catalog");
    let power = find(&format!("accelerators {sku}"), "all_in_power_kw");
    assert_eq!(power.source, row.source);
    assert_eq!(power.value.parse::<f64>().ok(), Some(row.all_in_power_kw));
    assert_eq!(power.unit, "kW");
    // The model whose training tokens the scenario overrides is listed with the scenario as source.
    let overridden = rows
        .iter()
        .find(|r| r.field == "training_tokens_t" && r.source.starts_with("scenario"))
        .expect("the override is listed");
    assert_eq!(overridden.value, "15");
    assert!(!overridden.estimate);
    // Every listed figure has a source; no row is listed twice.
    assert!(rows.iter().all(|r| !r.source.is_empty()));
    let mut keys: Vec<_> = rows
        .iter()
        .map(|r| (&r.subject, &r.field, &r.value))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn only_the_defaults_that_filled_a_field_are_listed() {
    let c = catalog();
    for name in [
        "quickstart.toml",
        "paris-1.4gw.toml",
        "eu-sovereign-2030.toml",
    ] {
        let s = shipped(name);
        let defaults: Vec<&str> = list(&s, &c)
            .iter()
            .filter(|r| r.subject == "defaults")
            .map(|r| r.field.as_str())
            .map(|f| {
                c.defaults
                    .iter()
                    .find(|d| d.key == f)
                    .map(|d| d.key.as_str())
                    .expect("a catalog default")
            })
            .collect();
        assert_eq!(
            defaults,
            s.defaults_used
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
        let f = s.finance.as_ref().expect("financed");
        // A default is used exactly when the scenario leaves the field out.
        let stated = std::fs::read_to_string(super::repo().join("scenarios").join(name))
            .expect("readable")
            .lines()
            .any(|l| l.trim_start().starts_with("dsra_months"));
        assert_eq!(defaults.contains(&"dsra_months"), !stated, "{name}");
        assert!(f.dsra_months > 0);
    }
}

#[test]
fn a_stated_figure_is_an_estimate_sourced_or_unstated_by_the_comment_on_its_line() {
    use sovsim_core::model::FigureOrigin;
    let text =
        std::fs::read_to_string(super::repo().join("sim/sovsim-core/tests/fixtures/one-site.toml"))
            .expect("fixture")
            .replace(
                "max_it_mw = 200",
                "max_it_mw = 200   # name = \"a # in a string\" is not a comment start",
            );
    let s = super::parse(&text);
    let find = |path: &str| {
        s.stated
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} is stated"))
    };
    let land = find("sites[0].land_price_eur_per_ha");
    assert_eq!(land.origin, FigureOrigin::Estimate, "{land:?}");
    assert_eq!(land.value, "400000");
    assert!(
        land.location
            .ends_with(&format!(":{}", line_of(&text, "land_price_eur_per_ha")))
    );
    assert_eq!(find("sites[0].max_it_mw").origin, FigureOrigin::Sourced);
    // A distribution is one figure, written as it stands.
    let permit = find("sites[0].permit_months");
    assert!(permit.value.starts_with("{ dist = \"pert\""), "{permit:?}");
    assert!(
        !s.stated
            .iter()
            .any(|f| f.path.starts_with("sites[0].permit_months."))
    );
    // Settings of the study are not figures about the world; finance is.
    assert!(
        !s.stated
            .iter()
            .any(|f| f.path == "scenario.seed" || f.path.starts_with("uncertainty"))
    );
    assert_eq!(find("finance.base_rate").origin, FigureOrigin::Estimate);
    // A figure whose line has no comment is unstated.
    let bare = super::parse(&text.replace("area_ha = 70 ", "area_ha = 70\n#"));
    let area = bare
        .stated
        .iter()
        .find(|f| f.path == "sites[0].area_ha")
        .expect("stated");
    assert_eq!(area.origin, FigureOrigin::Unstated, "{area:?}");
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("present")
}

#[test]
fn every_figure_a_shipped_scenario_states_is_sourced_or_marked_estimate() {
    for path in super::shipped_scenarios() {
        let s = super::load(&path, &[])
            .scenario
            .expect("shipped scenarios are valid");
        let bare: Vec<String> = s
            .stated
            .iter()
            .filter(|f| f.origin == sovsim_core::model::FigureOrigin::Unstated)
            .map(|f| format!("{} ({})", f.path, f.location))
            .collect();
        assert!(!s.stated.is_empty(), "{}", path.display());
        assert!(
            bare.is_empty(),
            "{}: figures with no comment: {bare:#?}",
            path.display()
        );
    }
}
