//! Sovereignty rules applied: which tiers each cluster qualifies for, and, where it does not, which
//! clause fails and why, in words ("`us-cloud` fails `eu-immune`: US holds 51 % (limit 24 %)");
//! and each cluster's assurance level (SEAL) on every objective of the Cloud Sovereignty Framework,
//! with its weighted score.
//!
//! A tier is data (`model::Tier`): clauses over operator, site and accelerator attributes, all of
//! which must hold; a clause may also ask for a least SEAL on an objective. The framework is data
//! too (`model::Framework`): a cluster is at SEAL-n on an objective when every criterion of levels
//! 1 to n holds, and a level the catalog gives no criterion cannot be reached. This module only
//! reads the attributes and applies the tests; `EU` in a rule stands for every member state in the
//! catalog.

use crate::catalog::{Accelerator, Country};
use crate::model::{
    Attribute, AttributeKind, Clause, ClusterId, Framework, Operator, SEAL_MAX, Scenario, Test,
};

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

/// One cluster assessed against the Cloud Sovereignty Framework.
#[derive(Clone, Debug, PartialEq)]
pub struct SealAssessment {
    /// The cluster.
    pub cluster: ClusterId,
    /// Per objective (catalog order): the SEAL level reached, 0 to 4.
    pub seals: Vec<u8>,
    /// Per objective: why the next level is not reached, one entry per failing criterion (empty at
    /// SEAL-4).
    pub blocking: Vec<Vec<String>>,
    /// Weighted score: Σ weight × SEAL ÷ 4 over the objectives, in % of the best possible.
    pub score_pct: f64,
}

/// The tiers one cloud offer (capacity rented from an existing region) qualifies for.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferEligibility {
    /// Per tier (scenario order): whether every clause holds for the offer's operator, country
    /// and accelerator.
    pub qualifies: Vec<bool>,
    /// Every failing clause, tier by tier.
    pub failures: Vec<ClauseFailure>,
}

/// What one rule reads: the operator, the country where the capacity sits, the accelerator, and
/// the SEAL levels.
struct Subject<'a> {
    operator: &'a Operator,
    country: &'a Country,
    accelerator: &'a Accelerator,
    /// The SEAL levels; `None` while the levels themselves are being assessed.
    assessed: Option<&'a SealAssessment>,
    framework: &'a Framework,
    eu: &'a [String],
}

/// The value of an attribute for one subject.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Jurisdiction(String),
    Jurisdictions(Vec<String>),
    /// A percentage, with the jurisdiction it belongs to where there is one.
    Percent(f64, Option<String>),
    Flag(bool),
    Labels(Vec<String>),
    /// A carbon intensity; `None` where the catalog has no figure for the country.
    Carbon(Option<f64>),
    /// A SEAL level on an objective.
    Level(u8, usize),
}

/// Assesses every cluster of `scenario` against the framework.
pub fn assess(scenario: &Scenario) -> Vec<SealAssessment> {
    (0..scenario.clusters.len())
        .map(|c| assessment(&subject_of(scenario, c, None), ClusterId(c as u32)))
        .collect()
}

fn assessment(subject: &Subject, cluster: ClusterId) -> SealAssessment {
    let n = subject.framework.objectives.len();
    let mut seals = Vec::with_capacity(n);
    let mut blocking = Vec::with_capacity(n);
    for o in 0..n {
        let (seal, why) = level(subject, o);
        seals.push(seal);
        blocking.push(why);
    }
    SealAssessment {
        cluster,
        score_pct: score_pct(subject.framework, &seals),
        seals,
        blocking,
    }
}

fn uses_seal(scenario: &Scenario) -> bool {
    scenario
        .tiers
        .iter()
        .flat_map(|t| &t.clauses)
        .any(|c| matches!(c.attribute, Attribute::Seal(_)))
}

/// Every tier's clauses applied to one subject: per tier whether all hold, and the failures.
fn tiers_of(scenario: &Scenario, subject: &Subject) -> (Vec<bool>, Vec<ClauseFailure>) {
    let mut qualifies = Vec::with_capacity(scenario.tiers.len());
    let mut failures = Vec::new();
    for (t, tier) in scenario.tiers.iter().enumerate() {
        let before = failures.len();
        for (k, clause) in tier.clauses.iter().enumerate() {
            if let Some(reason) = check(clause, subject) {
                failures.push(ClauseFailure {
                    tier: t,
                    clause: k,
                    reason,
                });
            }
        }
        qualifies.push(failures.len() == before);
    }
    (qualifies, failures)
}

