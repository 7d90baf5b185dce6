//! The HTML pages' interactive charts: each chart of [`crate::charts`] described again as a
//! plotly.js figure (data, layout, config) from the same [`Chart`], so the page and the PDF show
//! the same thing; on screen the figure replaces the chart's SVG, which stays for print.
//!
//! Hover gives each value with its unit (the axis label's bracketed unit) in the same short form
//! as the SVG's ticks (1.2k, 3.4m, 5.6bn); a click on a legend entry hides or shows its series;
//! times are dates. Series keep the SVG's greyscale cues (dashes, marker shapes, dark-to-light
//! fills), so the page reads without colour too.

use plotly::common::{
    Anchor, AxisSide, DashType, Fill, HoverInfo, Line, Marker, MarkerSymbol, Mode, Orientation,
    Title,
};
use plotly::configuration::Configuration;
use plotly::layout::{Axis, AxisType, BarMode, HoverMode, Layout, Legend, Margin, TraceOrder};
use plotly::{Bar, Plot, Scatter};
use plotters::style::RGBColor;
use serde_json::Value;

use crate::charts::{
    Chart, FILLS, GanttRow, Kind, LINE_COLOURS, Series, TornadoBar, binned, offset, short,
};

/// Height of every figure on the page [px]; its width follows the page's.
const HEIGHT_PX: usize = 500;

/// The same fills, see-through, for the P10–P90 bands that overlap.
const BANDS: [&str; 4] = [
    "rgba(140,184,224,0.55)",
    "rgba(242,208,138,0.55)",
    "rgba(181,181,181,0.55)",
    "rgba(61,107,168,0.35)",
];

/// Fill `k` of [`crate::charts`]' dark-to-light order.
fn fill(k: usize) -> String {
    hex(FILLS[k % FILLS.len()])
}

/// Line `k`'s colour, as [`crate::charts`] draws line charts: black, grey, then its colours.
fn line_colour(k: usize) -> String {
    match k {
        0 => "#000000".to_owned(),
        1 => "#666666".to_owned(),
        _ => hex(LINE_COLOURS[(k - 2) % LINE_COLOURS.len()]),
    }
}

/// A plotters colour as plotly reads one (`#1b2a49`).
fn hex(RGBColor(r, g, b): RGBColor) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Dashes in a fixed order, so lines differ without colour.
const DASHES: [DashType; 6] = [
    DashType::Solid,
    DashType::Dash,
    DashType::Dot,
    DashType::DashDot,
    DashType::LongDash,
    DashType::LongDashDot,
];

/// Marker shapes, filled and hollow, in a fixed order (the SVG's: circle, triangle, cross,
/// square, diamond, inverted triangle, star).
const SYMBOLS: [(MarkerSymbol, MarkerSymbol); 7] = [
    (MarkerSymbol::Circle, MarkerSymbol::CircleOpen),
    (MarkerSymbol::TriangleUp, MarkerSymbol::TriangleUpOpen),
    (MarkerSymbol::X, MarkerSymbol::XOpen),
    (MarkerSymbol::Square, MarkerSymbol::SquareOpen),
    (MarkerSymbol::Diamond, MarkerSymbol::DiamondOpen),
    (MarkerSymbol::TriangleDown, MarkerSymbol::TriangleDownOpen),
    (MarkerSymbol::Star, MarkerSymbol::StarOpen),
];

/// Reference lines (targets, covenants) in the SVG's red-brown, dashed.
const REFERENCE: &str = "#b03030";

