//! Sovereignty tiers applied to clusters: which tiers each qualifies for, and the clause that fails.

use super::{parse, shipped};
use sovsim_core::sovereignty;

const THREE_OPERATORS: &str = r#"
[scenario]
name = "tiers"
start_date = 2026-01-01
horizon_years = 5
period_months = 1
currency = "EUR"
discount_rate = 0.08
seed = 1

[[operators]]
id = "eu-op"
parent_jurisdiction = "FR"
ownership_pct = { FR = 100 }
key_custody_jurisdiction = "FR"
staff_jurisdictions = ["FR"]

[[operators]]
id = "mixed"
parent_jurisdiction = "FR"
ownership_pct = { FR = 70, US = 30 }
key_custody_jurisdiction = "FR"
staff_jurisdictions = ["FR"]

[[operators]]
id = "us-cloud"
parent_jurisdiction = "US"
ownership_pct = { US = 100 }
key_custody_jurisdiction = "US"
staff_jurisdictions = ["US", "IE"]

[[sites]]
id = "site"
country = "FR"
area_ha = 40
land_price_eur_per_ha = 100000
max_it_mw = 100
acquisition_months = 2
permit_months = 4

[[grid_connections]]
id = "grid"
site = "site"
capacity_mw = 120
queue_wait_months = 12

[[shells]]
id = "hall"
site = "site"
type = "liquid-hall"
phases = [{ it_mw = 100, build_months = 10 }]

[[clusters]]
id = "c-eu"
shell = "hall"
operator = "eu-op"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2026-03-01
lead_time_months = 9
repair_days = 3

[[clusters]]
id = "c-mixed"
shell = "hall"
operator = "mixed"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2026-03-01
lead_time_months = 9
repair_days = 3

[[clusters]]
id = "c-us"
shell = "hall"
operator = "us-cloud"
sku = "gb300-nvl72"
gpus = 1000
order_date = 2026-03-01
lead_time_months = 9
repair_days = 3

[[tiers]]
id = "eu-immune"
preset = "secnumcloud-3.2"

[[tiers]]
id = "exposed"
preset = "cloud-act-exposed"

[[tiers]]
id = "resident"
preset = "eu-data-residency"
"#;

#[test]
fn an_operator_with_a_30_percent_us_holder_fails_secnumcloud_on_the_24_percent_clause_only() {
    let s = parse(THREE_OPERATORS);
    let all = sovereignty::evaluate(&s);
    let reasons = |c: usize, tier: usize| -> Vec<&str> {
        all[c]
            .failures
            .iter()
            .filter(|f| f.tier == tier)
            .map(|f| f.reason.as_str())
            .collect()
    };
    // Tiers: eu-immune, exposed, resident.
    assert_eq!(all[0].qualifies, vec![true, false, true]);
    assert_eq!(all[1].qualifies, vec![false, false, true]);
    assert_eq!(reasons(1, 0), vec!["US holds 30 % (limit 24 %)"]);
    assert_eq!(all[2].qualifies, vec![false, true, true]);
    assert_eq!(
        reasons(2, 0),
        vec![
            "its ultimate parent is in US (required: in EU)",
            "US holds 100 % (limit 24 %)",
            "non-EU holdings total 100 % (limit 39 %)",
        ]
    );
    assert_eq!(
        reasons(0, 1),
        vec!["it is not US-controlled (required: true)"]
    );
}

#[test]
fn a_site_outside_the_eu_fails_residency_whoever_operates_it() {
    let s = parse(
        &THREE_OPERATORS
            .replace("country = \"FR\"\narea_ha", "country = \"GB\"\narea_ha")
            .replace(
                "queue_wait_months = 12",
                "queue_wait_months = 12\nprice_eur_per_mwh = 200\ncarbon_g_per_kwh = 120",
            ),
    );
    for e in sovereignty::evaluate(&s) {
        assert!(!e.qualifies[2], "residency needs an EU site");
        assert!(
            e.failures
                .iter()
                .any(|f| f.tier == 2 && f.reason == "the site is outside the EU (required: true)")
        );
    }
}

#[test]
fn every_cluster_of_the_eu_scenario_has_a_verdict_for_every_tier() {
    let s = shipped("eu-sovereign-2030.toml");
    let all = sovereignty::evaluate(&s);
    assert_eq!(all.len(), s.clusters.len());
    for e in &all {
        assert_eq!(e.qualifies.len(), s.tiers.len());
        // A tier is qualified exactly when none of its clauses fails.
        for (t, q) in e.qualifies.iter().enumerate() {
            assert_eq!(*q, !e.failures.iter().any(|f| f.tier == t));
        }
    }
}
