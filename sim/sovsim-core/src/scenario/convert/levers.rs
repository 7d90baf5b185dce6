//! What a scenario asks of the study layer and the optimiser: the `[sensitivity]` inputs and ranges,
//! named `[cases]`, and `[optimize]` settings.

use super::ctx::*;

/// The input called `name`, or an error at `path` with the names there are.
pub(super) fn sensitivity_input(ctx: &mut Ctx, path: &[Seg], name: &str) -> Option<Input> {
    let found = Input::parse(name);
    if found.is_none() {
        let names: Vec<&str> = Input::ALL.iter().map(|i| i.name()).collect();
        let d = ctx.error(
            "unknown-input",
            path,
            format!("no sensitivity input named `{name}`"),
        );
        let mut fixed = d.clone().expected(format!("one of {}", list(&names)));
        if let Some(close) = did_you_mean(name, names.iter().copied()) {
            fixed = fixed.hint(format!("did you mean `{close}`?"));
        }
        *d = fixed;
    }
    found
}

/// Checks that `value` is a change `input` can take.
pub(super) fn sensitivity_value(ctx: &mut Ctx, path: &[Seg], input: Input, value: f64) -> bool {
    if input.accepts(value) {
        return true;
    }
    let d = ctx.error(
        "bad-change",
        path,
        format!("`{}` cannot change by {value}", input.name()),
    );
    *d = d
        .clone()
        .expected(match input.change() {
            Change::Relative => "a finite relative change above −1 (−0.4: 40 % lower)",
            Change::Rate => "a finite change of the rate (0.04: four points higher)",
            Change::Months => "a finite number of months",
        })
        .hint(format!("`{}` moves {}", input.name(), input.meaning()));
    false
}

/// The tornado's inputs and ranges: the scenario's, else every input over its range in
/// `data/defaults.csv`. Like the optimiser's settings, the defaults are not assumptions of a
/// simulation and are not recorded in `defaults_used`.
pub(super) fn convert_sensitivity(ctx: &mut Ctx, file: &wire::ScenarioFile) -> Vec<InputRange> {
    let empty = wire::Sensitivity {
        inputs: None,
        ranges: BTreeMap::new(),
    };
    let w = file.sensitivity.as_ref().unwrap_or(&empty);
    let mut chosen: Vec<Input> = match &w.inputs {
        None => Input::ALL.to_vec(),
        Some(names) => names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| sensitivity_input(ctx, &path!("sensitivity", "inputs", i), n))
            .collect(),
    };
    chosen.sort();
    chosen.dedup();
    let mut given = BTreeMap::new();
    for (name, [low, high]) in &w.ranges {
        let at = path!("sensitivity", "ranges", name.as_str());
        let Some(input) = sensitivity_input(ctx, &at, name) else {
            continue;
        };
        let ok =
            sensitivity_value(ctx, &at, input, *low) & sensitivity_value(ctx, &at, input, *high);
        if ok && low > high {
            let d = ctx.error(
                "bad-range",
                &at,
                format!("the range of `{name}` runs backwards ({low} > {high})"),
            );
            *d = d.clone().expected("[low, high] with low ≤ high");
        } else if ok {
            given.insert(input, (*low, *high));
            if !chosen.contains(&input) {
                let d = ctx.warning(
                    "unused-range",
                    &at,
                    format!("`{name}` has a range but is not among `[sensitivity] inputs`"),
                );
                *d = d.clone().hint("add it to `inputs`, or remove its range");
            }
        }
    }
    chosen
        .into_iter()
        .map(|input| {
            let (low, high) = given.get(&input).copied().unwrap_or_else(|| {
                let (lk, hk) = input.default_keys();
                let value = |k: &str| ctx.catalog.default_value(k).unwrap_or(0.0);
                (value(&lk), value(&hk))
            });
            InputRange { input, low, high }
        })
        .collect()
}

/// Named cases: their input changes (checked like ranges) and overrides (which must be defined).
pub(super) fn convert_cases(ctx: &mut Ctx, file: &wire::ScenarioFile) -> Vec<CaseSpec> {
    let Some(cases) = &file.cases else {
        return Vec::new();
    };
    let defined: Vec<&str> = file
        .overrides
        .as_ref()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, case) in cases {
        let at = |k: &str| path!("cases", name.as_str(), k);
        if name == "base" {
            let d = ctx.error(
                "reserved-case",
                &path!("cases", "base"),
                "`base` is the scenario itself and cannot be declared as a case",
            );
            *d = d
                .clone()
                .expected("another name: `downside`, `upside`, `combined`…")
                .hint(
                    "the base case is every input as the scenario states it; reports list it first",
                );
            continue;
        }
        let mut changes = Vec::new();
        for (input_name, value) in &case.inputs {
            let p = path!("cases", name.as_str(), "inputs", input_name.as_str());
            if let Some(input) = sensitivity_input(ctx, &p, input_name)
                && sensitivity_value(ctx, &p, input, *value)
            {
                changes.push((input, *value));
            }
        }
        changes.sort_by_key(|(i, _)| *i);
        for (i, o) in case.overrides.iter().enumerate() {
            if !defined.contains(&o.as_str()) {
                let p = [at("overrides"), path!(i)].concat();
                let d = ctx.error(
                    "unknown-override",
                    &p,
                    format!("case `{name}` applies `{o}`, but no `[overrides.{o}]` is defined"),
                );
                let mut fixed = d.clone().expected(if defined.is_empty() {
                    "the name of an `[overrides.NAME]` table (this scenario defines none)"
                        .to_owned()
                } else {
                    format!("one of {}", list(&defined))
                });
                if let Some(close) = did_you_mean(o, defined.iter().copied()) {
                    fixed = fixed.hint(format!("did you mean `{close}`?"));
                }
                *d = fixed;
            }
        }
        out.push(CaseSpec {
            name: name.clone(),
            description: case.description.clone().unwrap_or_default(),
            changes,
            overrides: case.overrides.clone(),
        });
    }
    out
}