/// `chart` as a plotly.js figure: `{"data": [...], "layout": {...}, "config": {...}}`.
pub fn figure(chart: &Chart) -> Value {
    let unit = unit(&chart.y_label);
    let mut plot = Plot::new();
    let mut layout = layout(chart);
    match &chart.kind {
        Kind::StackedArea { x, series } => {
            for (k, s) in series.iter().enumerate() {
                plot.add_trace(
                    Scatter::new(dates(x), zeroed(&s.values))
                        .name(plain(&s.label))
                        .stack_group("total")
                        .mode(Mode::Lines)
                        .line(Line::new().color("#000000").width(0.6))
                        .fill_color(fill(k))
                        .hover_text_array(values_text(&s.values, &unit))
                        .hover_template(template(&s.label)),
                );
            }
            layout = layout
                .x_axis(time_axis(&chart.x_label))
                .hover_mode(HoverMode::XUnified);
        }
        Kind::StackedBars { categories, series } => {
            for (k, s) in series.iter().enumerate() {
                plot.add_trace(bar(categories, s, fill(k), &unit));
            }
            layout = layout
                .bar_mode(BarMode::Relative)
                .hover_mode(HoverMode::XUnified);
        }
        Kind::BarsAndLine {
            categories,
            bars,
            line,
            line_axis,
            references,
        } => {
            for (k, s) in bars.iter().enumerate() {
                plot.add_trace(bar(categories, s, fill(k * 2), &unit));
            }
            let line_unit = self::unit(line_axis);
            let label = format!("{} (right axis)", line.label);
            plot.add_trace(
                Scatter::new(plain_all(categories), finite(&line.values))
                    .name(plain(&label))
                    .y_axis("y2")
                    .mode(Mode::LinesMarkers)
                    .connect_gaps(true)
                    .line(Line::new().color("#000000").width(3.0))
                    .marker(Marker::new().color("#000000").size(7))
                    .hover_text_array(values_text(&line.values, &line_unit))
                    .hover_template(template(&label)),
            );
            for (k, (label, v)) in references.iter().enumerate() {
                let across = vec![*v; categories.len()];
                plot.add_trace(
                    Scatter::new(plain_all(categories), across.clone())
                        .name(plain(label))
                        .y_axis("y2")
                        .mode(Mode::Lines)
                        .line(
                            Line::new()
                                .color(["#555555", "#999999"][k % 2])
                                .width(2.0)
                                .dash(DASHES[1 + k % (DASHES.len() - 1)].clone()),
                        )
                        .hover_text_array(values_text(&across, &line_unit))
                        .hover_template(template(label)),
                );
            }
            layout = layout
                .y_axis2(
                    Axis::new()
                        .title(Title::with_text(plain(line_axis)))
                        .overlaying("y")
                        .side(AxisSide::Right)
                        .show_grid(false),
                )
                .bar_mode(BarMode::Group)
                .hover_mode(HoverMode::XUnified);
        }
        Kind::Lines { categories, series } => {
            for (k, s) in series.iter().enumerate() {
                plot.add_trace(
                    Scatter::new(plain_all(categories), finite(&s.values))
                        .name(plain(&s.label))
                        .mode(Mode::LinesMarkers)
                        .connect_gaps(true)
                        .line(
                            Line::new()
                                .color(line_colour(k))
                                .width(if k == 0 { 3.0 } else { 2.0 })
                                .dash(DASHES[k % DASHES.len()].clone()),
                        )
                        .marker(
                            Marker::new()
                                .symbol(SYMBOLS[k % 3].0.clone())
                                .size(8)
                                .color(line_colour(k)),
                        )
                        .hover_text_array(values_text(&s.values, &unit))
                        .hover_template(template(&s.label)),
                );
            }
            layout = layout.hover_mode(HoverMode::XUnified);
        }
        Kind::Fan { x, p10, p50, p90 } => {
            let (band, median) = fan_traces(x, ("", [p10, p50, p90]), 0, &unit);
            plot.add_traces(band);
            plot.add_trace(median);
            layout = layout
                .x_axis(time_axis(&chart.x_label))
                .hover_mode(HoverMode::XUnified);
        }
        Kind::Fans { x, fans } => {
            // Every band first, then every median over them, as the SVG paints them.
            let mut medians = Vec::new();
            for (k, f) in fans.iter().enumerate() {
                let (band, median) = fan_traces(x, (&f.label, [&f.p10, &f.p50, &f.p90]), k, &unit);
                plot.add_traces(band);
                medians.push(median);
            }
            plot.add_traces(medians);
            layout = layout
                .x_axis(time_axis(&chart.x_label))
                .hover_mode(HoverMode::XUnified);
        }
        Kind::Histogram {
            values,
            bins,
            marks,
        } => {
            let x_unit = self::unit(&chart.x_label);
            let ((lo, hi), counts) = binned(values, *bins);
            let width = (hi - lo) / counts.len() as f64;
            let centres: Vec<f64> = (0..counts.len())
                .map(|i| lo + width * (i as f64 + 0.5))
                .collect();
            let text: Vec<String> = centres
                .iter()
                .zip(&counts)
                .map(|(c, n)| {
                    format!(
                        "{} to {}{}: {n} replications",
                        short(c - width / 2.0),
                        short(c + width / 2.0),
                        spaced(&x_unit)
                    )
                })
                .collect();
            let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.15;
            plot.add_trace(
                Bar::new(centres, counts)
                    .name("replications")
                    .width(width)
                    .marker(
                        Marker::new()
                            .color(fill(1))
                            .line(Line::new().color("#000000").width(1.0)),
                    )
                    .hover_text_array(text)
                    .hover_template("%{hovertext}<extra></extra>"),
            );
            for (k, (label, v)) in marks.iter().enumerate() {
                let text = format!("{}{}", short(*v), spaced(&x_unit));
                plot.add_trace(
                    Scatter::new(vec![*v, *v], vec![0.0, top])
                        .name(plain(label))
                        .mode(Mode::Lines)
                        .line(
                            Line::new()
                                .color(if k == 1 { "#000000" } else { "#555555" })
                                .width(if k == 1 { 3.0 } else { 2.0 })
                                .dash(if k == 1 {
                                    DashType::LongDash
                                } else {
                                    DashType::Dash
                                }),
                        )
                        .hover_text_array(vec![text.clone(), text])
                        .hover_template(template(label)),
                );
            }
            layout = layout.bar_mode(BarMode::Overlay);
        }
        Kind::Tornado { base, bars } => {
            let x_unit = self::unit(&chart.x_label);
            for trace in tornado(*base, bars, &x_unit) {
                plot.add_trace(trace);
            }
            layout = layout
                .bar_mode(BarMode::Overlay)
                .margin(Margin::new().left(300).right(20).top(60).bottom(60))
                .y_axis(Axis::new().auto_margin(true));
        }
        Kind::Scatter { groups, references } => {
            // A date figure (a first GW) is a fractional year in the chart: dates here.
            let years = unit == "year";
            let y_of = |y: f64| {
                if years {
                    Value::from(date_of(y))
                } else {
                    Value::from(y)
                }
            };
            // A sweep has thousands of points: hover formats them in the browser, not as text
            // per point.
            let all = || groups.iter().flat_map(|g| g.1.iter());
            let x_format = format_of(all().map(|p| p.0));
            let y_format = if years {
                "|%b %Y".to_owned()
            } else {
                format_of(all().map(|p| p.1))
            };
            for (k, (label, points)) in groups.iter().enumerate() {
                plot.add_trace(
                    Scatter::new(
                        points.iter().map(|p| p.0).collect(),
                        points.iter().map(|p| y_of(p.1)).collect(),
                    )
                    .name(plain(label))
                    .mode(Mode::Markers)
                    .marker(
                        Marker::new()
                            .symbol(SYMBOLS[[0, 1, 3, 2][k % 4]].0.clone())
                            .size(8)
                            .color(fill(k % 5))
                            .line(Line::new().color("#000000").width(0.5)),
                    )
                    .hover_template(format!(
                        "<b>{}</b><br>{}: %{{x{x_format}}}<br>{}: %{{y{y_format}}}<extra></extra>",
                        plain(label),
                        plain(&chart.x_label),
                        plain(&chart.y_label),
                    )),
                );
            }
            let xs = groups.iter().flat_map(|g| g.1.iter().map(|p| p.0));
            let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            if lo.is_finite() {
                for (label, y) in references {
                    let text = if years {
                        month_of(*y)
                    } else {
                        format!("{}{}", short(*y), spaced(&unit))
                    };
                    plot.add_trace(
                        Scatter::new(vec![lo, hi], vec![y_of(*y), y_of(*y)])
                            .name(plain(label))
                            .mode(Mode::Lines)
                            .line(Line::new().color(REFERENCE).width(2.0).dash(DashType::Dash))
                            .hover_text_array(vec![text.clone(), text])
                            .hover_template(template(label)),
                    );
                }
            }
            if years {
                layout = layout.y_axis(time_axis(&chart.y_label));
            }
        }
        Kind::Gantt { rows, start, end } => {
            for trace in gantt(rows) {
                plot.add_trace(trace);
            }
            // A row per site: a programme of many sites is a tall figure, read from its top,
            // so its dates go above the rows there (untitled: the figure's title is above them).
            let tall = rows.len() > 20;
            let dates_axis = time_axis(if tall { "" } else { &chart.x_label })
                .range(vec![date_of(*start), date_of(*end)]);
            let dates_axis = if tall {
                dates_axis.side(AxisSide::Top)
            } else {
                dates_axis
            };
            layout = layout
                .x_axis(dates_axis)
                .y_axis(
                    Axis::new()
                        .title(Title::with_text(plain(&chart.y_label)))
                        .tick_values((0..rows.len()).map(|i| i as f64).collect())
                        .tick_text(rows.iter().map(|r| plain(&r.site)).collect())
                        .range(vec![-0.6, rows.len() as f64 - 0.4])
                        .show_grid(false)
                        .zero_line(false)
                        .auto_margin(true),
                )
                .height(HEIGHT_PX.max(120 + 28 * rows.len()));
        }
    }
    plot.set_layout(layout);
    plot.set_configuration(
        Configuration::new()
            .responsive(true)
            .display_logo(false)
            .typeset_math(false),
    );
    let mut figure: Value = serde_json::from_str(&plot.to_json()).unwrap_or(Value::Null);
    // plotly's typed `Bar` lacks plotly.js's `base`: a tornado's bars start at the base value.
    if let Kind::Tornado { base, .. } = &chart.kind
        && let Some(data) = figure["data"].as_array_mut()
    {
        for trace in data.iter_mut().filter(|t| t["type"] == "bar") {
            trace["base"] = (*base).into();
        }
    }
    figure
}