/// Evaluates every tier for every cloud offer of `scenario`, as for a cluster of the offer's
/// operator and accelerator on a site in the offer's country.
pub fn evaluate_offers(scenario: &Scenario) -> Vec<OfferEligibility> {
    let seal = uses_seal(scenario);
    scenario
        .cloud_offers
        .iter()
        .map(|o| {
            let mut subject = Subject {
                operator: &scenario.operators[o.operator.index()],
                country: &o.country,
                accelerator: &o.accelerator,
                assessed: None,
                framework: &scenario.framework,
                eu: &scenario.eu_members,
            };
            let assessed = seal.then(|| assessment(&subject, ClusterId(0)));
            subject.assessed = assessed.as_ref();
            let (qualifies, failures) = tiers_of(scenario, &subject);
            OfferEligibility {
                qualifies,
                failures,
            }
        })
        .collect()
}

/// Evaluates every tier for every cluster of `scenario`.
pub fn evaluate(scenario: &Scenario) -> Vec<Eligibility> {
    let assessed = if uses_seal(scenario) {
        assess(scenario)
    } else {
        Vec::new()
    };
    (0..scenario.clusters.len())
        .map(|c| {
            let subject = subject_of(scenario, c, assessed.get(c));
            let (qualifies, failures) = tiers_of(scenario, &subject);
            Eligibility {
                cluster: ClusterId(c as u32),
                qualifies,
                failures,
            }
        })
        .collect()
}

fn subject_of<'a>(
    scenario: &'a Scenario,
    cluster: usize,
    assessed: Option<&'a SealAssessment>,
) -> Subject<'a> {
    let cluster = &scenario.clusters[cluster];
    Subject {
        operator: &scenario.operators[cluster.operator.index()],
        country: &scenario.sites[cluster.site.index()].country,
        accelerator: &cluster.accelerator,
        assessed,
        framework: &scenario.framework,
        eu: &scenario.eu_members,
    }
}

/// The SEAL the subject reaches on objective `o`, and why the next level fails.
fn level(subject: &Subject, o: usize) -> (u8, Vec<String>) {
    let criteria = &subject.framework.criteria;
    for seal in 1..=SEAL_MAX {
        let at: Vec<_> = criteria
            .iter()
            .filter(|c| c.objective == o && c.seal == seal)
            .collect();
        if at.is_empty() {
            return (
                seal - 1,
                vec![format!(
                    "SEAL-{seal} has no criterion sovsim can assess (the framework's public text leaves its evidence open)"
                )],
            );
        }
        let failed: Vec<String> = at
            .iter()
            .filter_map(|c| {
                check(&c.clause, subject).map(|why| format!("{}: {why}", c.description))
            })
            .collect();
        if !failed.is_empty() {
            return (seal - 1, failed);
        }
    }
    (SEAL_MAX, Vec::new())
}

/// Σ weight × SEAL ÷ 4 over the objectives, in % of Σ weight.
fn score_pct(framework: &Framework, seals: &[u8]) -> f64 {
    let total: f64 = framework.objectives.iter().map(|o| o.weight_pct).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let reached: f64 = framework
        .objectives
        .iter()
        .zip(seals)
        .map(|(o, s)| o.weight_pct * f64::from(*s) / f64::from(SEAL_MAX))
        .sum();
    100.0 * reached / total
}

/// `None` if the clause holds, else why it fails; a SEAL clause also says what stops the next level.
fn check(clause: &Clause, subject: &Subject) -> Option<String> {
    let value = value(clause.attribute, subject);
    if holds(&clause.test, &value, subject.eu) {
        return None;
    }
    let mut reason = format!(
        "{} ({})",
        describe(clause.attribute, &value, subject),
        requirement(clause.attribute.kind(), &clause.test)
    );
    let raises = matches!(clause.test, Test::AtLeast(_) | Test::Above(_));
    if let (true, Value::Level(v, o), Some(a)) = (raises, &value, subject.assessed)
        && let Some(why) = a.blocking.get(*o).filter(|w| !w.is_empty())
    {
        reason.push_str(&format!(": SEAL-{} fails on {}", v + 1, why.join(" / ")));
    }
    Some(reason)
}

fn is_eu(code: &str, eu: &[String]) -> bool {
    code == "EU" || eu.iter().any(|m| m == code)
}

/// Whether `code` is one of `list`, where `EU` stands for every member state.
fn listed(code: &str, list: &[String], eu: &[String]) -> bool {
    list.iter()
        .any(|l| l == code || (l == "EU" && is_eu(code, eu)))
}

