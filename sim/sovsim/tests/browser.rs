//! `report.html` in a real browser: headless Chromium opens it from disk with the network cut
//! off, and the page must load every chart with no error, no failed request and no
//! `console.error`, showing `summary.json`'s headline figures. A page that fetches something is
//! caught the same way, so the test can fail.
//!
//! Chromium is Debian's `chromium` (`./dev setup` installs it with the tests' other packages);
//! `SOVSIM_CHROMIUM` names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> String {
    std::env::var("SOVSIM_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

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

/// The page's DOM once loaded, as Chromium serialises it.
fn dom(page: &Path) -> String {
    let out = offline(&["--dump-dom"], &url(page)).output().unwrap_or_else(|e| {
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
    // A screenshot of the first screen, for people to look at (kept in SOVSIM_SCREENSHOTS if
    // set).
    let shots = std::env::var_os("SOVSIM_SCREENSHOTS").map_or_else(|| out.clone(), PathBuf::from);
    let shot = shots.join("report.png");
    let took = offline(
        &[
            "--hide-scrollbars",
            "--window-size=1400,1800",
            &format!("--screenshot={}", shot.display()),
        ],
        &url(&page),
    )
    .output()
    .expect("chromium runs");
    assert!(took.status.success());
    assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000));
}

#[test]
fn a_page_that_fetches_anything_is_caught() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let page = dir.path().join("fetches.html");
    let html = sovsim_report::html::page(
        "<!DOCTYPE html><html><head><title>t</title></head><body><img src=\"https://cdn.example.org/chart.png\"><script>console.error('boom')</script></body></html>",
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

/// Runs sovsim in the repository, asserting it succeeds.
fn sovsim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sovsim"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("sovsim runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    for page in [compare.join("compare.html"), sweep.join("sweep.html")] {
        let dom = dom(&page);
        assert_eq!(mark(&dom, "data-ready"), Some("true"), "{}", page.display());
        assert_eq!(mark(&dom, "data-errors"), None, "{}", page.display());
        assert!(
            mark(&dom, "data-charts").is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n >= 2)),
            "{}",
            page.display()
        );
    }
}