/// The layout every figure shares: title, axis titles, fonts, a white ground with light grid
/// lines, the legend below the plot.
fn layout(chart: &Chart) -> Layout {
    let axis = |label: &str| {
        Axis::new()
            .title(Title::with_text(plain(label)))
            .grid_color("#e4e4e4")
            .zero_line_color("#9aa3b5")
            .auto_margin(true)
    };
    // The title at the left, clear of the tool bar plotly puts at the top right.
    Layout::new()
        .title(
            Title::with_text(plain(&chart.title))
                .x(0.01)
                .x_anchor(Anchor::Left),
        )
        .font(
            plotly::common::Font::new()
                .family("DejaVu Sans, Helvetica, Arial, sans-serif")
                .size(13),
        )
        .height(HEIGHT_PX)
        .margin(Margin::new().left(70).right(70).top(60).bottom(40))
        .paper_background_color("#ffffff")
        .plot_background_color("#ffffff")
        .x_axis(axis(&chart.x_label))
        .y_axis(axis(&chart.y_label))
        // Below the x axis's title, whatever the number of series (plotly hides a lone one's).
        .show_legend(true)
        .legend(
            Legend::new()
                .orientation(Orientation::Horizontal)
                .y(-0.2)
                .y_anchor(Anchor::Top)
                .trace_order(TraceOrder::Normal),
        )
        .hover_mode(HoverMode::Closest)
}

