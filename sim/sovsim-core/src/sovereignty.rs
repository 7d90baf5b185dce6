//! Sovereignty rules applied: which tiers each cluster qualifies for, and, where it does not, which
//! clause fails and why, in words ("`us-cloud` fails `eu-immune`: US holds 51 % (limit 24 %)").
//!
//! A tier is data (`model::Tier`): clauses over operator and site attributes, all of which must hold.
//! This module only reads the attributes off the operator and site and applies the tests; `EU` in a
//! rule stands for every member state in the catalog.

use crate::model::{Attribute, Clause, ClusterId, Operator, Scenario, Site, Test};

/// A clause a cluster fails.
#[derive(Clone, Debug, PartialEq)]
pub struct ClauseFailure {
    /// Tier index in the scenario.
    pub tier: usize,
    /// Clause index in the tier.
    pub clause: usize,
    /// What the attribute is and what the clause requires: "US holds 51 % (limit 24 %)".
    pub reason: String,
}

/// The tiers one cluster qualifies for.
#[derive(Clone, Debug, PartialEq)]
pub struct Eligibility {
    /// The cluster.
    pub cluster: ClusterId,
    /// Per tier (scenario order): whether every clause holds.
    pub qualifies: Vec<bool>,
    /// Every failing clause, tier by tier.
    pub failures: Vec<ClauseFailure>,
}

/// The value of an attribute for one operator at one site.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Jurisdiction(String),
    Jurisdictions(Vec<String>),
    /// A percentage, with the jurisdiction it belongs to where there is one.
    Percent(f64, Option<String>),
    Flag(bool),
}

/// Evaluates every tier for every cluster of `scenario`.
pub fn evaluate(scenario: &Scenario) -> Vec<Eligibility> {
    scenario
        .clusters
        .iter()
        .enumerate()
        .map(|(c, cluster)| {
            let operator = &scenario.operators[cluster.operator.index()];
            let site = &scenario.sites[cluster.site.index()];
            let mut qualifies = Vec::with_capacity(scenario.tiers.len());
            let mut failures = Vec::new();
            for (t, tier) in scenario.tiers.iter().enumerate() {
                let before = failures.len();
                for (k, clause) in tier.clauses.iter().enumerate() {
                    if let Some(reason) = check(clause, operator, site, &scenario.eu_members) {
                        failures.push(ClauseFailure {
                            tier: t,
                            clause: k,
                            reason,
                        });
                    }
                }
                qualifies.push(failures.len() == before);
            }
            Eligibility {
                cluster: ClusterId(c as u32),
                qualifies,
                failures,
            }
        })
        .collect()
}

/// `None` if the clause holds, else why it fails.
fn check(clause: &Clause, operator: &Operator, site: &Site, eu: &[String]) -> Option<String> {
    let value = value(clause.attribute, operator, site, eu);
    if holds(&clause.test, &value, eu) {
        None
    } else {
        Some(format!(
            "{} ({})",
            subject(clause.attribute, &value),
            requirement(&clause.test)
        ))
    }
}

fn is_eu(code: &str, eu: &[String]) -> bool {
    code == "EU" || eu.iter().any(|m| m == code)
}

/// Whether `code` is one of `list`, where `EU` stands for every member state.
fn listed(code: &str, list: &[String], eu: &[String]) -> bool {
    list.iter()
        .any(|l| l == code || (l == "EU" && is_eu(code, eu)))
}

fn value(attribute: Attribute, op: &Operator, site: &Site, eu: &[String]) -> Value {
    let non_eu = || {
        op.ownership_pct
            .iter()
            .filter(|(j, _)| !is_eu(j, eu))
            .map(|(j, p)| (j.clone(), *p))
    };
    let us_pct = op.ownership_pct.get("US").copied().unwrap_or(0.0);
    match attribute {
        Attribute::ParentJurisdiction => Value::Jurisdiction(op.parent_jurisdiction.clone()),
        Attribute::KeyCustodyJurisdiction => {
            Value::Jurisdiction(op.key_custody_jurisdiction.clone())
        }
        Attribute::StaffJurisdictions => Value::Jurisdictions(op.staff_jurisdictions.clone()),
        Attribute::VetoJurisdictions => Value::Jurisdictions(op.veto_jurisdictions.clone()),
        Attribute::LargestNonEuHoldingPct => {
            // The first of equal holdings, in jurisdiction order, names the holder.
            let largest = non_eu().fold(None, |best: Option<(String, f64)>, (j, p)| match best {
                Some((_, b)) if b >= p => best,
                _ => Some((j, p)),
            });
            match largest {
                Some((j, p)) => Value::Percent(p, Some(j)),
                None => Value::Percent(0.0, None),
            }
        }
        Attribute::TotalNonEuHoldingPct => Value::Percent(non_eu().map(|(_, p)| p).sum(), None),
        Attribute::UsHoldingPct => Value::Percent(us_pct, Some("US".to_owned())),
        Attribute::UsControlled => Value::Flag(
            op.parent_jurisdiction == "US" || us_pct > 50.0 || op.key_custody_jurisdiction == "US",
        ),
        Attribute::SiteCountry => Value::Jurisdiction(site.country.code.clone()),
        Attribute::SiteEuMember => Value::Flag(site.country.eu_member),
    }
}

