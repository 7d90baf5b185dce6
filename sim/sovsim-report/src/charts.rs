//! The report's charts, drawn with plotters as SVG (for the PDF, vector) and PNG (for slides and
//! notebooks) from one description, so both files show the same thing.
//!
//! Every chart has a title, axis labels with units and a legend. They stay legible in greyscale:
//! fills go from dark to light in a fixed order with black outlines, lines differ by dash and
//! marker, and P50 and P90 markers differ by fill. Text is set in the bundled DejaVu Sans, named
//! explicitly, so neither the PNG rasteriser nor the PDF's SVG reader looks for system fonts.

use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::{Circle, Cross, PathElement, Polygon, Rectangle};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Font family of every text in the charts (bundled with the program).
pub const FONT: &str = "DejaVu Sans";
/// Width and height of every chart [px].
pub const SIZE: (u32, u32) = (1200, 640);

/// Fills from dark to light: adjacent series differ in lightness, so greyscale print tells them apart.
pub(crate) const FILLS: [RGBColor; 8] = [
    RGBColor(0x1b, 0x2a, 0x49),
    RGBColor(0x3d, 0x6b, 0xa8),
    RGBColor(0x8c, 0xb8, 0xe0),
    RGBColor(0xd9, 0x8c, 0x3a),
    RGBColor(0xf2, 0xd0, 0x8a),
    RGBColor(0x5a, 0x5a, 0x5a),
    RGBColor(0xb5, 0xb5, 0xb5),
    RGBColor(0xee, 0xee, 0xee),
];

/// Line colours beyond the first two series of a line chart, dark and light alternating.
pub(crate) const LINE_COLOURS: [RGBColor; 6] = [
    RGBColor(0x3d, 0x6b, 0xa8),
    RGBColor(0xd9, 0x8c, 0x3a),
    RGBColor(0x1b, 0x2a, 0x49),
    RGBColor(0x8c, 0xb8, 0xe0),
    RGBColor(0x8a, 0x4f, 0x10),
    RGBColor(0x2e, 0x8b, 0x57),
];

/// One named series of values.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Values, one per x.
    pub values: Vec<f64>,
}

/// A site's row of the timeline: (stage label, P50, P90) as fractional years.
#[derive(Clone, Debug)]
pub struct GanttRow {
    /// Site name.
    pub site: String,
    /// Stages in order: label, P50 and P90 date as fractional years (None: not reached).
    pub stages: Vec<(String, Option<f64>, Option<f64>)>,
}

/// One input's bar of a tornado.
#[derive(Clone, Debug)]
pub struct TornadoBar {
    /// Input with its range ("gpu_rent −40 % / +10 %").
    pub label: String,
    /// Output at the input's low end.
    pub low: f64,
    /// Output at the input's high end.
    pub high: f64,
}

/// One buildout's band of an overlaid fan chart.
#[derive(Clone, Debug)]
pub struct FanSeries {
    /// Legend label.
    pub label: String,
    /// P10, P50 and P90 at each x.
    pub p10: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 90th percentile.
    pub p90: Vec<f64>,
}

