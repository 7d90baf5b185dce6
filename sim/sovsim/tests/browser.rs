//! `report.html` in a real browser: headless Chromium opens it from disk with the network cut
//! off, and the page must load every chart and draw every interactive figure with no error, no
//! failed request and no `console.error`, showing `summary.json`'s headline figures. A page that
//! fetches something is caught the same way, so the test can fail. Each section is photographed
//! (one full-page screenshot cut at the places the page reports for its sections), and the page
//! is printed to PDF as a reader's browser would print it.
//!
//! Chromium is Debian's `chromium` (`./dev setup` installs it with the tests' other packages);
//! `SOVSIM_CHROMIUM` names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::sovsim;

fn chromium() -> String {
    std::env::var("SOVSIM_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Width of the browser's window [px]: a laptop's, and the same for every pass over a page, so
/// sections sit in the screenshot where the page measured them.
const WIDTH_PX: u32 = 1400;

/// Chromium's flags for a page opened offline: no sandbox (tests may run as root), no GPU, and
/// every host name unresolvable and every proxy connection refused, so any request fails.
fn offline(extra: &[&str], url: &str) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        "--virtual-time-budget=15000",
    ])
    .args(extra)
    .arg(url);
    c
}

/// The address of a file on disk.
fn url(page: &Path) -> String {
    format!("file://{}", page.display())
}

/// Chromium run offline on `page` with `extra` flags, asserting it succeeds: what it printed.
fn browse(extra: &[&str], page: &Path) -> String {
    let out = offline(extra, &url(page)).output().unwrap_or_else(|e| {
        panic!(
            "cannot start `{}` ({e}): install Chromium (`./dev setup` does) or name it in SOVSIM_CHROMIUM",
            chromium()
        )
    });
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The page's DOM once loaded, as Chromium serialises it.
fn dom(page: &Path) -> String {
    browse(
        &["--dump-dom", &format!("--window-size={WIDTH_PX},900")],
        page,
    )
}

/// The value of `attribute` on the page's `<html>` element, if set.
fn mark<'a>(dom: &'a str, attribute: &str) -> Option<&'a str> {
    let html = &dom[dom.find("<html")?..];
    let html = &html[..html.find('>')?];
    let at = html.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    html[at..].split('"').next()
}

#[test]
fn the_eu_report_renders_offline_in_chromium_with_every_chart_and_no_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("eu");
    let out_s = out.display().to_string();
    sovsim(&[
        "run",
        "scenarios/eu-sovereign-2030.toml",
        "--runs",
        "20",
        "--out",
        &out_s,
    ]);
    let page = out.join("report.html");
    let bytes = std::fs::metadata(&page).expect("report.html").len();
    assert!(bytes < 10 << 20, "report.html is {bytes} bytes");
    let dom = dom(&page);
    assert_eq!(
        mark(&dom, "data-ready"),
        Some("true"),
        "the page never finished loading"
    );
    assert_eq!(mark(&dom, "data-errors"), None, "errors in the page");
    let charts = std::fs::read_dir(out.join("charts"))
        .expect("charts")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "svg"))
        })
        .count();
    assert!(charts >= 12);
    assert_eq!(mark(&dom, "data-charts"), Some(charts.to_string().as_str()));
    // Every table with a header sorts by its columns; long ones can be filtered.
    let headed = dom.matches("<thead").count();
    let sortable: usize = mark(&dom, "data-tables")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        sortable >= 10 && sortable <= headed,
        "{sortable} of {headed} tables sort"
    );
    assert!(dom.contains("aria-sort=\"none\"") && dom.contains("role=\"button\""));
    assert!(
        dom.contains("class=\"filter\""),
        "a long table has a filter"
    );
    // The headline figures it shows are summary.json's, formatted as the PDF formats them.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).expect("summary"))
            .expect("JSON");
    let shown: String = sovsim_report::html::text(&dom).split_whitespace().collect();
    for key in [
        "npv_eur",
        "project_irr",
        "dscr_min",
        "capex_total_eur",
        "energy_twh_total",
    ] {
        for q in ["p10", "p50", "p90"] {
            let value = summary[format!("{key}_{q}")].as_f64().expect("a figure");
            let figure: String = sovsim_report::document::headline_format(key)(value)
                .split_whitespace()
                .collect();
            assert!(shown.contains(&figure), "{key}_{q} = {figure} is not shown");
        }
    }
    // Each section has an address, and the page lists them at the top.
    let sections: Vec<&str> = dom
        .split("<h2 id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert!(sections.len() >= 10, "{sections:?}");
    for id in ["executive-summary", "risk", "assumptions"] {
        assert!(sections.contains(&id), "{sections:?}");
        assert!(dom.contains(&format!("href=\"#{id}\"")), "{id} is linked");
    }
    // Every chart is an interactive figure, each with its legend entries to click.
    assert_eq!(mark(&dom, "data-plots"), Some(charts.to_string().as_str()));
    assert!(dom.matches("class=\"legendtoggle\"").count() >= charts);
    // A screenshot of each section, for people to look at (kept in SOVSIM_SCREENSHOTS if set).
    let shots = std::env::var_os("SOVSIM_SCREENSHOTS").map_or_else(|| out.clone(), PathBuf::from);
    let taken = photograph(&page, &dom, &shots, "report");
    assert_eq!(taken.len(), sections.len());
    // Printed as a reader's browser prints it: the charts' SVGs in place of the figures, each
    // section from a new page.
    let printed = out.join("report-printed.pdf");
    print(&page, &printed);
    let pages = pdf_pages(&printed);
    assert!(
        pages >= sections.len() && pages <= 200,
        "printed on {pages} pages"
    );
}