/// An axis of dates (times are fractional years in [`Chart`]), shown to the month.
fn time_axis(label: &str) -> Axis {
    Axis::new()
        .title(Title::with_text(plain(label)))
        .type_(AxisType::Date)
        .hover_format("%b %Y")
        .grid_color("#e4e4e4")
        .auto_margin(true)
}

/// A bar trace of `s` over `categories`, outlined in black as in the SVG.
fn bar(
    categories: &[String],
    s: &Series,
    fill: String,
    unit: &str,
) -> Box<Bar<String, Option<f64>>> {
    Bar::new(plain_all(categories), finite(&s.values))
        .name(plain(&s.label))
        .marker(
            Marker::new()
                .color(fill)
                .line(Line::new().color("#000000").width(1.0)),
        )
        .hover_text_array(values_text(&s.values, unit))
        .hover_template(template(&s.label))
}

/// A fan's traces, from its label and its P10, P50 and P90: its band, P10 (the lower edge) then
/// P90 (filled down to P10), the two toggled together by the band's legend entry; and its P50.
fn fan_traces(
    x: &[f64],
    (label, [p10, p50, p90]): (&str, [&[f64]; 3]),
    k: usize,
    unit: &str,
) -> (Vec<Box<dyn plotly::Trace>>, Box<dyn plotly::Trace>) {
    let named = |what: &str| {
        if label.is_empty() {
            what.to_owned()
        } else {
            format!("{label} {what}")
        }
    };
    let group = format!("band-{k}");
    let edge = Line::new().color("#333333").width(1.0).dash(DashType::Dash);
    let band = named("P10 to P90");
    let band: Vec<Box<dyn plotly::Trace>> = vec![
        Scatter::new(dates(x), finite(p10))
            .name(plain(&named("P10")))
            .legend_group(group.clone())
            .show_legend(false)
            .mode(Mode::Lines)
            .connect_gaps(true)
            .line(edge.clone())
            .hover_text_array(values_text(p10, unit))
            .hover_template(template(&named("P10"))),
        Scatter::new(dates(x), finite(p90))
            .name(plain(&band))
            .legend_group(group)
            .mode(Mode::Lines)
            .connect_gaps(true)
            .line(edge)
            .fill(Fill::ToNextY)
            .fill_color(BANDS[k % BANDS.len()])
            .hover_text_array(values_text(p90, unit))
            .hover_template(template(&named("P90"))),
    ];
    let median = Scatter::new(dates(x), finite(p50))
        .name(plain(&named("P50")))
        .mode(Mode::Lines)
        .connect_gaps(true)
        .line(
            Line::new()
                .color("#000000")
                .width(3.0)
                .dash(DASHES[k % DASHES.len()].clone()),
        )
        .hover_text_array(values_text(p50, unit))
        .hover_template(template(&named("P50")));
    (band, median)
}