/// What a chart shows (fields as the variant's description names them).
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Kind {
    /// Stacked areas over time (x as fractional years).
    StackedArea { x: Vec<f64>, series: Vec<Series> },
    /// Stacked bars, one per category label.
    StackedBars {
        categories: Vec<String>,
        series: Vec<Series>,
    },
    /// Bars of `bars` (side by side per category) with `line` on a right axis and optional
    /// horizontal reference lines on that axis (label, value).
    BarsAndLine {
        categories: Vec<String>,
        bars: Vec<Series>,
        line: Series,
        line_axis: String,
        references: Vec<(String, f64)>,
    },
    /// Lines over categories.
    Lines {
        categories: Vec<String>,
        series: Vec<Series>,
    },
    /// P10–P90 band with the P50 line, over time (fractional years).
    Fan {
        x: Vec<f64>,
        p10: Vec<f64>,
        p50: Vec<f64>,
        p90: Vec<f64>,
    },
    /// Histogram of values in `bins` equal bins, with P10/P50/P90 marked.
    Histogram {
        values: Vec<f64>,
        bins: usize,
        marks: Vec<(String, f64)>,
    },
    /// A tornado: one horizontal bar per input, ranked from the top, from the output at the
    /// input's low end to the output at its high end, across a vertical line at the base value.
    Tornado { base: f64, bars: Vec<TornadoBar> },
    /// Several P10–P90 bands with their P50 lines over time (fractional years), one per
    /// buildout, overlaid: P50 lines differ by dash, bands by fill.
    Fans { x: Vec<f64>, fans: Vec<FanSeries> },
    /// Points (x, y) in groups, one marker shape and colour per group, and optional horizontal
    /// reference lines (label, y): a sweep's output against one of its levers, and its target.
    Scatter {
        groups: Vec<(String, Vec<(f64, f64)>)>,
        references: Vec<(String, f64)>,
    },
    /// Milestones per site, P50 filled and P90 hollow, one marker shape per stage.
    Gantt {
        rows: Vec<GanttRow>,
        start: f64,
        end: f64,
    },
}

