//! Sovereignty tiers applied to clusters: which tiers each qualifies for, and the clause that fails.

use super::{diagnostics, located, parse, shipped};
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

/// The diagnostics of loading `text`.
#[test]
fn the_shipped_framework_has_eight_objectives_whose_weights_sum_to_100_and_criteria_that_all_load()
{
    let s = parse(THREE_OPERATORS);
    let ids: Vec<&str> = s
        .framework
        .objectives
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "SOV-1", "SOV-2", "SOV-3", "SOV-4", "SOV-5", "SOV-6", "SOV-7", "SOV-8"
        ]
    );
    let total: f64 = s.framework.objectives.iter().map(|o| o.weight_pct).sum();
    assert!((total - 100.0).abs() < 1e-12, "{total}");
    // Every row of the catalog became a criterion: none was dropped by a loading error.
    assert_eq!(
        s.framework.criteria.len(),
        super::catalog().csf_criteria.len()
    );
}

#[test]
fn seal_levels_and_score_follow_from_the_evidence_as_worked_out_by_hand() {
    let s = parse(THREE_OPERATORS);
    let all = sovereignty::assess(&s);
    // eu-op: French, wholly EU-held, keys and staff in France, suppliers (default: its parent's
    // country) in France, no certification, no open-source stack stated, NVIDIA accelerators, a
    // French site (41.4 gCO₂/kWh).
    //   SOV-1 4: run, held and vetoed in the EU, no non-EU holding at all.
    //   SOV-2 3: EU site, not US-controlled, no US staff or supplier; SEAL-4 needs SecNumCloud.
    //   SOV-3 4: EU site, keys, staff and suppliers.
    //   SOV-4 2: EU-run and EU-staffed; SEAL-3 needs half the stack open source.
    //   SOV-5 2: EU site and suppliers; SEAL-3 needs an EU accelerator vendor.
    //   SOV-6 0: SEAL-1 needs a quarter of the stack open source.
    //   SOV-7 0: SEAL-1 needs a security certification.
    //   SOV-8 2: EU site, grid ≤ 300 and ≤ 100 g, but SEAL-3 also needs ISO 14001/50001 or the code.
    // Score = (15·4 + 10·3 + 10·4 + 15·2 + 20·2 + 15·0 + 10·0 + 5·2) ÷ 4 = 210 ÷ 4 = 52.5 %.
    assert_eq!(all[0].seals, vec![4, 3, 4, 2, 2, 0, 0, 2]);
    assert!(
        (all[0].score_pct - 52.5).abs() < 1e-12,
        "{}",
        all[0].score_pct
    );
    assert_eq!(
        all[0].blocking[5],
        vec![
            "A quarter of the stack is open source (ESTIMATE threshold): 0 % of its stack is open source (required: at least 25 %)"
        ]
    );
    assert_eq!(
        all[0].blocking[4],
        vec![
            "The accelerators come from an EU vendor: its accelerators' vendor (NVIDIA) is in US (required: in EU)"
        ]
    );
    // SOV-5 has no SEAL-4 criterion, which caps it; eu-op never gets that far.
    // us-cloud: US parent and keys, staff in the US and Ireland, supplier in the US (default).
    //   SOV-1 0 (run from the US), SOV-2 1 (EU site; US-controlled), SOV-3 1 (US keys),
    //   SOV-4 0, SOV-5 1 (US supplier), SOV-6 0, SOV-7 0, SOV-8 2.
    // Score = (0 + 10 + 10 + 0 + 20 + 0 + 0 + 10) ÷ 4 = 12.5 %.
    assert_eq!(all[2].seals, vec![0, 1, 1, 0, 1, 0, 0, 2]);
    assert!((all[2].score_pct - 12.5).abs() < 1e-12);
}