/// A tornado's bars, the largest swing on top: each input's bar from the base value to the
/// output at the input's low end, then its high end, and the base as a vertical line.
fn tornado(base: f64, bars: &[TornadoBar], unit: &str) -> Vec<Box<dyn plotly::Trace>> {
    // A category axis draws its first category at the bottom: list the ranking from its end.
    let labels: Vec<String> = bars.iter().rev().map(|b| plain(&b.label)).collect();
    let mut traces: Vec<Box<dyn plotly::Trace>> = Vec::new();
    for (end, fill, name) in [
        (0, fill(0), "input at its low end"),
        (1, fill(2), "input at its high end"),
    ] {
        let values: Vec<f64> = bars
            .iter()
            .rev()
            .map(|b| if end == 0 { b.low } else { b.high })
            .map(|v| if v.is_finite() { v } else { base })
            .collect();
        let text: Vec<String> = bars
            .iter()
            .rev()
            .zip(&values)
            .map(|(b, v)| {
                format!(
                    "{}<br>{name}: {}{u} (base {}{u})",
                    plain(&b.label),
                    short(*v),
                    short(base),
                    u = spaced(unit)
                )
            })
            .collect();
        // A bar from the base to the value: its length, laid from the base (`base` below).
        let lengths: Vec<f64> = values.iter().map(|v| v - base).collect();
        traces.push(
            Bar::new(lengths, labels.clone())
                .name(name)
                .orientation(Orientation::Horizontal)
                .width(0.64)
                .marker(
                    Marker::new()
                        .color(fill)
                        .line(Line::new().color("#000000").width(1.0)),
                )
                .hover_text_array(text)
                .hover_template("%{hovertext}<extra></extra>"),
        );
    }
    traces.push(
        Scatter::new(
            vec![base, base],
            vec![
                labels.first().cloned().unwrap_or_default(),
                labels.last().cloned().unwrap_or_default(),
            ],
        )
        .name("base case")
        .mode(Mode::Lines)
        .line(Line::new().color("#000000").width(2.0))
        .hover_text_array(vec![format!("{}{}", short(base), spaced(unit)); 2])
        .hover_template(template("base case")),
    );
    traces
}