/// A chart: file stem under `charts/`, title, axis labels with units, and what it shows.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File stem (`capacity_by_power`).
    pub name: String,
    /// Title.
    pub title: String,
    /// X axis label with unit.
    pub x_label: String,
    /// Y axis label with unit.
    pub y_label: String,
    /// The data.
    pub kind: Kind,
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Axis and legend labels default to "sans-serif": register the same face under that name.
        for family in [FONT, "sans-serif"] {
            let _ = register_font(family, FontStyle::Normal, dejavu::sans::regular());
            let _ = register_font(family, FontStyle::Bold, dejavu::sans::bold());
        }
    });
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Chart {
    /// The chart as an SVG document.
    ///
    /// # Errors
    /// If plotters fails to draw (a description it cannot lay out).
    pub fn svg(&self) -> Result<String, String> {
        register_fonts();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(err)?;
        }
        Ok(out)
    }

    /// The chart as a PNG file at `path`.
    ///
    /// # Errors
    /// If drawing or encoding fails.
    pub fn png(&self, path: &std::path::Path) -> Result<(), String> {
        register_fonts();
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        self.draw(&root)?;
        root.present().map_err(err)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        match &self.kind {
            Kind::StackedArea { x, series } => self.stacked_area(root, x, series),
            Kind::StackedBars { categories, series } => self.stacked_bars(root, categories, series),
            Kind::BarsAndLine {
                categories,
                bars,
                line,
                line_axis,
                references,
            } => self.bars_and_line(root, categories, bars, line, line_axis, references),
            Kind::Lines { categories, series } => self.lines(root, categories, series),
            Kind::Fan { x, p10, p50, p90 } => self.fan(root, x, p10, p50, p90),
            Kind::Histogram {
                values,
                bins,
                marks,
            } => self.histogram(root, values, *bins, marks),
            Kind::Gantt { rows, start, end } => self.gantt(root, rows, *start, *end),
            Kind::Tornado { base, bars } => self.tornado(root, *base, bars),
            Kind::Fans { x, fans } => self.fans(root, x, fans),
            Kind::Scatter { groups, references } => self.scatter(root, groups, references),
        }
    }

    fn scatter<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        groups: &[(String, Vec<(f64, f64)>)],
        references: &[(String, f64)],
    ) -> Result<(), String> {
        let xs: Vec<f64> = groups
            .iter()
            .flat_map(|g| g.1.iter().map(|p| p.0))
            .collect();
        let (x0, x1) = span(&xs);
        let pad_x = (x1 - x0) * 0.04;
        let (y0, y1) = extent(
            groups
                .iter()
                .flat_map(|g| g.1.iter().map(|p| p.1))
                .chain(references.iter().map(|r| r.1)),
            (f64::INFINITY, f64::NEG_INFINITY),
        );
        let (y0, y1) = if y0.is_finite() && y1 > y0 {
            (y0 - (y1 - y0) * 0.06, y1 + (y1 - y0) * 0.06)
        } else if y0.is_finite() {
            (y0 - y0.abs().max(1.0) * 0.1, y0 + y0.abs().max(1.0) * 0.1)
        } else {
            (0.0, 1.0)
        };
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(x0 - pad_x..x1 + pad_x, y0..y1)
            .map_err(err)?;
        self.axes(&mut chart.configure_mesh())
            .x_label_formatter(&|v| short(*v))
            .y_label_formatter(&|v| short(*v))
            .draw()
            .map_err(err)?;
        for (label, y) in references {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0 - pad_x, *y), (x1 + pad_x, *y)],
                    8,
                    5,
                    RGBColor(0xb0, 0x30, 0x30).stroke_width(2),
                ))
                .map_err(err)?
                .label(label)
                .legend(stroke_key(RGBColor(0xb0, 0x30, 0x30).stroke_width(2)));
        }
        // Dark to light with a shape each, so groups stay apart in greyscale.
        for (k, (label, points)) in groups.iter().enumerate() {
            let colour = FILLS[k % 5];
            let style = colour.filled();
            let outline = BLACK.stroke_width(1);
            macro_rules! group {
                ($make:expr) => {{
                    chart
                        .draw_series(points.iter().map(|&p| ($make)(p)))
                        .map_err(err)?
                        .label(label)
                        .legend(move |(x, y): (i32, i32)| ($make)((x + 8, y)));
                }};
            }
            match k % 4 {
                0 => group!(move |p| EmptyElement::at(p)
                    + Circle::new((0, 0), 5, style)
                    + Circle::new((0, 0), 5, outline)),
                1 => group!(move |p| EmptyElement::at(p) + TriangleMarker::new((0, 0), 6, style)),
                2 => group!(move |p| EmptyElement::at(p)
                    + Rectangle::new([(-4, -4), (4, 4)], style)
                    + Rectangle::new([(-4, -4), (4, 4)], outline)),
                _ => group!(move |p| Cross::new(p, 5, colour.stroke_width(2))),
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }

    fn tornado<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        base: f64,
        bars: &[TornadoBar],
    ) -> Result<(), String> {
        let n = bars.len();
        let (lo, hi) = extent(bars.iter().flat_map(|b| [b.low, b.high]), (base, base));
        let pad = ((hi - lo) * 0.08)
            .max(hi.abs().max(lo.abs()) * 1e-6)
            .max(1e-12);
        let names: Vec<String> = bars.iter().rev().map(|b| b.label.clone()).collect();
        let mut chart = self
            .builder(root, false)
            .y_label_area_size(390)
            .build_cartesian_2d(lo - pad..hi + pad, -0.5..n as f64 - 0.5)
            .map_err(err)?;
        self.axes(&mut chart.configure_mesh())
            .disable_y_mesh()
            .y_labels(n.max(1) * 2 + 1)
            .x_label_formatter(&|v| short(*v))
            .y_label_formatter(&|v| category_label(&names, *v, 1))
            .draw()
            .map_err(err)?;
        // The largest swing on top: bar k of the ranking sits at row n − 1 − k.
        for (end, fill, label) in [
            (0usize, FILLS[0], "input at its low end"),
            (1, FILLS[2], "input at its high end"),
        ] {
            let rects = bars.iter().enumerate().flat_map(|(k, b)| {
                let y = (n - 1 - k) as f64;
                let v = if end == 0 { b.low } else { b.high };
                let v = if v.is_finite() { v } else { base };
                outlined([(base, y - 0.32), (v, y + 0.32)], fill)
            });
            chart
                .draw_series(rects)
                .map_err(err)?
                .label(label)
                .legend(swatch(fill));
        }
        chart
            .draw_series(LineSeries::new(
                vec![(base, -0.5), (base, n as f64 - 0.5)],
                BLACK.stroke_width(2),
            ))
            .map_err(err)?
            .label("base case")
            .legend(stroke_key(BLACK.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }

    fn fans<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        x: &[f64],
        fans: &[FanSeries],
    ) -> Result<(), String> {
        let (x0, x1) = span(x);
        let top = nice_top(
            fans.iter()
                .flat_map(|f| f.p90.iter().chain(&f.p50))
                .copied()
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max),
        );
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(x0..x1, 0.0..top)
            .map_err(err)?;
        self.mesh_years(&mut chart)?;
        let points = |v: &[f64]| -> Vec<(f64, f64)> {
            x.iter()
                .zip(v)
                .filter(|(_, b)| b.is_finite())
                .map(|(&a, &b)| (a, b))
                .collect()
        };
        for (k, f) in fans.iter().enumerate() {
            let fill = FILLS[(2 + 2 * k) % FILLS.len()];
            let mut band = points(&f.p90);
            band.extend(points(&f.p10).into_iter().rev());
            chart
                .draw_series(std::iter::once(Polygon::new(band, fill.mix(0.45).filled())))
                .map_err(err)?
                .label(format!("{} P10 to P90", f.label))
                .legend(swatch(fill));
        }
        for (k, f) in fans.iter().enumerate() {
            let style = BLACK.stroke_width(3);
            let line = points(&f.p50);
            let drawn = if k == 0 {
                chart.draw_series(LineSeries::new(line, style))
            } else {
                chart.draw_series(DashedLineSeries::new(line, 6 + 8 * k as u32, 6, style))
            };
            drawn
                .map_err(err)?
                .label(format!("{} P50", f.label))
                .legend(stroke_key(style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }

    fn builder<'a, 'b, DB: DrawingBackend>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        right_axis: bool,
    ) -> ChartBuilder<'a, 'b, DB> {
        let mut b = ChartBuilder::on(root);
        b.caption(&self.title, (FONT, 28).into_font().style(FontStyle::Bold))
            .margin(18)
            .x_label_area_size(56)
            .y_label_area_size(96);
        if right_axis {
            b.right_y_label_area_size(80);
        }
        b
    }

    fn stacked_area<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        x: &[f64],
        series: &[Series],
    ) -> Result<(), String> {
        let (x0, x1) = span(x);
        let totals: Vec<f64> = (0..x.len())
            .map(|i| series.iter().map(|s| at(&s.values, i)).sum())
            .collect();
        let top = nice_top(totals.iter().copied().fold(0.0, f64::max));
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(x0..x1, 0.0..top)
            .map_err(err)?;
        self.mesh_years(&mut chart)?;
        // Paint cumulative sums from the top layer down, each over the one above it.
        for (k, s) in series.iter().enumerate().rev() {
            let fill = FILLS[k % FILLS.len()];
            let upper: Vec<(f64, f64)> = x
                .iter()
                .enumerate()
                .map(|(i, &xi)| (xi, series[..=k].iter().map(|s| at(&s.values, i)).sum()))
                .collect();
            chart
                .draw_series(AreaSeries::new(upper, 0.0, fill.filled()).border_style(BLACK))
                .map_err(err)?
                .label(&s.label)
                .legend(swatch(fill));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }

    fn stacked_bars<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        categories: &[String],
        series: &[Series],
    ) -> Result<(), String> {
        let n = categories.len();
        let (low, high) = (0..n).fold((0.0f64, 0.0f64), |(lo, hi), i| {
            let pos: f64 = series.iter().map(|s| at(&s.values, i).max(0.0)).sum();
            let neg: f64 = series.iter().map(|s| at(&s.values, i).min(0.0)).sum();
            (lo.min(neg), hi.max(pos))
        });
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, nice_bottom(low)..nice_top(high))
            .map_err(err)?;
        self.mesh_categories(&mut chart, categories)?;
        let mut base_pos = vec![0.0; n];
        let mut base_neg = vec![0.0; n];
        for (k, s) in series.iter().enumerate() {
            let fill = FILLS[k % FILLS.len()];
            let mut bars = Vec::new();
            for i in 0..n {
                let v = at(&s.values, i);
                let base = if v >= 0.0 {
                    &mut base_pos[i]
                } else {
                    &mut base_neg[i]
                };
                let (a, b) = (*base, *base + v);
                *base = b;
                let x = i as f64;
                bars.extend(outlined([(x - 0.35, a), (x + 0.35, b)], fill));
            }
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(&s.label)
                .legend(swatch(fill));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }

    fn bars_and_line<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        categories: &[String],
        bars: &[Series],
        line: &Series,
        line_axis: &str,
        references: &[(String, f64)],
    ) -> Result<(), String> {
        let n = categories.len();
        let (low, high) = extent(
            bars.iter().flat_map(|s| s.values.iter().copied()),
            (0.0, 0.0),
        );
        let line_values = line
            .values
            .iter()
            .copied()
            .chain(references.iter().map(|r| r.1));
        let (l_low, l_high) = extent(line_values, (0.0, 1.0));
        let mut chart = self
            .builder(root, true)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, nice_bottom(low)..nice_top(high))
            .map_err(err)?
            .set_secondary_coord(-0.5..n as f64 - 0.5, nice_bottom(l_low)..nice_top(l_high));
        self.mesh_categories(&mut chart, categories)?;
        chart
            .configure_secondary_axes()
            .y_desc(line_axis)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(err)?;
        let width = 0.8 / bars.len().max(1) as f64;
        for (k, s) in bars.iter().enumerate() {
            let fill = FILLS[(k * 2) % FILLS.len()];
            let rects = (0..n).flat_map(|i| {
                let x = i as f64 - 0.4 + width * k as f64;
                outlined([(x, 0.0), (x + width, at(&s.values, i))], fill)
            });
            chart
                .draw_series(rects)
                .map_err(err)?
                .label(&s.label)
                .legend(swatch(fill));
        }
        let points = indexed(&line.values);
        chart
            .draw_secondary_series(LineSeries::new(points.clone(), BLACK.stroke_width(3)))
            .map_err(err)?
            .label(format!("{} (right axis)", line.label))
            .legend(stroke_key(BLACK.stroke_width(3)));
        chart
            .draw_secondary_series(points.iter().map(|&p| Circle::new(p, 4, BLACK.filled())))
            .map_err(err)?;
        let greys = [RGBColor(0x55, 0x55, 0x55), RGBColor(0x99, 0x99, 0x99)];
        for (k, (label, v)) in references.iter().enumerate() {
            let colour = greys[k % greys.len()];
            chart
                .draw_secondary_series(DashedLineSeries::new(
                    vec![(-0.5, *v), (n as f64 - 0.5, *v)],
                    10 + 4 * k as u32,
                    6,
                    colour.stroke_width(2),
                ))
                .map_err(err)?
                .label(label.clone())
                .legend(stroke_key(colour.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }

    fn lines<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        categories: &[String],
        series: &[Series],
    ) -> Result<(), String> {
        let n = categories.len();
        let (low, high) = extent(
            series.iter().flat_map(|s| s.values.iter().copied()),
            (0.0, 0.0),
        );
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, nice_bottom(low)..nice_top(high))
            .map_err(err)?;
        self.mesh_categories(&mut chart, categories)?;
        for (k, s) in series.iter().enumerate() {
            let points = indexed(&s.values);
            // The first series solid black, the second dashed grey; beyond two (a curve per
            // objective), each its own colour, dash length and marker, told apart in greyscale by
            // the dashes and markers.
            let style = match k {
                0 => BLACK.stroke_width(3),
                1 => RGBColor(0x66, 0x66, 0x66).stroke_width(2),
                _ => LINE_COLOURS[(k - 2) % LINE_COLOURS.len()].stroke_width(2),
            };
            let dash = 4 + 3 * (k as u32 % 4);
            let drawn = if k == 0 {
                chart.draw_series(LineSeries::new(points.clone(), style))
            } else {
                chart.draw_series(DashedLineSeries::new(points.clone(), dash, 5, style))
            };
            drawn
                .map_err(err)?
                .label(&s.label)
                .legend(stroke_key(style));
            match k % 3 {
                0 => chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, style.filled())))
                    .map(|_| ()),
                1 => chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| TriangleMarker::new(p, 5, style.filled())),
                    )
                    .map(|_| ()),
                _ => chart
                    .draw_series(points.iter().map(|&p| Cross::new(p, 4, style)))
                    .map(|_| ()),
            }
            .map_err(err)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }

    fn fan<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        x: &[f64],
        p10: &[f64],
        p50: &[f64],
        p90: &[f64],
    ) -> Result<(), String> {
        let (x0, x1) = span(x);
        let top = nice_top(p90.iter().chain(p50).copied().fold(0.0, f64::max));
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(x0..x1, 0.0..top)
            .map_err(err)?;
        self.mesh_years(&mut chart)?;
        let band_fill = FILLS[2];
        let mut band: Vec<(f64, f64)> = x.iter().zip(p90).map(|(&a, &b)| (a, b)).collect();
        band.extend(x.iter().zip(p10).rev().map(|(&a, &b)| (a, b)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, band_fill.filled())))
            .map_err(err)?
            .label("P10 to P90")
            .legend(swatch(band_fill));
        for (values, label, dashed) in [(p10, "P10", true), (p90, "P90", true), (p50, "P50", false)]
        {
            let points: Vec<(f64, f64)> = x.iter().zip(values).map(|(&a, &b)| (a, b)).collect();
            if dashed {
                let style = RGBColor(0x33, 0x33, 0x33).stroke_width(1);
                chart
                    .draw_series(DashedLineSeries::new(points, 8, 5, style))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(points, BLACK.stroke_width(3)))
                    .map_err(err)?
                    .label(label)
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(3))
                    });
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }

    fn histogram<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        values: &[f64],
        bins: usize,
        marks: &[(String, f64)],
    ) -> Result<(), String> {
        let ((lo, hi), counts) = binned(values, bins);
        let width = (hi - lo) / counts.len() as f64;
        let top = f64::from(counts.iter().copied().max().unwrap_or(1)) * 1.15;
        let mut chart = self
            .builder(root, false)
            .build_cartesian_2d(lo..hi, 0.0..top.max(1.0))
            .map_err(err)?;
        self.axes(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_label_formatter(&|v| short(*v))
            .draw()
            .map_err(err)?;
        let fill = FILLS[1];
        chart
            .draw_series(counts.iter().enumerate().flat_map(|(i, &c)| {
                let a = lo + width * i as f64;
                outlined([(a, 0.0), (a + width, f64::from(c))], fill)
            }))
            .map_err(err)?
            .label("replications")
            .legend(swatch(fill));
        for (k, (label, v)) in marks.iter().enumerate() {
            let style = if k == 1 {
                BLACK.stroke_width(3)
            } else {
                RGBColor(0x55, 0x55, 0x55).stroke_width(2)
            };
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(*v, 0.0), (*v, top)],
                    if k == 1 { 14 } else { 6 },
                    5,
                    style,
                ))
                .map_err(err)?
                .label(label.clone())
                .legend(stroke_key(style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }

    fn gantt<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
        rows: &[GanttRow],
        start: f64,
        end: f64,
    ) -> Result<(), String> {
        let n = rows.len();
        let names: Vec<String> = rows.iter().map(|r| r.site.clone()).collect();
        let mut chart = self
            .builder(root, false)
            .y_label_area_size(170)
            .build_cartesian_2d(start..end, -0.5..n as f64 - 0.5)
            .map_err(err)?;
        self.axes(&mut chart.configure_mesh())
            .disable_y_mesh()
            .y_labels(n.max(1) * 2 + 1)
            .x_label_formatter(&|v| format!("{}", v.floor() as i64))
            .y_label_formatter(&|v| category_label(&names, *v, 1))
            .draw()
            .map_err(err)?;
        let stages = rows.first().map_or(0, |r| r.stages.len());
        for k in 0..stages {
            let label = rows[0].stages[k].0.clone();
            // P50 to P90 as a thin bar, so the spread of each stage shows.
            let spread = rows.iter().enumerate().filter_map(|(i, r)| {
                let (_, p50, p90) = &r.stages[k];
                let (a, b) = ((*p50)?, p90.unwrap_or(end));
                let y = i as f64 + offset(k, stages);
                Some(Rectangle::new(
                    [(a, y - 0.03), (b, y + 0.03)],
                    RGBColor(0x88, 0x88, 0x88).filled(),
                ))
            });
            chart.draw_series(spread).map_err(err)?;
            for (filled, pick) in [(true, 1), (false, 2)] {
                let points: Vec<(f64, f64)> = rows
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        let stage = &r.stages[k];
                        let x = if pick == 1 { stage.1 } else { stage.2 };
                        x.map(|x| (x, i as f64 + offset(k, stages)))
                    })
                    .collect();
                let label = filled.then(|| label.clone());
                markers(&mut chart, k, &points, filled, label)?;
            }
        }
        chart
            .draw_series(std::iter::once(Circle::new((start, -10.0), 0, WHITE)))
            .map_err(err)?
            .label("filled: P50 · hollow: P90")
            .legend(|(x, y)| Circle::new((x + 8, y), 0, WHITE));
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }

    /// Axis titles, label fonts and light grid lines, the same on every chart.
    fn axes<'m, 'a, 'b, DB: DrawingBackend>(
        &self,
        mesh: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB>,
    ) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
            .bold_line_style(RGBColor(0xd0, 0xd0, 0xd0))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
    }

    fn mesh_years<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> Result<(), String> {
        self.axes(&mut chart.configure_mesh())
            .x_label_formatter(&|v| format!("{}", v.floor() as i64))
            .y_label_formatter(&|v| short(*v))
            .draw()
            .map_err(err)
    }

    fn mesh_categories<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        categories: &[String],
    ) -> Result<(), String> {
        let n = categories.len();
        // One label per category, thinned when there are many.
        let step = n.div_ceil(16).max(1);
        self.axes(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|v| category_label(categories, *v, step))
            .y_label_formatter(&|v| short(*v))
            .draw()
            .map_err(err)
    }
}

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 16))
        .draw()
        .map_err(err)
}

