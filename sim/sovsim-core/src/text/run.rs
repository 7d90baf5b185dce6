//! What a run found, told in a few lines for the terminal: milestones, what held each site back,
//! which operators fail which tier, the dispatch under each policy and the financing a lender reads.

use std::fmt::Write as _;

use super::format::{self, money};
use crate::dispatch::summary::{DispatchSummary, Scalar};
use crate::dispatch::summary::{ForgoneSummary, PortabilitySummary};
use crate::engine::aggregate::{Aggregate, DelaySummary, SiteSeries};
use crate::engine::buildout::WaitCause;
use crate::engine::time::SimTime;
use crate::finance::summary::{Figure, FinanceSummary};
use crate::finance::{BaseCase, Binding, CHECKS};
use crate::model::Scenario;
use crate::rundir::schema::{SOURCES, USES};
use crate::rundir::{BASIS, period_date, sources, uses};
use crate::sovereignty::{Eligibility, SealAssessment};
use crate::study::defence::DefenceSummary;
use crate::study::flywheel::FlywheelSummary;
use crate::study::run::RunResults;
use crate::units::Date;

/// The whole summary of a run, ending with where it was written.
pub fn summary(r: &RunResults, out: &str) -> String {
    let scenario = &r.scenario;
    let mut told = human(scenario, &r.aggregate);
    told.push_str(&sovereignty_summary(scenario, &r.eligibility));
    told.push_str(&seal_summary(scenario, &r.seals));
    told.push_str(&dispatch(scenario, &r.dispatch));
    told.push_str(&forgone(scenario, &r.forgone));
    if let Some(p) = &r.portability {
        told.push_str(&portability(&r.dispatch, p));
    }
    if !r.defence.is_empty() {
        told.push_str(&defence(scenario, &r.defence));
    }
    if !r.flywheel.is_empty() {
        told.push_str(&flywheel(scenario, &r.flywheel));
    }
    if let Some(f) = &r.finance {
        told.push_str(&finance(scenario, &f.base, &f.summary));
    }
    told.push_str(&format!("\nWrote {out}\n"));
    told
}

/// Month and year of a date, for people.
fn month_of(t: Option<SimTime>, start: Date) -> String {
    match t {
        Some(t) => {
            let d = t.date(start);
            format!("{}-{:02}", d.year, d.month)
        }
        None => "not reached".to_owned(),
    }
}

fn human(scenario: &Scenario, a: &Aggregate) -> String {
    let start = scenario.meta.start_date;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} replications, seed {}, {} to {}",
        scenario.meta.name,
        a.runs(),
        scenario.meta.seed,
        start,
        crate::rundir::run::boundary_date(a.months(), start)
    );
    let _ = writeln!(s, "\nMilestones (P50, with P10 to P90)");
    let all = a.milestones();
    for m in all.iter().filter(|m| m.site.is_none()) {
        let label = match m.name.as_str() {
            "first_power" => "first power".to_owned(),
            "first_gpu" => "first GPU online".to_owned(),
            "full_capacity" => "full capacity".to_owned(),
            gw => format!("{} GW of IT online", gw.trim_start_matches("gw_")),
        };
        let p = m.percentiles;
        let _ = writeln!(
            s,
            "  {label:<22} {}  ({} to {})",
            month_of(p.p50, start),
            month_of(p.p10, start),
            month_of(p.p90, start)
        );
    }
    let _ = writeln!(
        s,
        "\nWhat held each site back (months each GPU came online late, mean over replications)"
    );
    let delays = a.delays();
    for (i, site) in scenario.sites.iter().enumerate() {
        let of_site: Vec<&DelaySummary> = delays.iter().filter(|d| d.site == i).collect();
        let total = of_site
            .iter()
            .find(|d| d.cause.is_none())
            .map_or(0.0, |d| d.mean_months);
        let full = all
            .iter()
            .find(|m| m.site == Some(i) && m.name == "full_capacity")
            .and_then(|m| m.percentiles.p50);
        let mut causes: Vec<&&DelaySummary> = of_site
            .iter()
            .filter(|d| d.cause.is_some() && d.mean_months >= 0.05)
            .collect();
        causes.sort_by(|x, y| y.mean_months.total_cmp(&x.mean_months));
        let parts: Vec<String> = causes
            .iter()
            .map(|d| {
                format!(
                    "{:.1} waiting for {}",
                    d.mean_months,
                    d.cause.map_or("", WaitCause::phrase)
                )
            })
            .collect();
        let reason = if parts.is_empty() {
            "on time".to_owned()
        } else {
            format!("{total:.1} months late: {}", parts.join(", "))
        };
        let _ = writeln!(
            s,
            "  {:<20} full capacity {} (P50); {reason}",
            site.id,
            month_of(full, start)
        );
    }
    let it = a.region_at_end(SiteSeries::IT_ONLINE_MW);
    let gpus = a.region_at_end(SiteSeries::GPUS_OPERATIONAL);
    let installed = a.region_at_end(SiteSeries::GPUS_INSTALLED);
    let energy = a.energy_twh_total();
    let emissions = a.emissions_mtco2_total();
    // A horizon of one GPU generation ends with its GPUs retired, not with a buildout that failed.
    let online = if installed[1] == 0.0 && energy[1] > 0.0 {
        "every GPU retired at the end of its useful life".to_owned()
    } else {
        format!("{:.0} MW of IT online, {:.0} GPUs working", it[1], gpus[1])
    };
    let _ = writeln!(
        s,
        "\nAt the end of the horizon (P50): {online}; {:.1} TWh used, {:.2} MtCO₂ emitted over the horizon",
        energy[1], emissions[1]
    );
    s
}

