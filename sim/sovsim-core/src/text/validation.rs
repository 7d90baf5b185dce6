//! The validation in words for the terminal: one line per reference case, then the count.

use crate::validation::{Basis, Validation, number, published_text};

/// One line per case: pass, figure, published, sovsim, difference; then how many pass.
pub fn render(validation: &Validation) -> String {
    let checked = &validation.cases;
    let mut s = String::new();
    for c in checked {
        s.push_str(&format!(
            "{} {:<24} {} [{}]: published {}, sovsim {} ({:+.1} %, tolerance ±{:.0} %{})\n",
            if c.passes() { "pass" } else { "FAIL" },
            c.id,
            c.figure,
            c.unit,
            published_text(c.published),
            number(c.sovsim),
            c.difference() * 100.0,
            c.tolerance * 100.0,
            match c.basis {
                Basis::Independent => "",
                Basis::Calibrated => ", calibrated on this source",
            }
        ));
    }
    let passed = checked.iter().filter(|c| c.passes()).count();
    s.push_str(&format!(
        "\n{passed} of {} published figures reproduced within their tolerance; sources and reasons: VALIDATION.md\n",
        checked.len()
    ));
    s
}