fn us_controlled(op: &Operator) -> bool {
    let us_pct = op.ownership_pct.get("US").copied().unwrap_or(0.0);
    op.parent_jurisdiction == "US" || us_pct > 50.0 || op.key_custody_jurisdiction == "US"
}

fn value(attribute: Attribute, subject: &Subject) -> Value {
    let (op, country, eu) = (subject.operator, subject.country, subject.eu);
    let non_eu = || {
        op.ownership_pct
            .iter()
            .filter(|(j, _)| !is_eu(j, eu))
            .map(|(j, p)| (j.clone(), *p))
    };
    match attribute {
        Attribute::ParentJurisdiction => Value::Jurisdiction(op.parent_jurisdiction.clone()),
        Attribute::KeyCustodyJurisdiction => {
            Value::Jurisdiction(op.key_custody_jurisdiction.clone())
        }
        Attribute::OperatingJurisdiction => Value::Jurisdiction(op.operating_jurisdiction.clone()),
        Attribute::StaffJurisdictions => Value::Jurisdictions(op.staff_jurisdictions.clone()),
        Attribute::VetoJurisdictions => Value::Jurisdictions(op.veto_jurisdictions.clone()),
        Attribute::SupplierJurisdictions => Value::Jurisdictions(op.supplier_jurisdictions.clone()),
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
        Attribute::UsHoldingPct => Value::Percent(
            op.ownership_pct.get("US").copied().unwrap_or(0.0),
            Some("US".to_owned()),
        ),
        Attribute::OpenSourceStackPct => Value::Percent(op.open_source_stack_pct, None),
        Attribute::UsControlled => Value::Flag(us_controlled(op)),
        // A FISA 702 directive reaches any US electronic communication service provider, which
        // since RISAA 2024 includes a service provider with access to the equipment: US staff or a
        // US supplier with access expose the platform even where the CLOUD Act's control test
        // does not.
        Attribute::Fisa702Exposed => Value::Flag(
            us_controlled(op)
                || op.staff_jurisdictions.iter().any(|j| j == "US")
                || op.supplier_jurisdictions.iter().any(|j| j == "US"),
        ),
        Attribute::Certifications => Value::Labels(op.certifications.clone()),
        Attribute::SiteCountry => Value::Jurisdiction(country.code.clone()),
        Attribute::SiteEuMember => Value::Flag(country.eu_member),
        Attribute::SiteGridCarbon => Value::Carbon(country.grid_carbon_g_per_kwh),
        Attribute::AcceleratorVendorJurisdiction => {
            Value::Jurisdiction(subject.accelerator.vendor_jurisdiction.clone())
        }
        Attribute::Seal(o) => {
            let o = usize::from(o);
            let seal = subject
                .assessed
                .and_then(|a| a.seals.get(o).copied())
                .unwrap_or(0);
            Value::Level(seal, o)
        }
    }
}

fn compare(test: &Test, v: f64) -> bool {
    match test {
        Test::AtMost(x) => v <= *x,
        Test::Below(x) => v < *x,
        Test::AtLeast(x) => v >= *x,
        Test::Above(x) => v > *x,
        _ => false,
    }
}

