//! The directory of `sovsim sensitivity`: the tornado table and `sensitivity.json` (built in
//! `sovsim_core::rundir::sensitivity`) and the tornado chart.

use std::path::{Path, PathBuf};

use sovsim_core::model::Scenario;
use sovsim_core::rundir;
use sovsim_core::study::sensitivity::{self, Output, Tornado};

use crate::charts::{Chart, Kind, TornadoBar};
use crate::{ReportError, RunDir};

/// Writes the tornado of `scenario` ranked by `output` into `out`: table, chart, `sensitivity.json`.
///
/// # Errors
/// If the directory cannot be made, or a file cannot be drawn or written.
pub fn write(
    out: &Path,
    scenario: &Scenario,
    tornado: &Tornado,
    output: Output,
) -> Result<Vec<PathBuf>, ReportError> {
    let dir = RunDir::create(out)
        .map_err(|e| ReportError::new(format!("cannot create `{}`: {e}", out.display())))?;
    let mut written =
        dir.write_contents(&rundir::sensitivity::contents(scenario, tornado, output))?;
    if let Some(chart) = tornado_chart(scenario, tornado, output) {
        written.extend(crate::write_chart(&dir, &chart)?.1);
    }
    Ok(written)
}

/// The tornado chart of `output`.
fn tornado_chart(scenario: &Scenario, tornado: &Tornado, output: Output) -> Option<Chart> {
    let bars = &tornado.bars;
    let base_value = output.of(&tornado.base)?;
    let order = sensitivity::rank(bars, output);
    let (scale, unit) = match output {
        Output::Npv => (1.0, "EUR"),
        Output::ProjectIrr | Output::EquityIrr => (100.0, "%"),
        Output::DscrMin | Output::LlcrMin => (1.0, "×"),
        Output::FirstGw => (1.0, "months from the start"),
    };
    let bars: Vec<TornadoBar> = order
        .iter()
        .map(|i| &bars[*i])
        .map(|b| TornadoBar {
            label: format!(
                "{} {} / {}",
                b.range.input.name(),
                b.range.input.describe(b.range.low),
                b.range.input.describe(b.range.high)
            ),
            low: output.of(&b.low).map_or(f64::NAN, |v| v * scale),
            high: output.of(&b.high).map_or(f64::NAN, |v| v * scale),
        })
        .collect();
    Some(Chart {
        name: format!("tornado_{}", output.name()),
        title: format!("{}: what moves {} most", scenario.meta.name, output.name()),
        x_label: format!("{} [{unit}]", output.name()),
        y_label: String::new(),
        kind: Kind::Tornado {
            base: base_value * scale,
            bars,
        },
    })
}