/// The optimiser's settings. Its defaults are not recorded in `defaults_used`: they are not
/// assumptions of a simulation, and `sovsim optimize` prints the settings it used.
pub(super) fn convert_optimize(
    ctx: &mut Ctx,
    file: &wire::ScenarioFile,
    meta: Option<&m::Meta>,
    tiers: &[m::Tier],
) -> m::OptimizeSpec {
    let default = |key: &str| ctx.catalog.default_value(key).unwrap_or(f64::NAN);
    let (gap, limit, quantile, factor) = (
        default("optimize_mip_gap"),
        default("optimize_time_limit_s"),
        default("optimize_grid_wait_quantile"),
        default("optimize_shortfall_penalty_factor"),
    );
    let horizon = meta.map_or(1, |m| m.horizon_years);
    let empty = wire::Optimize {
        objective: None,
        period_years: None,
        periods: None,
        grid_wait_quantile: None,
        budget_eur_per_year: None,
        carbon_cap_t_per_year: None,
        sovereign_tiers: None,
        min_sovereign_share: None,
        committed: Vec::new(),
        mip_gap: None,
        time_limit_s: None,
    };
    let w = file.optimize.as_ref().unwrap_or(&empty);
    let at = |k: &str| path!("optimize", k);
    let tier_ids: Vec<&str> = tiers.iter().map(|t| t.id.as_str()).collect();
    let mut period_years = w.period_years.unwrap_or(1);
    if period_years == 0 || period_years > horizon {
        let d = ctx.error(
            "bad-period",
            &at("period_years"),
            format!("a period of {period_years} years does not fit a {horizon}-year horizon"),
        );
        *d = d
            .clone()
            .expected(format!("1 to {horizon} years"))
            .hint("periods are whole years; 1 plans year by year");
        period_years = 1;
    }
    let fit = horizon / period_years;
    let mut periods = w.periods.unwrap_or(fit);
    if periods == 0 || periods > fit {
        let d = ctx.error(
            "bad-period",
            &at("periods"),
            format!(
                "{periods} periods of {period_years} years do not fit a {horizon}-year horizon"
            ),
        );
        *d = d
            .clone()
            .expected(format!("1 to {fit} periods"))
            .hint("leave `periods` out to plan the whole horizon");
        periods = fit.max(1);
    }
    let mut probability = |k: &str, v: Option<f64>, fallback: f64| match v {
        Some(v) => match ctx.fraction(&at(k), v) {
            Some(v) => v,
            None => fallback,
        },
        None => fallback,
    };
    let grid_wait_quantile = probability("grid_wait_quantile", w.grid_wait_quantile, quantile);
    let mip_gap = probability("mip_gap", w.mip_gap, gap);
    let mut positive = |k: &str, v: Option<f64>| v.and_then(|v| ctx.quantity(&at(k), v));
    let budget_eur_per_year = positive("budget_eur_per_year", w.budget_eur_per_year);
    let carbon_cap_t_per_year = positive("carbon_cap_t_per_year", w.carbon_cap_t_per_year);
    let time_limit_s = positive("time_limit_s", w.time_limit_s).unwrap_or(limit);
    let sovereign_tiers = match &w.sovereign_tiers {
        None => (0..tiers.len() as u32).map(m::TierId).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                ctx.reference(
                    &path!("optimize", "sovereign_tiers", i),
                    id,
                    "tiers",
                    &tier_ids,
                )
                .map(|t| m::TierId(t as u32))
            })
            .collect(),
    };
    let min_sovereign_share = w.min_sovereign_share.as_ref().and_then(|s| {
        let tier = ctx.reference(
            &path!("optimize", "min_sovereign_share", "tier"),
            &s.tier,
            "tiers",
            &tier_ids,
        );
        let share = ctx.fraction(&path!("optimize", "min_sovereign_share", "share"), s.share);
        Some((m::TierId(tier? as u32), share?))
    });
    if w.objective == Some(m::Objective::MaxSovereign) && budget_eur_per_year.is_none() {
        let d = ctx.error(
            "missing-budget",
            &at("objective"),
            "`max_sovereign` serves as much sovereign demand as a budget buys, but no budget is set",
        );
        *d = d
            .clone()
            .expected("`budget_eur_per_year` in `[optimize]`")
            .hint("set `budget_eur_per_year`, or use `objective = \"min_cost\"`");
    }
    let ids: Vec<&str> = file
        .sites
        .iter()
        .map(|x| x.id.as_str())
        .chain(file.grid_connections.iter().map(|x| x.id.as_str()))
        .chain(file.power_assets.iter().map(|x| x.id.as_str()))
        .chain(file.shells.iter().map(|x| x.id.as_str()))
        .chain(file.clusters.iter().map(|x| x.id.as_str()))
        .collect();
    for (i, id) in w.committed.iter().enumerate() {
        ctx.reference(
            &path!("optimize", "committed", i),
            id,
            "sites, grid_connections, power_assets, shells or clusters",
            &ids,
        );
    }
    m::OptimizeSpec {
        objective: w.objective.unwrap_or_default(),
        period_years,
        periods,
        grid_wait_quantile,
        budget_eur_per_year,
        carbon_cap_t_per_year,
        sovereign_tiers,
        min_sovereign_share,
        // Resolved into typed references once every entity exists (`convert`).
        committed: Vec::new(),
        mip_gap,
        time_limit_s,
        shortfall_penalty_factor: factor,
    }
}