/// The counts of `values` in `bins` equal bins over their finite range (a unit wide around a
/// single value): the range the bins cover and each bin's count. The SVG's histogram and the
/// page's interactive one count alike.
pub(crate) fn binned(values: &[f64], bins: usize) -> ((f64, f64), Vec<u32>) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = span(&finite);
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in &finite {
        counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
    }
    ((lo, hi), counts)
}

/// Vertical offset of stage `k` of `n` within a site's row, so markers of one site do not overlap.
pub(crate) fn offset(k: usize, n: usize) -> f64 {
    if n <= 1 {
        0.0
    } else {
        -0.3 + 0.6 * k as f64 / (n - 1) as f64
    }
}

/// Markers of stage `shape` at `points`: filled for P50, hollow for P90; `label` adds a legend entry.
fn markers<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    shape: usize,
    points: &[(f64, f64)],
    filled: bool,
    label: Option<String>,
) -> Result<(), String> {
    let style = if filled {
        BLACK.filled()
    } else {
        BLACK.stroke_width(2)
    };
    macro_rules! series {
        // The shape is pasted twice: once in data coordinates, once in legend pixels.
        ($make:expr) => {{
            let drawn = chart
                .draw_series(points.iter().map(|&p| ($make)(p)))
                .map_err(err)?;
            if let Some(label) = label {
                drawn
                    .label(label)
                    .legend(move |(x, y): (i32, i32)| ($make)((x + 8, y)));
            }
        }};
    }
    // Seven shapes for the seven stages of a site, so no two stages look alike. Plotters fills
    // polygons whatever the style, so a hollow polygon is drawn as its closed outline.
    match shape % 7 {
        0 => series!(move |p| Circle::new(p, 7, style)),
        2 => series!(move |p| Cross::new(p, 7, BLACK.stroke_width(if filled { 4 } else { 2 }))),
        3 => series!(move |p| EmptyElement::at(p) + Rectangle::new([(-6, -6), (6, 6)], style)),
        k if filled => series!(move |p| EmptyElement::at(p) + Polygon::new(vertices(k), style)),
        k => series!(move |p| {
            let mut outline = vertices(k);
            outline.push(outline[0]);
            EmptyElement::at(p) + PathElement::new(outline, style)
        }),
    }
    Ok(())
}