/// Prints `page` to `pdf` as Chromium's print preview would (A4, the page's print styles).
fn print(page: &Path, pdf: &Path) {
    let to = format!("--print-to-pdf={}", pdf.display());
    browse(&["--no-pdf-header-footer", &to], page);
    assert!(
        std::fs::metadata(pdf).is_ok_and(|m| m.len() > 10_000),
        "printing wrote no PDF"
    );
}

/// The number of pages of a PDF Chromium wrote (each page is an object of type `/Page`).
fn pdf_pages(pdf: &Path) -> usize {
    let bytes = std::fs::read(pdf).expect("the PDF");
    bytes
        .windows(11)
        .filter(|w| w == b"/Type /Page")
        .count()
        .saturating_sub(bytes.windows(12).filter(|w| w == b"/Type /Pages").count())
}

/// A screenshot of each section of `page` in `dir` (`STEM-ID.png`), cut from one screenshot of
/// the whole page at the places the page reported in `data-sections` (measured at the same
/// width); each must show something. Returns the files.
fn photograph(page: &Path, dom: &str, dir: &Path, stem: &str) -> Vec<PathBuf> {
    let height: u32 = mark(dom, "data-height")
        .and_then(|h| h.parse().ok())
        .expect("the page reports its height");
    let sections: Vec<(String, u32, u32)> = mark(dom, "data-sections")
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|s| {
            let mut parts = s.rsplitn(3, ':');
            let bottom = parts.next()?.parse().ok()?;
            let top = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_owned(), top, bottom))
        })
        .collect();
    std::fs::create_dir_all(dir).expect("screenshot folder");
    let whole = dir.join(format!(".{stem}-whole.png"));
    let window = format!("--window-size={WIDTH_PX},{height}");
    let shot = format!("--screenshot={}", whole.display());
    browse(&[&window, &shot], page);
    let image = Image::read(&whole);
    let _ = std::fs::remove_file(&whole);
    assert_eq!(image.width, WIDTH_PX);
    sections
        .iter()
        .map(|(id, top, bottom)| {
            // A long section (the assumptions) is shown by its first screens.
            let rows = (*top).min(image.height)..(*bottom).min(image.height).min(top + 4000);
            let part = image.rows(rows);
            let ink = part.ink();
            assert!(
                ink > 0.01,
                "section {id} looks blank ({ink:.4} of it is ink)"
            );
            let file = dir.join(format!("{stem}-{id}.png"));
            part.write(&file);
            file
        })
        .collect()
}