#[test]
fn evidence_raises_levels_one_criterion_at_a_time_and_an_unassessable_level_caps() {
    let s = parse(&THREE_OPERATORS.replace(
        "id = \"eu-op\"\nparent_jurisdiction = \"FR\"",
        "id = \"eu-op\"\ncertifications = [\"secnumcloud-3.2\", \"iso-14001\"]\nopen_source_stack_pct = 95\nparent_jurisdiction = \"FR\"",
    ));
    let a = &sovereignty::assess(&s)[0];
    // SecNumCloud lifts SOV-2 and SOV-7 to 4 (EU staff); 95 % open source lifts SOV-4 to 4 and
    // SOV-6 to 3 (SEAL-4 needs an EU accelerator vendor); ISO 14001 lifts SOV-8 to 4 (41.4 g ≤ 50).
    assert_eq!(a.seals, vec![4, 4, 4, 4, 2, 3, 4, 4]);
    // (60 + 40 + 40 + 60 + 40 + 45 + 40 + 20) ÷ 4 = 86.25 %.
    assert!((a.score_pct - 86.25).abs() < 1e-12, "{}", a.score_pct);
    let s = parse(&THREE_OPERATORS.replace(
        "sku = \"gb300-nvl72\"",
        "sku = \"gb300-nvl72\"\noverrides = { vendor_jurisdiction = \"DE\" }",
    ));
    let a = &sovereignty::assess(&s)[0];
    // An EU-designed accelerator reaches SEAL-3 on the supply chain and no further: SEAL-4 has no
    // criterion the public text lets sovsim assess.
    assert_eq!(a.seals[4], 3);
    assert!(
        a.blocking[4][0].contains("no criterion"),
        "{:?}",
        a.blocking[4]
    );
}

const MIN_SEAL_TIER: &str = r#"
[[tiers]]
id = "legal-and-data-3"
min_seal = { "SOV-2" = 3, "SOV-3" = 3 }
"#;

#[test]
fn a_tier_with_minimum_seals_admits_and_refuses_the_right_clusters_saying_which_criterion_fails() {
    let s = parse(&format!("{THREE_OPERATORS}{MIN_SEAL_TIER}"));
    let all = sovereignty::evaluate(&s);
    // Tiers: eu-immune, exposed, resident, legal-and-data-3.
    // eu-op: SOV-2 3, SOV-3 4; mixed (30 % US, not US-controlled, French keys and staff): SOV-2 3,
    // SOV-3 4, so it qualifies although SecNumCloud's 24 % cap refuses it; us-cloud: 1 and 1.
    assert!(all[0].qualifies[3]);
    assert!(all[1].qualifies[3] && !all[1].qualifies[0]);
    assert!(!all[2].qualifies[3]);
    let reasons: Vec<&str> = all[2]
        .failures
        .iter()
        .filter(|f| f.tier == 3)
        .map(|f| f.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        vec![
            "SOV-2 Legal and jurisdictional is at SEAL-1 (required: at least SEAL-3): SEAL-2 fails on Not US-controlled, so no CLOUD Act order reaches it through its parent: it is US-controlled (US parent, US majority or US key custody) (required: false)",
            "SOV-3 Data and AI is at SEAL-1 (required: at least SEAL-3): SEAL-2 fails on The encryption keys are held in the EU: its keys are held in US (required: in EU)",
        ]
    );
}

#[test]
fn fisa_702_reaches_an_operator_the_cloud_act_rule_does_not() {
    // A French operator with US support staff: not US-controlled (no CLOUD Act route through a
    // parent), but a FISA 702 directive can reach the US staff with access.
    let s = parse(&format!(
        "{}\n[[tiers]]\nid = \"shielded\"\npreset = \"fisa-702-shielded\"\n",
        THREE_OPERATORS.replace(
            "id = \"eu-op\"\nparent_jurisdiction = \"FR\"\nownership_pct = { FR = 100 }\nkey_custody_jurisdiction = \"FR\"\nstaff_jurisdictions = [\"FR\"]",
            "id = \"eu-op\"\nparent_jurisdiction = \"FR\"\nownership_pct = { FR = 100 }\nkey_custody_jurisdiction = \"FR\"\nstaff_jurisdictions = [\"FR\", \"US\"]",
        )
    ));
    let all = sovereignty::evaluate(&s);
    // Tiers: eu-immune, exposed (CLOUD Act), resident, shielded (FISA 702).
    assert!(!all[0].qualifies[1], "not CLOUD-Act-exposed");
    assert!(!all[0].qualifies[3], "but FISA 702 reaches it");
    assert_eq!(
        all[0]
            .failures
            .iter()
            .filter(|f| f.tier == 3)
            .map(|f| f.reason.as_str())
            .collect::<Vec<_>>(),
        vec![
            "FISA 702 reaches it (US control, or staff or a supplier with access in the US) (required: false)"
        ]
    );
    // mixed has only French staff and suppliers: shielded.
    assert!(all[1].qualifies[3]);
}