fn holds(test: &Test, value: &Value, eu: &[String]) -> bool {
    match (test, value) {
        (Test::In(list), Value::Jurisdiction(j)) => listed(j, list, eu),
        (Test::NotIn(list), Value::Jurisdiction(j)) => !listed(j, list, eu),
        (Test::AllIn(list), Value::Jurisdictions(js)) => js.iter().all(|j| listed(j, list, eu)),
        (Test::NoneIn(list), Value::Jurisdictions(js)) => !js.iter().any(|j| listed(j, list, eu)),
        (Test::Is(b), Value::Flag(f)) => b == f,
        (Test::AtMost(x), Value::Percent(v, _)) => v <= x,
        (Test::Below(x), Value::Percent(v, _)) => v < x,
        (Test::AtLeast(x), Value::Percent(v, _)) => v >= x,
        (Test::Above(x), Value::Percent(v, _)) => v > x,
        // Loading pairs every test with an attribute of its kind; a mismatch cannot qualify.
        _ => false,
    }
}

fn percent(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} %")
    } else {
        format!("{rounded:.1} %")
    }
}

fn countries(list: &[String]) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// What the attribute is, in words.
fn subject(attribute: Attribute, value: &Value) -> String {
    match (attribute, value) {
        (Attribute::ParentJurisdiction, Value::Jurisdiction(j)) => {
            format!("its ultimate parent is in {j}")
        }
        (Attribute::KeyCustodyJurisdiction, Value::Jurisdiction(j)) => {
            format!("its keys are held in {j}")
        }
        (Attribute::StaffJurisdictions, Value::Jurisdictions(js)) => {
            format!("staff with data access are in {}", countries(js))
        }
        (Attribute::VetoJurisdictions, Value::Jurisdictions(js)) => {
            format!("veto holders are in {}", countries(js))
        }
        (Attribute::LargestNonEuHoldingPct, Value::Percent(v, Some(j))) => {
            format!("{j} holds {}", percent(*v))
        }
        (Attribute::LargestNonEuHoldingPct, Value::Percent(..)) => "no non-EU holding".to_owned(),
        (Attribute::TotalNonEuHoldingPct, Value::Percent(v, _)) => {
            format!("non-EU holdings total {}", percent(*v))
        }
        (Attribute::UsHoldingPct, Value::Percent(v, _)) => format!("US holds {}", percent(*v)),
        (Attribute::UsControlled, Value::Flag(true)) => {
            "it is US-controlled (US parent, US majority or US key custody)".to_owned()
        }
        (Attribute::UsControlled, Value::Flag(false)) => "it is not US-controlled".to_owned(),
        (Attribute::SiteCountry, Value::Jurisdiction(j)) => format!("the site is in {j}"),
        (Attribute::SiteEuMember, Value::Flag(true)) => "the site is in the EU".to_owned(),
        (Attribute::SiteEuMember, Value::Flag(false)) => "the site is outside the EU".to_owned(),
        _ => attribute.name().to_owned(),
    }
}

/// What the clause requires, in words.
fn requirement(test: &Test) -> String {
    match test {
        Test::In(l) => format!("required: in {}", countries(l)),
        Test::NotIn(l) => format!("required: not in {}", countries(l)),
        Test::AllIn(l) => format!("required: all in {}", countries(l)),
        Test::NoneIn(l) => format!("required: none in {}", countries(l)),
        Test::Is(b) => format!("required: {b}"),
        Test::AtMost(x) => format!("limit {}", percent(*x)),
        Test::Below(x) => format!("limit: below {}", percent(*x)),
        Test::AtLeast(x) => format!("required: at least {}", percent(*x)),
        Test::Above(x) => format!("required: above {}", percent(*x)),
    }
}