/// A Gantt's traces: per stage, its P50 dates as filled markers (with the legend entry), its
/// P90 dates hollow and a thin bar between them, toggled together; each site on its row, the
/// stages a little apart within it as in the SVG.
fn gantt(rows: &[GanttRow]) -> Vec<Box<dyn plotly::Trace>> {
    let stages = rows.first().map_or(0, |r| r.stages.len());
    let mut traces: Vec<Box<dyn plotly::Trace>> = Vec::new();
    for k in 0..stages {
        let stage = rows[0].stages[k].0.clone();
        let group = format!("stage-{k}");
        let at = |i: usize| i as f64 + offset(k, stages);
        let (mut spread_x, mut spread_y) = (Vec::new(), Vec::new());
        for (i, r) in rows.iter().enumerate() {
            if let (_, Some(p50), p90) = &r.stages[k] {
                spread_x.extend([Some(date_of(*p50)), p90.map(date_of), None]);
                spread_y.extend([Some(at(i)), p90.map(|_| at(i)), None]);
            }
        }
        traces.push(
            Scatter::new(spread_x, spread_y)
                .name(plain(&stage))
                .legend_group(group.clone())
                .show_legend(false)
                .mode(Mode::Lines)
                .line(Line::new().color("#888888").width(2.0))
                .hover_info(HoverInfo::Skip),
        );
        for (filled, quantile) in [(true, "P50"), (false, "P90")] {
            let (mut x, mut y, mut text) = (Vec::new(), Vec::new(), Vec::new());
            for (i, r) in rows.iter().enumerate() {
                let (_, p50, p90) = &r.stages[k];
                if let Some(v) = if filled { *p50 } else { *p90 } {
                    x.push(date_of(v));
                    y.push(at(i));
                    text.push(format!(
                        "<b>{}</b><br>{} {quantile}: {}",
                        plain(&r.site),
                        plain(&stage),
                        month_of(v)
                    ));
                }
            }
            let symbol = if filled {
                SYMBOLS[k % 7].0.clone()
            } else {
                SYMBOLS[k % 7].1.clone()
            };
            let name = if filled {
                format!("{} (P50 filled, P90 hollow)", plain(&stage))
            } else {
                format!("{} P90", plain(&stage))
            };
            traces.push(
                Scatter::new(x, y)
                    .name(name)
                    .legend_group(group.clone())
                    .show_legend(filled)
                    .mode(Mode::Markers)
                    .marker(
                        Marker::new()
                            .symbol(symbol)
                            .size(10)
                            .color("#000000")
                            .line(Line::new().color("#000000").width(1.5)),
                    )
                    .hover_text_array(text)
                    .hover_template("%{hovertext}<extra></extra>"),
            );
        }
    }
    traces
}

/// The unit in an axis label: what its brackets hold (`IT capacity [GW]` → `GW`), or the whole
/// label when it is short and has no spaces (`€bn`), or nothing.
fn unit(label: &str) -> String {
    if let (Some(a), Some(b)) = (label.rfind('['), label.rfind(']'))
        && a < b
    {
        return plain(&label[a + 1..b]);
    }
    if !label.is_empty() && label.len() <= 8 && !label.contains(' ') {
        return plain(label);
    }
    String::new()
}