/// Corners of the polygon markers, in pixels around the point: triangle, diamond, inverted
/// triangle, star.
fn vertices(shape: usize) -> Vec<(i32, i32)> {
    match shape % 7 {
        1 => vec![(0, -9), (8, 6), (-8, 6)],
        4 => vec![(0, -9), (8, 0), (0, 9), (-8, 0)],
        5 => vec![(-8, -7), (8, -7), (0, 8)],
        _ => vec![
            (0, -9),
            (3, -3),
            (9, -3),
            (4, 2),
            (6, 9),
            (0, 5),
            (-6, 9),
            (-4, 2),
            (-9, -3),
            (-3, -3),
        ],
    }
}

/// The name of category `v` on an index axis (every `step`-th one), blank between categories.
fn category_label(names: &[String], v: f64, step: usize) -> String {
    let i = v.round();
    if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize).is_multiple_of(step) {
        names.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// Smallest and largest finite value, widened to include `start` (an axis from zero).
fn extent(values: impl Iterator<Item = f64>, start: (f64, f64)) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold(start, |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// The finite values as points at their index (category axis).
fn indexed(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| (i as f64, v))
        .collect()
}

/// A bar: `fill` inside a black outline, so adjacent bars stay apart in greyscale.
fn outlined(corners: [(f64, f64); 2], fill: RGBColor) -> [Rectangle<(f64, f64)>; 2] {
    [
        Rectangle::new(corners, fill.filled()),
        Rectangle::new(corners, BLACK.stroke_width(1)),
    ]
}

/// Legend key of a filled series.
fn swatch(fill: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], fill.filled())
}

/// Legend key of a line.
fn stroke_key(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style)
}

fn at(values: &[f64], i: usize) -> f64 {
    values
        .get(i)
        .copied()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn span(x: &[f64]) -> (f64, f64) {
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1e-9 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// An axis top with 8 % headroom above `v` (1 if `v` is not positive).
fn nice_top(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    v * 1.08
}

/// An axis bottom with 8 % room below a negative `v` (0 otherwise).
fn nice_bottom(v: f64) -> f64 {
    if v >= 0.0 || !v.is_finite() {
        0.0
    } else {
        v * 1.08
    }
}

/// An axis tick: 1.2k, 3.4m, 5.6bn.
pub(crate) fn short(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e12 {
        (v / 1e12, "tn")
    } else if a >= 1e9 {
        (v / 1e9, "bn")
    } else if a >= 1e6 {
        (v / 1e6, "m")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if x.abs() >= 100.0 || x == x.round() {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    format!(
        "{}{suffix}",
        crate::format::fixed(text.parse().unwrap_or(x), decimals(&text))
    )
}

fn decimals(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, d)| d.len())
}