/// An RGBA image, 8 bits a channel.
struct Image {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Image {
    fn read(path: &Path) -> Self {
        let bytes = std::fs::read(path).expect("the screenshot");
        // A whole page is far above the decoder's default 64 MiB.
        let limits = png::Limits { bytes: 1 << 31 };
        let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
        decoder.set_transformations(png::Transformations::ALPHA | png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut pixels).expect("pixels");
        assert_eq!(
            info.color_type,
            png::ColorType::Rgba,
            "{:?}",
            info.color_type
        );
        pixels.truncate(info.buffer_size());
        Self {
            width: info.width,
            height: info.height,
            pixels,
        }
    }

    fn rows(&self, rows: std::ops::Range<u32>) -> Self {
        let line = self.width as usize * 4;
        Self {
            width: self.width,
            height: rows.len() as u32,
            pixels: self.pixels[rows.start as usize * line..rows.end as usize * line].to_vec(),
        }
    }

    /// The share of pixels that are not white.
    fn ink(&self) -> f64 {
        let pixels = self.pixels.chunks_exact(4);
        let n = pixels.len().max(1);
        pixels.filter(|p| p[..3].iter().any(|&c| c < 0xf0)).count() as f64 / n as f64
    }

    fn write(&self, path: &Path) {
        let file = std::fs::File::create(path).expect("a screenshot file");
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("a PNG header");
        writer.write_image_data(&self.pixels).expect("PNG data");
    }
}

#[test]
fn a_page_that_fetches_anything_is_caught() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let page = dir.path().join("fetches.html");
    let html = sovsim_report::html::page(
        "<!DOCTYPE html><html><head><title>t</title></head><body><img src=\"https://cdn.example.org/chart.png\"><script>console.error('boom')</script></body></html>",
        &std::collections::BTreeMap::new(),
    );
    std::fs::write(&page, html).expect("written");
    let dom = dom(&page);
    assert_eq!(mark(&dom, "data-ready"), Some("true"));
    let errors = mark(&dom, "data-errors").unwrap_or("");
    assert!(
        errors.contains("failed to load https://cdn.example.org/chart.png"),
        "{errors}"
    );
    assert!(errors.contains("boom"), "{errors}");
}

#[test]
fn the_comparison_and_the_sweep_render_offline_too() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let compare = dir.path().join("compare");
    let sweep = dir.path().join("sweep");
    let (compare_s, sweep_s) = (compare.display().to_string(), sweep.display().to_string());
    sovsim(&[
        "compare",
        "scenarios/quickstart.toml",
        "scenarios/second-source-200mw.toml",
        "--runs",
        "5",
        "--out",
        &compare_s,
    ]);
    let sweep_file = "sweeps/quickstart-grid-rent.toml";
    sovsim(&[
        "sweep",
        "run",
        sweep_file,
        "--allow-path",
        "scenarios",
        "--out",
        &sweep_s,
    ]);
    sovsim(&[
        "sweep",
        "merge",
        sweep_file,
        "--allow-path",
        "scenarios",
        "--out",
        &sweep_s,
    ]);
    let shots = std::env::var_os("SOVSIM_SCREENSHOTS").map(PathBuf::from);
    for (page, stem) in [
        (compare.join("compare.html"), "compare"),
        (sweep.join("sweep.html"), "sweep"),
    ] {
        let dom = dom(&page);
        assert_eq!(mark(&dom, "data-ready"), Some("true"), "{}", page.display());
        assert_eq!(mark(&dom, "data-errors"), None, "{}", page.display());
        assert!(
            mark(&dom, "data-charts").is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n >= 2)),
            "{}",
            page.display()
        );
        assert_eq!(mark(&dom, "data-plots"), mark(&dom, "data-charts"));
        let taken = photograph(&page, &dom, shots.as_deref().unwrap_or(dir.path()), stem);
        assert!(!taken.is_empty());
    }
}