#[test]
fn gaia_x_label_3_reads_control_where_secnumcloud_caps_holdings() {
    let s = parse(&format!(
        "{THREE_OPERATORS}\n[[tiers]]\nid = \"gaia-x\"\npreset = \"gaia-x-label-3\"\n"
    ));
    let all = sovereignty::evaluate(&s);
    // mixed: a 30 % US holder breaks SecNumCloud's 24 % cap but controls nothing.
    assert!(!all[1].qualifies[0] && all[1].qualifies[3]);
    assert!(all[0].qualifies[3]);
    assert!(!all[2].qualifies[3]);
}

#[test]
fn bad_framework_fields_get_every_problem_at_once_each_at_its_field() {
    let text = format!(
        "{}\n[[tiers]]\nid = \"bad\"\nmin_seal = {{ \"SOV-9\" = 3, \"SOV-2\" = 5 }}\nclauses = [{{ attribute = \"operator.certifications\", op = \"has_any\", value = [\"c5\"] }}, {{ attribute = \"seal.SOV-1\", op = \"eq\", value = 2 }}]\n",
        THREE_OPERATORS.replace(
            "id = \"eu-op\"\nparent_jurisdiction = \"FR\"",
            "id = \"eu-op\"\ncertifications = [\"iso-2700\"]\nopen_source_stack_pct = 140\noperating_jurisdiction = \"XX\"\nparent_jurisdiction = \"FR\"",
        )
    );
    let found = diagnostics(&text);
    located(
        &found,
        &[
            ("unknown-certification", "operators[0].certifications[0]"),
            ("out-of-range", "operators[0].open_source_stack_pct"),
            ("unknown-objective", "tiers[3].min_seal.SOV-9"),
            ("out-of-range", "tiers[3].min_seal.SOV-2"),
            ("unknown-certification", "tiers[3].clauses[0].value"),
            ("bad-operator", "tiers[3].clauses[1].op"),
        ],
    );
    assert!(
        found
            .iter()
            .any(|d| d.field == "operators[0].operating_jurisdiction"),
        "{found:#?}"
    );
    let hinted = found
        .iter()
        .find(|d| d.code == "unknown-certification" && d.field == "operators[0].certifications[0]")
        .and_then(|d| d.hint.clone());
    assert_eq!(hinted.as_deref(), Some("did you mean `iso-27001`?"));
}

#[test]
fn a_cloud_offer_qualifies_as_a_cluster_of_its_operator_in_its_country_would() {
    let s = parse(&format!(
        "{THREE_OPERATORS}\n[[cloud_offers]]\nid = \"us-region\"\noperator = \"us-cloud\"\ncountry = \"IE\"\nsku = \"gb300-nvl72\"\ngpus = 1000\nprice_per_gpu_hour = 4\n\n[[cloud_offers]]\nid = \"uk-region\"\noperator = \"eu-op\"\ncountry = \"GB\"\nsku = \"gb300-nvl72\"\ngpus = 1000\nprice_per_gpu_hour = 4\n"
    ));
    let offers = sovereignty::evaluate_offers(&s);
    // Tiers: eu-immune, exposed, resident. A US cloud's Irish region: exposed and resident, not
    // immune; an EU operator's British region: immune by ownership, but not resident.
    assert_eq!(offers[0].qualifies, vec![false, true, true]);
    assert_eq!(offers[1].qualifies, vec![false, false, false]);
    assert!(
        offers[1]
            .failures
            .iter()
            .any(|f| f.tier == 2 && f.reason == "the site is outside the EU (required: true)"),
        "{:?}",
        offers[1].failures
    );
}

