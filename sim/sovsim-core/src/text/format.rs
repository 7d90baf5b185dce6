//! Numbers for people: €1.23bn, 14.2 GW, 1.31×, 12.4 %. One formatter per kind of figure, used by
//! the terminal summary, the report and its tests, so a printed figure is the same everywhere.
//!
//! Values are rounded half away from zero before formatting (`format!` alone rounds exact ties to
//! even, so 430.25 would print as 430.2), and negative figures take a real minus sign.

/// Rounds half away from zero to `decimals` places.
fn round(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

/// `v` with `decimals` places, half away from zero, with a minus sign (not a hyphen) when negative.
pub fn fixed(v: f64, decimals: usize) -> String {
    let r = round(v, decimals as i32);
    let text = format!("{:.*}", decimals, r.abs());
    if r < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("−{text}")
    } else {
        text
    }
}

/// Money: €1.23bn, €456m, €7.9k, €0.12.
pub fn money(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "−" } else { "" };
    let body = if round(a / 1e9, 2) >= 1.0 {
        format!("€{}bn", fixed(a / 1e9, 2))
    } else if round(a / 1e6, 0) >= 1.0 {
        format!("€{}m", fixed(a / 1e6, 0))
    } else if round(a / 1e3, 1) >= 1.0 {
        format!("€{}k", fixed(a / 1e3, 1))
    } else {
        format!("€{}", fixed(a, 2))
    };
    if body
        .trim_start_matches('€')
        .chars()
        .all(|c| !c.is_ascii_digit() || c == '0')
    {
        body
    } else {
        format!("{sign}{body}")
    }
}

/// A price in euros with `decimals` places: €2.37.
pub fn euros(v: f64, decimals: usize) -> String {
    let text = fixed(v, decimals);
    match text.strip_prefix('−') {
        Some(rest) => format!("−€{rest}"),
        None => format!("€{text}"),
    }
}

/// Power from MW: 14.2 GW from 1 GW up, else 850 MW.
pub fn power_mw(mw: f64) -> String {
    if round(mw.abs() / 1000.0, 1) >= 1.0 {
        format!("{} GW", fixed(mw / 1000.0, 1))
    } else {
        format!("{} MW", fixed(mw, 0))
    }
}

/// A ratio: 1.31×.
pub fn times(v: f64) -> String {
    format!("{}×", fixed(v, 2))
}

/// A fraction as a percentage: 0.124 → 12.4 %.
pub fn percent(fraction: f64) -> String {
    format!("{} %", fixed(fraction * 100.0, 1))
}

/// A count with thousands separators: 1,744,905.
pub fn count(v: f64) -> String {
    let text = fixed(v, 0);
    let (sign, digits) = match text.strip_prefix('−') {
        Some(d) => ("−", d.to_owned()),
        None => ("", text),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A large quantity with a scale word: 30.22 bn, 1.49 tn (GPU-hours, tokens).
pub fn large(v: f64) -> String {
    let a = v.abs();
    if a >= 1e18 {
        format!("{} quintillion", fixed(v / 1e18, 2))
    } else if a >= 1e15 {
        format!("{} quadrillion", fixed(v / 1e15, 2))
    } else if a >= 1e12 {
        format!("{} tn", fixed(v / 1e12, 2))
    } else if a >= 1e9 {
        format!("{} bn", fixed(v / 1e9, 2))
    } else if a >= 1e6 {
        format!("{} m", fixed(v / 1e6, 2))
    } else {
        count(v)
    }
}

/// A figure of any scale with four significant digits: 3.80e25, 598,802, 31.74, 0.4.
pub fn significant(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        return format!("{}{a:.2e}", if v < 0.0 { "−" } else { "" });
    }
    if a >= 1000.0 {
        return count(v);
    }
    let decimals = if a > 0.0 {
        (3 - a.log10().floor() as i32).clamp(0, 6) as usize
    } else {
        0
    };
    let text = fixed(v, decimals);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// A date's month: `2030-12-13` → `2030-12`; an absent date is "not reached".
pub fn month(date: Option<&str>) -> String {
    match date {
        Some(d) if d.len() >= 7 => d[..7].to_owned(),
        Some(d) => d.to_owned(),
        None => "not reached".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_print_as_people_write_them() {
        assert_eq!(money(1.234e9), "€1.23bn");
        assert_eq!(money(-259.194e9), "−€259.19bn");
        assert_eq!(money(654e6), "€654m");
        assert_eq!(money(999.6e6), "€1.00bn");
        assert_eq!(money(7_900.0), "€7.9k");
        assert_eq!(money(0.0), "€0.00");
        assert_eq!(money(-0.001), "€0.00");
        assert_eq!(power_mw(14_200.0), "14.2 GW");
        assert_eq!(power_mw(850.0), "850 MW");
        assert_eq!(times(1.305), "1.31×");
        assert_eq!(times(-7.505), "−7.51×");
        assert_eq!(percent(0.1245), "12.5 %");
        assert_eq!(percent(-0.087353), "−8.7 %");
        assert_eq!(fixed(430.25, 1), "430.3");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(count(1_744_905.0), "1,744,905");
        assert_eq!(count(-1000.0), "−1,000");
        assert_eq!(large(30.22e9), "30.22 bn");
        assert_eq!(euros(2.371204, 2), "€2.37");
        assert_eq!(month(Some("2030-12-13")), "2030-12");
        assert_eq!(month(None), "not reached");
    }
}
