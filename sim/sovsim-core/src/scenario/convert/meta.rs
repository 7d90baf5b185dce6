//! The `[scenario]` metadata and the `[uncertainty]` risk factors with their correlation
//! (checked symmetric, in range and positive-definite; its Cholesky factor kept).

use super::ctx::*;

pub(super) fn convert_meta(ctx: &mut Ctx, w: &wire::Meta) -> Option<m::Meta> {
    let base = path!("scenario");
    let at = |k: &str| [base.clone(), path!(k)].concat();
    let mut ok = true;
    if !is_slug(&w.name) {
        ok = false;
        let d = ctx.error(
            "bad-name",
            &at("name"),
            format!("scenario name `{}` cannot name a folder", w.name),
        );
        let slug: String = w
            .name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        *d = d
            .clone()
            .expected("lowercase letters, digits, `-` and `.`")
            .hint(format!("try `{}`", slug.trim_matches('-')));
    }
    let start_date = ctx.date(&at("start_date"), &w.start_date);
    if !(1..=100).contains(&w.horizon_years) {
        ok = false;
        let d = ctx.error(
            "out-of-range",
            &at("horizon_years"),
            format!("a horizon of {} years", w.horizon_years),
        );
        *d = d.clone().expected("1 to 100 years");
    }
    if w.period_months == 0 || 12 % w.period_months != 0 {
        ok = false;
        let d = ctx.error(
            "bad-period",
            &at("period_months"),
            format!(
                "a period of {} months does not divide a year",
                w.period_months
            ),
        );
        *d = d
            .clone()
            .expected("1, 2, 3, 4, 6 or 12")
            .hint("reports aggregate periods into years, so a period must divide 12 months");
    }
    let currency = match w.currency.as_str() {
        "EUR" => Some(m::Currency::Eur),
        "USD" => Some(m::Currency::Usd),
        other => {
            let d = ctx.error(
                "unknown-currency",
                &at("currency"),
                format!("currency `{other}` is not supported"),
            );
            *d = d.clone().expected("`EUR` or `USD`");
            None
        }
    };
    let discount_rate = ctx.fraction(&at("discount_rate"), w.discount_rate);
    if !ok {
        return None;
    }
    Some(m::Meta {
        name: w.name.clone(),
        description: w.description.clone().unwrap_or_default(),
        start_date: start_date?,
        horizon_years: w.horizon_years,
        period_months: w.period_months,
        currency: currency?,
        discount_rate: discount_rate?,
        seed: w.seed,
    })
}

pub(super) fn convert_uncertainty(ctx: &mut Ctx, w: Option<&wire::Uncertainty>) -> m::Uncertainty {
    let Some(w) = w else {
        return m::Uncertainty::default();
    };
    let mut seen: Vec<&str> = Vec::new();
    for (i, f) in w.factors.iter().enumerate() {
        if seen.contains(&f.as_str()) {
            let d = ctx.error(
                "duplicate-id",
                &path!("uncertainty", "factors", i),
                format!("risk factor `{f}` is listed twice"),
            );
            *d = d.clone().expected("unique factor names");
        }
        seen.push(f);
    }
    ctx.factors = w.factors.clone();
    let Some(rows) = &w.correlation else {
        return m::Uncertainty {
            factors: w.factors.clone(),
            cholesky: None,
        };
    };
    let n = w.factors.len();
    let at = path!("uncertainty", "correlation");
    if rows.len() != n || rows.iter().any(|r| r.len() != n) {
        let shape = rows
            .iter()
            .map(|r| r.len().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let d = ctx.error(
            "bad-correlation",
            &at,
            format!(
                "the correlation matrix has {} rows of lengths [{shape}]",
                rows.len()
            ),
        );
        *d = d.clone().expected(format!(
            "{n} rows of {n} numbers, one per factor in `uncertainty.factors`"
        ));
        return m::Uncertainty {
            factors: w.factors.clone(),
            cholesky: None,
        };
    }
    let mut ok = true;
    for (i, row) in rows.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let p = path!("uncertainty", "correlation", i, j);
            if !v.is_finite() || !(-1.0..=1.0).contains(&v) || (i == j && v != 1.0) {
                ok = false;
                let expected = if i == j {
                    "1 on the diagonal"
                } else {
                    "a number between -1 and 1"
                };
                let d = ctx.error(
                    "bad-correlation",
                    &p,
                    format!("correlation[{i}][{j}] is {v}"),
                );
                *d = d.clone().expected(expected);
            } else if j > i && (v - rows[j][i]).abs() > 1e-12 {
                ok = false;
                let (a, b) = (&w.factors[i], &w.factors[j]);
                let d = ctx.error(
                    "correlation-not-symmetric",
                    &p,
                    format!(
                        "correlation of `{a}` with `{b}` is {v}, but of `{b}` with `{a}` is {}",
                        rows[j][i]
                    ),
                );
                *d = d
                    .clone()
                    .expected("a symmetric matrix")
                    .hint(format!("set correlation[{j}][{i}] to {v} as well"));
            }
        }
    }
    if !ok {
        return m::Uncertainty {
            factors: w.factors.clone(),
            cholesky: None,
        };
    }
    let matrix = DMatrix::from_fn(n, n, |i, j| rows[i][j]);
    // Grow the leading block one factor at a time: the first factor whose addition breaks
    // positive-definiteness is the one to name.
    for k in 1..=n {
        if nalgebra::Cholesky::new(matrix.view((0, 0), (k, k)).into_owned()).is_none() {
            let name = &w.factors[k - 1];
            let d = ctx.error(
                "correlation-not-positive-definite",
                &at,
                format!(
                    "the correlation matrix is not positive-definite once factor `{name}` is added"
                ),
            );
            let hint = format!(
                "the correlations of `{name}` with the factors before it are inconsistent with each other; weaken them"
            );
            *d = d.clone().expected("a symmetric positive-definite matrix (one that a Cholesky factorisation accepts)").hint(hint);
            return m::Uncertainty {
                factors: w.factors.clone(),
                cholesky: None,
            };
        }
    }
    let cholesky = nalgebra::Cholesky::new(matrix).map(|c| c.l());
    m::Uncertainty {
        factors: w.factors.clone(),
        cholesky,
    }
}