/// ` unit`, or nothing without a unit; no space before `%`.
fn spaced(unit: &str) -> String {
    match unit {
        "" => String::new(),
        "%" => "%".to_owned(),
        u => format!(" {u}"),
    }
}

/// Each value as hover shows it: `1.23 GW`; `n/a` for a missing one.
fn values_text(values: &[f64], unit: &str) -> Vec<String> {
    values
        .iter()
        .map(|v| {
            if v.is_finite() {
                format!("{}{}", short(*v), spaced(unit))
            } else {
                "n/a".to_owned()
            }
        })
        .collect()
}

/// A series' hover line: its name, then the value as [`values_text`] wrote it.
fn template(name: &str) -> String {
    format!("{}: %{{hovertext}}<extra></extra>", plain(name))
}

/// A d3 number format for hover (`:.4~g`, or `:.3~s` for large magnitudes: 430M), in
/// plotly's `%{x:FORMAT}` form.
fn format_of(values: impl Iterator<Item = f64>) -> String {
    let largest = values
        .filter(|v| v.is_finite())
        .fold(0.0, |m: f64, v| m.max(v.abs()));
    if largest >= 1e4 {
        ":.3~s".to_owned()
    } else {
        ":.4~g".to_owned()
    }
}

/// Values with a missing one as zero (a stack's layer adds nothing there, as in the SVG).
fn zeroed(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .map(|v| if v.is_finite() { *v } else { 0.0 })
        .collect()
}

/// Finite values, and `null` where a value is missing: a line joins the values either side of
/// it (`connectgaps`), as the SVG's does.
fn finite(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|v| v.is_finite().then_some(*v)).collect()
}

/// Fractional years as dates (`2030.5` → `2030-07-01`).
fn dates(x: &[f64]) -> Vec<String> {
    x.iter().map(|&v| date_of(v)).collect()
}