fn holds(test: &Test, value: &Value, eu: &[String]) -> bool {
    match (test, value) {
        (Test::In(list), Value::Jurisdiction(j)) => listed(j, list, eu),
        (Test::NotIn(list), Value::Jurisdiction(j)) => !listed(j, list, eu),
        (Test::AllIn(list), Value::Jurisdictions(js)) => js.iter().all(|j| listed(j, list, eu)),
        (Test::NoneIn(list), Value::Jurisdictions(js)) => !js.iter().any(|j| listed(j, list, eu)),
        (Test::Is(b), Value::Flag(f)) => b == f,
        (Test::HasAny(list), Value::Labels(held)) => list.iter().any(|l| held.contains(l)),
        (Test::HasNone(list), Value::Labels(held)) => !list.iter().any(|l| held.contains(l)),
        (_, Value::Percent(v, _)) => compare(test, *v),
        (_, Value::Carbon(Some(v))) => compare(test, *v),
        (_, Value::Level(v, _)) => compare(test, f64::from(*v)),
        // Loading pairs every test with an attribute of its kind, and a missing figure cannot
        // show that a limit holds.
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
fn describe(attribute: Attribute, value: &Value, subject: &Subject) -> String {
    match (attribute, value) {
        (Attribute::ParentJurisdiction, Value::Jurisdiction(j)) => {
            format!("its ultimate parent is in {j}")
        }
        (Attribute::KeyCustodyJurisdiction, Value::Jurisdiction(j)) => {
            format!("its keys are held in {j}")
        }
        (Attribute::OperatingJurisdiction, Value::Jurisdiction(j)) => {
            format!("the entity running it is in {j}")
        }
        (Attribute::StaffJurisdictions, Value::Jurisdictions(js)) => {
            format!("staff with data access are in {}", countries(js))
        }
        (Attribute::VetoJurisdictions, Value::Jurisdictions(js)) => {
            format!("veto holders are in {}", countries(js))
        }
        (Attribute::SupplierJurisdictions, Value::Jurisdictions(js)) => {
            format!("suppliers with access are in {}", countries(js))
        }
        (Attribute::LargestNonEuHoldingPct, Value::Percent(v, Some(j))) => {
            format!("{j} holds {}", percent(*v))
        }
        (Attribute::LargestNonEuHoldingPct, Value::Percent(..)) => "no non-EU holding".to_owned(),
        (Attribute::TotalNonEuHoldingPct, Value::Percent(v, _)) => {
            format!("non-EU holdings total {}", percent(*v))
        }
        (Attribute::UsHoldingPct, Value::Percent(v, _)) => format!("US holds {}", percent(*v)),
        (Attribute::OpenSourceStackPct, Value::Percent(v, _)) => {
            format!("{} of its stack is open source", percent(*v))
        }
        (Attribute::UsControlled, Value::Flag(true)) => {
            "it is US-controlled (US parent, US majority or US key custody)".to_owned()
        }
        (Attribute::UsControlled, Value::Flag(false)) => "it is not US-controlled".to_owned(),
        (Attribute::Fisa702Exposed, Value::Flag(true)) => {
            "FISA 702 reaches it (US control, or staff or a supplier with access in the US)"
                .to_owned()
        }
        (Attribute::Fisa702Exposed, Value::Flag(false)) => "FISA 702 does not reach it".to_owned(),
        (Attribute::Certifications, Value::Labels(held)) if held.is_empty() => {
            "it holds no certification".to_owned()
        }
        (Attribute::Certifications, Value::Labels(held)) => {
            format!("it holds {}", held.join(", "))
        }
        (Attribute::SiteCountry, Value::Jurisdiction(j)) => format!("the site is in {j}"),
        (Attribute::SiteEuMember, Value::Flag(true)) => "the site is in the EU".to_owned(),
        (Attribute::SiteEuMember, Value::Flag(false)) => "the site is outside the EU".to_owned(),
        (Attribute::SiteGridCarbon, Value::Carbon(Some(v))) => {
            format!("the site's grid emits {v:.0} gCO₂/kWh")
        }
        (Attribute::SiteGridCarbon, _) => format!(
            "the catalog has no grid carbon intensity for {}",
            subject.country.code
        ),
        (Attribute::AcceleratorVendorJurisdiction, Value::Jurisdiction(j)) => format!(
            "its accelerators' vendor ({}) is in {j}",
            subject.accelerator.vendor
        ),
        (Attribute::Seal(_), Value::Level(v, o)) => {
            let objective = &subject.framework.objectives[*o];
            format!("{} {} is at SEAL-{v}", objective.id, objective.name)
        }
        _ => "the attribute".to_owned(),
    }
}

/// What the clause requires, in words.
fn requirement(kind: AttributeKind, test: &Test) -> String {
    let number = |x: f64| match kind {
        AttributeKind::Carbon => format!("{x:.0} gCO₂/kWh"),
        AttributeKind::Level => format!("SEAL-{x:.0}"),
        _ => percent(x),
    };
    match test {
        Test::In(l) => format!("required: in {}", countries(l)),
        Test::NotIn(l) => format!("required: not in {}", countries(l)),
        Test::AllIn(l) => format!("required: all in {}", countries(l)),
        Test::NoneIn(l) => format!("required: none in {}", countries(l)),
        Test::Is(b) => format!("required: {b}"),
        Test::HasAny(l) => format!("required: one of {}", l.join(", ")),
        Test::HasNone(l) => format!("required: none of {}", l.join(", ")),
        Test::AtMost(x) if kind == AttributeKind::Level => {
            format!("required: {} or below", number(*x))
        }
        Test::AtMost(x) => format!("limit {}", number(*x)),
        Test::Below(x) => format!("limit: below {}", number(*x)),
        Test::AtLeast(x) => format!("required: at least {}", number(*x)),
        Test::Above(x) => format!("required: above {}", number(*x)),
    }
}