/// Each operator's SEAL per framework objective and its score, once per distinct assessment (an
/// operator's clusters differ only where their sites or accelerators do).
fn seal_summary(scenario: &Scenario, all: &[SealAssessment]) -> String {
    let objectives = &scenario.framework.objectives;
    let mut s = String::new();
    if all.is_empty() || objectives.is_empty() {
        return s;
    }
    let ids: Vec<&str> = objectives.iter().map(|o| o.id.as_str()).collect();
    let _ = writeln!(
        s,
        "\nCloud Sovereignty Framework (SEAL 0–4 on {} to {}; weighted score)",
        ids[0],
        ids[ids.len() - 1]
    );
    let mut lines: Vec<String> = Vec::new();
    for a in all {
        let cluster = &scenario.clusters[a.cluster.index()];
        let who = format!(
            "{} at {}",
            scenario.operators[cluster.operator.index()].id,
            scenario.sites[cluster.site.index()].id
        );
        let levels: Vec<String> = a.seals.iter().map(u8::to_string).collect();
        let line = format!("  {who:<40} {}  {:.0} %", levels.join(" "), a.score_pct);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    for line in lines {
        let _ = writeln!(s, "{line}");
    }
    s
}

/// Which operators fail which tier, and why, once per operator, tier and reasons.
fn sovereignty_summary(scenario: &Scenario, all: &[Eligibility]) -> String {
    let mut lines: Vec<String> = Vec::new();
    for e in all {
        let operator = &scenario.operators[scenario.clusters[e.cluster.index()].operator.index()];
        for (t, tier) in scenario.tiers.iter().enumerate() {
            if e.qualifies[t] {
                continue;
            }
            let reasons: Vec<&str> = e
                .failures
                .iter()
                .filter(|f| f.tier == t)
                .map(|f| f.reason.as_str())
                .collect();
            let line = format!(
                "  `{}` fails `{}`: {}",
                operator.id,
                tier.id,
                reasons.join("; ")
            );
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
    }
    let mut s = String::new();
    if !scenario.tiers.is_empty() {
        let _ = writeln!(s, "\nSovereignty tiers");
        if lines.is_empty() {
            let _ = writeln!(s, "  every cluster qualifies for every tier");
        }
        for line in lines {
            let _ = writeln!(s, "{line}");
        }
    }
    s
}

/// Human lines: utilisation, stranding and service per tier under each policy, and what pooling recovers.
fn dispatch(scenario: &Scenario, d: &DispatchSummary) -> String {
    let mut s = String::new();
    let pct = |q: Option<[f64; 3]>| {
        q.map_or("—".to_owned(), |q| {
            format!(
                "{:.1} % ({:.1}–{:.1})",
                100.0 * q[1],
                100.0 * q[0],
                100.0 * q[2]
            )
        })
    };
    let _ = writeln!(s, "\nDispatch (P50, with P10 to P90)");
    for p in &d.policies {
        let _ = writeln!(
            s,
            "  {:<7} utilisation {}, stranded {} of GPU-hours",
            p.policy.name(),
            pct(p.scalar(Scalar::UTILISATION_MEAN)),
            pct(p.scalar(Scalar::STRANDED_GPU_HOURS_SHARE)),
        );
        for (t, tier) in scenario.tiers.iter().enumerate() {
            if let Some(q) = p.served_share(t) {
                let _ = writeln!(
                    s,
                    "          {:<14} demand served {}",
                    tier.id,
                    pct(Some(q))
                );
            }
        }
        if let Some(q) = p.scalar(Scalar::TRAINING_QUEUE_DELAY_DAYS_MEAN) {
            let cancelled = p
                .scalar(Scalar::TRAINING_RUNS_CANCELLED)
                .map_or(0.0, |q| q[1]);
            let _ = writeln!(
                s,
                "          training runs wait {:.0} days on average (P50; {:.0}–{:.0}), {cancelled:.0} never start",
                q[1], q[0], q[2]
            );
        }
    }
    if let Some((gpu_hours, share)) = d.recovered() {
        let _ = writeln!(
            s,
            "  The compute grid recovers {} GPU-hours (P50; {} to {}), {} of operational GPU-hours",
            count(gpu_hours[1]),
            count(gpu_hours[0]),
            count(gpu_hours[2]),
            pct(Some(share))
        );
    }
    s
}

/// Human lines: what the demand left unserved would have needed and paid, and whose it was.
fn forgone(scenario: &Scenario, f: &ForgoneSummary) -> String {
    let mut s = String::new();
    let (Some(hours), eur) = f.total() else {
        return s;
    };
    if hours[2] <= 0.0 {
        let _ = writeln!(s, "  Every demand that some cluster may serve was served");
        return s;
    }
    let owners: Vec<&str> = scenario
        .inference
        .iter()
        .map(|d| d.id.as_str())
        .chain(scenario.training.iter().map(|k| k.id.as_str()))
        .collect();
    // The owner with the most forgone, by the sum of its yearly P50s (EUR when priced).
    let weight = |o: usize| -> f64 {
        (0..f.years())
            .map(|y| {
                let (h, e) = f.cell(o, y);
                e.map_or(h[1], |e| e[1])
            })
            .sum()
    };
    let top = (0..owners.len()).max_by(|&a, &b| weight(a).total_cmp(&weight(b)).then(b.cmp(&a)));
    let _ = write!(
        s,
        "  Demand left unserved would have needed {} GPU-hours (P50; {} to {})",
        count(hours[1]),
        count(hours[0]),
        count(hours[2])
    );
    if let Some(e) = eur {
        let _ = write!(
            s,
            " and paid {} (P50; {} to {}): revenue forgone for lack of compute",
            money(e[1]),
            money(e[0]),
            money(e[2])
        );
    }
    if let Some(top) = top {
        let _ = write!(s, ", most of it `{}`'s", owners[top]);
    }
    let _ = writeln!(s);
    s
}

/// Human lines: what the reinvestment rules bought, and what it earned against the same
/// replications without them.
fn flywheel(scenario: &Scenario, f: &FlywheelSummary) -> String {
    let mut s = String::new();
    let [eur, gpus, unspent, gain] = f.totals();
    let rules: Vec<String> = scenario
        .reinvestments
        .iter()
        .map(|r| format!("`{}`", r.id))
        .collect();
    let _ = writeln!(
        s,
        "  Reinvestment ({}) bought {} GPUs for {} (P50; {} to {}); revenue {} over the horizon against the same replications without it (P50; {} to {}){}",
        rules.join(", "),
        super::format::count(gpus[1]),
        money(eur[1]),
        money(eur[0]),
        money(eur[2]),
        signed_money(gain[1]),
        signed_money(gain[0]),
        signed_money(gain[2]),
        if unspent[1] > 0.0 {
            format!("; {} set aside was never spent (P50)", money(unspent[1]))
        } else {
            String::new()
        }
    );
    s
}

/// Human lines: each screening proxy and tier, per provider and shared (P50 over the horizon).
fn defence(scenario: &Scenario, d: &DefenceSummary) -> String {
    use crate::model::Sharing;
    let mut s = String::new();
    let rows = crate::study::defence::rows(scenario);
    for (r, (f, tier)) in rows.iter().enumerate() {
        let defence = &scenario.defences[*f];
        let _ = writeln!(
            s,
            "  Defence `{}` on `{}` (dispatched {}; P50 over the horizon):",
            defence.id,
            scenario.tiers[tier.index()].id,
            defence.sharing.name().replace('_', " ")
        );
        for sharing in Sharing::ALL {
            let p50 = |k: usize| d.cell(r, sharing, k)[1];
            let eur = if d.priced() {
                format!(" ({})", money(p50(6)))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "    {:<12} detects {}, leaks {} tokens, blocks {} legitimate; screening {} GPU-hours{eur}, {} GPUs at peak, +{} ms a request",
                sharing.name().replace('_', " "),
                super::format::percent(defence.detection(sharing)),
                super::format::large(p50(4)),
                super::format::large(p50(2)),
                super::format::large(p50(5)),
                super::format::count(p50(7)),
                super::format::fixed(defence.latency_added_ms(sharing), 2),
            );
        }
    }
    s
}

/// `+€1.2bn` or `−€3m`.
fn signed_money(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", money(v))
    } else {
        money(v)
    }
}

/// Human lines: what a compute portability standard recovers under the first policy.
fn portability(d: &DispatchSummary, p: &PortabilitySummary) -> String {
    let mut s = String::new();
    let policy = d.policies.first().map_or("", |p| p.policy.name());
    match p.recovered_gpu_hours() {
        Some(q) if q[2] > 0.0 => {
            let _ = writeln!(
                s,
                "  A portability standard ({policy}) would put {} GPU-hours to use (P50; {} to {}) that sat idle while queued runs and unserved tokens could not run on them",
                count(q[1]),
                count(q[0]),
                count(q[2])
            );
            if let Some(v) = p.value_eur_per_year() {
                let _ = writeln!(
                    s,
                    "          worth {} a year at the scenario's market prices (P50; {} to {})",
                    money(v[1]),
                    money(v[0]),
                    money(v[2])
                );
            }
        }
        _ => {
            let _ = writeln!(
                s,
                "  A portability standard ({policy}) would recover nothing: no demand left unserved could have used idle GPUs of another architecture"
            );
        }
    }
    s
}

/// A large count for people: `1.23 bn`, `45.6 M`, `7.8 k`.
fn count(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2} bn", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1} M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}
/// A percentage, or "n/a" where the figure is undefined (no IRR).
fn pct(v: Option<f64>) -> String {
    v.map_or("n/a".into(), format::percent)
}

/// A ratio, or "n/a" where the figure is undefined (no debt service).
fn times(v: Option<f64>) -> String {
    v.map_or("n/a".into(), format::times)
}

/// The finance section of the human summary.
fn finance(scenario: &Scenario, base: &BaseCase, s: &FinanceSummary) -> String {
    let m = &base.case.metrics;
    let t = &base.terms;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\nFinance — base case (every uncertain input at its median); {BASIS}"
    );
    let range = |figure: Figure, f: &dyn Fn(Option<f64>) -> String| {
        let q = s.quantiles(figure);
        format!("P10–P90 {} to {}", f(q[0]), f(q[2]))
    };
    let eur = |v: Option<f64>| v.map_or("n/a".into(), money);
    let _ = writeln!(
        o,
        "  Capex {}   ({})",
        money(m.capex_total_eur),
        range(Figure::CAPEX_TOTAL_EUR, &eur)
    );
    let phases = &base.financing.phases;
    if phases.len() > 1 {
        let _ = writeln!(
            o,
            "  Debt {} over {} phases, each site financed on its own:",
            money(m.debt_eur),
            phases.len()
        );
    }
    for (phase, case) in phases.iter().zip(&base.case.phases) {
        let d = &phase.debt;
        let limit = match d.binding {
            Binding::Sculpting => format!(
                "sized by sculpting at {:.2}× (gearing cap {} not reached)",
                t.target_dscr,
                money(d.gearing_cap_eur)
            ),
            Binding::Gearing => format!(
                "capped by {:.1} % gearing (sculpting at {:.2}× would allow {})",
                t.max_gearing * 100.0,
                t.target_dscr,
                money(d.sculpted_eur)
            ),
        };
        let debt = case.metrics.debt_eur;
        let label = if phases.len() > 1 {
            format!("    {}: debt", phase.name)
        } else {
            "  Debt".to_owned()
        };
        let _ = writeln!(
            o,
            "{label} {} at COD {} (long-stop {}) — {limit}",
            money(debt),
            period_date(scenario, d.construction_end + 1),
            period_date(scenario, d.long_stop + 1)
        );
    }
    let _ = writeln!(
        o,
        "  Equity paid in {}{}",
        money(m.equity_eur),
        t.equity_committed_eur.map_or(String::new(), |c| format!(
            " (committed {}{})",
            money(c),
            if m.equity_eur > c { ": NOT ENOUGH" } else { "" }
        ))
    );
    let _ = writeln!(
        o,
        "  Project IRR {}   ({})",
        pct(m.project_irr),
        range(Figure::PROJECT_IRR, &pct)
    );
    let _ = writeln!(
        o,
        "  Equity IRR {}   ({})",
        pct(m.equity_irr),
        range(Figure::EQUITY_IRR, &pct)
    );
    let _ = writeln!(
        o,
        "  NPV at {:.1} % {}   ({})",
        t.discount_rate * 100.0,
        money(m.npv_eur),
        range(Figure::NPV_EUR, &eur)
    );
    let _ = writeln!(
        o,
        "  DSCR min {} avg {}, LLCR min {}   (min DSCR {}); P(min DSCR < {:.2}×) = {}; P(COD after the long-stop) = {}",
        times(m.dscr_min),
        times(m.dscr_avg),
        times(m.llcr_min),
        range(Figure::DSCR_MIN, &times),
        t.covenant_dscr,
        pct(s.covenant_breach_probability()),
        pct(s.long_stop_breach_probability())
    );
    let _ = writeln!(
        o,
        "  Payback {}; LCOC {} per GPU-hour; {} per million tokens",
        m.payback_years
            .map_or("not within the horizon".into(), |y| format!("{y:.2} years")),
        m.lcoc_eur_per_gpu_hour
            .map_or("n/a".into(), |v| format::euros(v, 2)),
        m.cost_eur_per_mtok
            .map_or("n/a".into(), |v| format::euros(v, 3))
    );
    let _ = writeln!(o, "  Sources & uses (construction):");
    let u = uses(base);
    let so = sources(base);
    let rows = USES.len().max(SOURCES.len());
    for i in 0..rows {
        let left = USES
            .get(i)
            .map_or(String::new(), |k| format!("{k:<18} {:>12}", money(u[i])));
        let right = SOURCES
            .get(i)
            .map_or(String::new(), |k| format!("{k:<11} {:>12}", money(so[i])));
        let _ = writeln!(o, "    {left:<31}   {right}");
    }
    let failed: Vec<&str> = CHECKS
        .iter()
        .zip(m.checks)
        .filter(|(_, ok)| !ok)
        .map(|((n, _), _)| *n)
        .collect();
    if failed.is_empty() {
        let _ = writeln!(o, "  Checks: all {} pass in the base case", CHECKS.len());
    } else {
        let _ = writeln!(o, "  Checks FAILED in the base case: {}", failed.join(", "));
    }
    if s.replications_failing_a_check > 0 {
        let _ = writeln!(
            o,
            "  {} of {} replications fail a check (see finance_checks)",
            s.replications_failing_a_check, s.runs
        );
    }
    o
}