#[test]
fn bad_cloud_offers_get_every_problem_at_once_each_at_its_field() {
    let text = format!(
        "{THREE_OPERATORS}\n[[cloud_offers]]\nid = \"a\"\noperator = \"us-clod\"\ncountry = \"XX\"\nsku = \"h100-sxm\"\ngpus = 0\n\n[[cloud_offers]]\nid = \"b\"\noperator = \"us-cloud\"\ncountry = \"IE\"\nsku = \"gb300-nvl72\"\ngpus = 10\nprice_per_gpu_hour = 3\ncurrency = \"USD\"\n"
    );
    let found = diagnostics(&text);
    located(
        &found,
        &[
            ("unknown-reference", "cloud_offers[0].operator"),
            ("offer-sku-unused", "cloud_offers[0].sku"),
            ("zero", "cloud_offers[0].gpus"),
            ("no-offer-price", "cloud_offers[0].price_per_gpu_hour"),
            ("missing-rate", "cloud_offers[1].currency"),
        ],
    );
    assert!(found.iter().any(|d| d.field == "cloud_offers[0].country"));
}

#[test]
fn an_operators_grid_access_applies_to_the_connections_of_sites_it_alone_fills() {
    // One operator in the hall: its factors apply. The three operators of THREE_OPERATORS share
    // the hall, so nobody builds it alone and nothing changes.
    let alone = THREE_OPERATORS
        .replace(
            "staff_jurisdictions = [\"FR\"]\n\n[[operators]]\nid = \"mixed\"",
            "staff_jurisdictions = [\"FR\"]\nbuild_cost_factor = 0.8\ngrid_wait_factor = 0.5\n\n[[operators]]\nid = \"mixed\"",
        )
        .replace("operator = \"mixed\"\nsku", "operator = \"eu-op\"\nsku")
        .replace("operator = \"us-cloud\"\nsku", "operator = \"eu-op\"\nsku");
    let shared = THREE_OPERATORS.replace(
        "staff_jurisdictions = [\"FR\"]\n\n[[operators]]\nid = \"mixed\"",
        "staff_jurisdictions = [\"FR\"]\nbuild_cost_factor = 0.8\ngrid_wait_factor = 0.5\n\n[[operators]]\nid = \"mixed\"",
    );
    let plain = parse(THREE_OPERATORS);
    let a = parse(&alone);
    let b = parse(&shared);
    assert_eq!(a.builder_of_shell(0).map(|o| o.index()), Some(0));
    assert_eq!(b.builder_of_shell(0), None);
    // (The hall's capex in euros needs a `[finance]` rate: the optimiser's tests check it.)
    // The 12-month queue wait: halved for the operator alone on the site.
    let wait =
        |s: &sovsim_core::model::Scenario| s.grid_connections[0].queue_wait_months.dist.median();
    assert_eq!(wait(&plain), 12.0);
    assert_eq!(wait(&a), 6.0);
    assert_eq!(wait(&b), 12.0);
    // Bad values, every one located.
    let bad = THREE_OPERATORS.replace(
        "staff_jurisdictions = [\"FR\"]\n\n[[operators]]\nid = \"mixed\"",
        "staff_jurisdictions = [\"FR\"]\nbuild_cost_factor = 0\ngrid_wait_factor = 20\ncost_of_capital = 8\n\n[[operators]]\nid = \"mixed\"",
    );
    let found = diagnostics(&bad);
    located(
        &found,
        &[
            ("zero", "operators[0].build_cost_factor"),
            ("out-of-range", "operators[0].grid_wait_factor"),
            ("out-of-range", "operators[0].cost_of_capital"),
        ],
    );
}