/// A fractional year as an ISO date: the inverse of [`crate::document::year_of`] (a month is a
/// twelfth of a year, a day 1/365.25 of it).
pub(crate) fn date_of(year: f64) -> String {
    let y = year.floor();
    let rest = year - y;
    // A month start (2030 + 7/12) may fall a hair short of its twelfth in binary.
    let m = ((rest * 12.0 + 1e-9).floor() as u32).min(11);
    let days = [
        31,
        if leap(y as i64) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let d = (((rest - f64::from(m) / 12.0) * 365.25).round() as u32 + 1).clamp(1, days[m as usize]);
    format!("{:04}-{:02}-{:02}", y as i64, m + 1, d)
}

/// A fractional year as its month (`2031-03`), as the report's tables write dates.
fn month_of(year: f64) -> String {
    date_of(year)[..7].to_owned()
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Category labels as text plotly shows as written.
fn plain_all(labels: &[String]) -> Vec<String> {
    labels.iter().map(|l| plain(l)).collect()
}

/// `text` as plotly shows it literally: plotly reads a few HTML tags and entities in its
/// labels, so a scenario's site or source name with `<` or `&` is written as entities.
fn plain(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::FanSeries;

    fn chart(kind: Kind) -> Chart {
        Chart {
            name: "c".into(),
            title: "A <title> & more".into(),
            x_label: "year".into(),
            y_label: "IT capacity [GW]".into(),
            kind,
        }
    }

    #[test]
    fn dates_invert_fractional_years() {
        assert_eq!(date_of(2030.0), "2030-01-01");
        assert_eq!(date_of(2030.5), "2030-07-01");
        assert_eq!(date_of(2025.0 + 7.0 / 12.0), "2025-08-01");
        for date in ["2031-03-15", "2028-02-29", "2030-12-31", "2035-06-01"] {
            let year = crate::document::year_of(date).unwrap_or(f64::NAN);
            assert_eq!(date_of(year), date);
        }
    }

    #[test]
    fn a_fan_is_a_band_toggled_as_one_with_its_median_and_hover_in_units() {
        let figure = figure(&chart(Kind::Fan {
            x: vec![2030.0, 2031.0],
            p10: vec![1.0, 2.0],
            p50: vec![1.5, f64::NAN],
            p90: vec![2.0, 3.0],
        }));
        let data = figure["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(data.len(), 3);
        assert_eq!(data[0]["legendgroup"], data[1]["legendgroup"]);
        assert_eq!(data[0]["showlegend"], false);
        assert_eq!(data[1]["fill"], "tonexty");
        assert_eq!(data[1]["name"], "P10 to P90");
        assert_eq!(data[2]["y"][1], Value::Null, "a missing value is a gap");
        assert_eq!(data[1]["hovertext"][0], "2 GW");
        assert_eq!(data[0]["x"][1], "2031-01-01");
        assert_eq!(figure["layout"]["xaxis"]["type"], "date");
        assert_eq!(
            figure["layout"]["title"]["text"],
            "A &lt;title&gt; &amp; more"
        );
        assert_eq!(figure["config"]["responsive"], true);
    }

    #[test]
    fn a_tornado_ranks_the_largest_swing_on_top_from_the_base() {
        let figure = figure(&Chart {
            x_label: "equity IRR [%]".into(),
            ..chart(Kind::Tornado {
                base: 10.0,
                bars: vec![
                    TornadoBar {
                        label: "rent".into(),
                        low: 4.0,
                        high: 13.0,
                    },
                    TornadoBar {
                        label: "capex".into(),
                        low: 12.0,
                        high: 9.0,
                    },
                ],
            })
        });
        let low = &figure["data"][0];
        // Listed from the bottom: the first of the ranking is last.
        assert_eq!(low["y"][1], "rent");
        assert_eq!(low["x"][1], -6.0);
        assert_eq!(low["orientation"], "h");
        assert_eq!(low["base"], 10.0, "bars start at the base value");
        assert!(
            low["hovertext"][1]
                .as_str()
                .is_some_and(|t| t.contains("4% (base 10%)")),
            "{}",
            low["hovertext"][1]
        );
        assert_eq!(figure["data"][2]["name"], "base case");
    }

    #[test]
    fn a_sweep_date_figure_is_drawn_as_dates_with_its_target() {
        let figure = figure(&Chart {
            x_label: "gpu_rent (change)".into(),
            y_label: "date_full_capacity_p50 [year]".into(),
            ..chart(Kind::Scatter {
                groups: vec![("all".into(), vec![(-0.1, 2031.5), (0.1, 2032.0)])],
                references: vec![("target".into(), 2032.0)],
            })
        });
        assert_eq!(figure["data"][0]["y"][0], "2031-07-01");
        assert_eq!(figure["data"][1]["y"][0], "2032-01-01");
        assert_eq!(figure["data"][1]["hovertext"][0], "2032-01");
        assert_eq!(figure["layout"]["yaxis"]["type"], "date");
        assert!(
            figure["data"][0]["hovertemplate"]
                .as_str()
                .is_some_and(|t| t.contains("%{x:.4~g}") && t.contains("%{y|%b %Y}")),
            "{}",
            figure["data"][0]["hovertemplate"]
        );
    }

    #[test]
    fn overlaid_fans_draw_every_median_over_every_band() {
        let fan = |label: &str| FanSeries {
            label: label.into(),
            p10: vec![1.0],
            p50: vec![2.0],
            p90: vec![3.0],
        };
        let figure = figure(&chart(Kind::Fans {
            x: vec![2030.0],
            fans: vec![fan("a"), fan("b")],
        }));
        let names: Vec<&str> = figure["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "a P10",
                "a P10 to P90",
                "b P10",
                "b P10 to P90",
                "a P50",
                "b P50"
            ]
        );
    }

    #[test]
    fn units_come_from_the_axis_label() {
        assert_eq!(unit("IT capacity [GW]"), "GW");
        assert_eq!(unit("€bn"), "€bn");
        assert_eq!(unit("share of the unserved demand made portable"), "");
        assert_eq!(values_text(&[1234.5, f64::NAN], "MW"), ["1234 MW", "n/a"]);
    }
}
