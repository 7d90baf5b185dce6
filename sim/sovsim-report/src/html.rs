//! The HTML beside each PDF: typst's HTML export of the same template, from the same `/data.json`
//! and charts — the same sections, words and figures — made a self-contained page: styles and a
//! script inline, charts as data URLs, nothing fetched when it is opened (a ministry's or a
//! lender's machine may be offline or behind a firewall).
//!
//! On screen each chart is an interactive plotly.js figure ([`crate::plots`]): plotly.js itself
//! is inlined from the `plotly` crate, which carries it (never a CDN), and each figure's data
//! is a JSON block in the page. The chart's SVG stays beside it for print, where it is sharper
//! and drawn for greyscale.
//!
//! The script marks the page for tests and tools: `data-ready="true"` on `<html>` once every
//! chart has loaded and every figure has been drawn, `data-charts` (charts as images),
//! `data-plots` (figures drawn), `data-tables` (tables made sortable), `data-sections` (each
//! section's id and place on the page, for screenshots), and `data-errors` with every error,
//! failed load or `console.error` seen.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

/// Styles: readable without colour (rules and weight carry the structure), on a laptop screen
/// (a measure of about 60 characters' width per column of text, tables scrolling within
/// themselves), and printed (A4, figures and table rows kept whole).
const STYLE: &str = r#"
:root { --ink: #1b2a49; --rule: #9aa3b5; --faint: #5a5a5a; }
html { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.45; color: #111; background: #fff; }
body { max-width: 66rem; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
h1, h2, h3, h4 { color: var(--ink); line-height: 1.2; margin: 2rem 0 0.6rem; }
h2 { font-size: 1.5rem; border-bottom: 2px solid var(--ink); padding-bottom: 0.2rem; }
h3 { font-size: 1.15rem; }
p { max-width: 52rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.85rem; display: block; overflow-x: auto; max-width: 100%; }
th { text-align: left; font-weight: bold; color: var(--ink); border-bottom: 2px solid var(--ink); padding: 0.25rem 0.6rem 0.25rem 0; vertical-align: bottom; }
td { border-bottom: 1px solid var(--rule); padding: 0.2rem 0.6rem 0.2rem 0; vertical-align: top; }
figure { margin: 1.2rem 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: 0.85rem; color: var(--faint); margin-top: 0.3rem; }
code { font-size: 0.9em; }
th[role=button] { cursor: pointer; }
div.plot { width: 100%; min-height: 300px; border: 1px solid var(--rule); }
/* typst writes the image's display inline: only !important hides it on screen. */
@media screen { img.static { display: none !important; } }
th[aria-sort=ascending]::after { content: " \25B2"; }
th[aria-sort=descending]::after { content: " \25BC"; }
nav.sections { font-size: 0.85rem; line-height: 1.8; border-top: 1px solid var(--rule); border-bottom: 1px solid var(--rule); padding: 0.3rem 0; margin-bottom: 1rem; }
nav.sections a { color: var(--ink); }
input.filter { display: block; margin: 1rem 0 0; padding: 0.25rem 0.4rem; width: 18rem; font: inherit; font-size: 0.85rem; border: 1px solid var(--rule); }
@media print {
  input.filter, nav.sections, div.plot { display: none; }
  @page { size: A4; margin: 1.6cm; }
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  h2 { break-before: page; }
  figure, tr { break-inside: avoid; }
  table { display: table; overflow: visible; }
}
"#;

/// The marks for tests and tools (see the module's documentation); first in `<head>`, so that
/// it sees every error after it.
const SCRIPT: &str = r#"
(function () {
  var root = document.documentElement, seen = [];
  function note(message) { seen.push(String(message)); root.setAttribute("data-errors", seen.join(" | ")); }
  window.addEventListener("error", function (e) {
    var t = e.target;
    note(t && t !== window ? "failed to load " + (t.src || t.href || t.tagName) : e.message);
  }, true);
  window.addEventListener("unhandledrejection", function (e) { note(e.reason); });
  var error = console.error;
  console.error = function () { note(Array.prototype.join.call(arguments, " ")); error.apply(console, arguments); };
  // Tables with a header sort by any column (numbers by value: €1.2bn, 12.4 %, 1.31×, dates),
  // and a long one filters its rows by what they contain.
  function key(text) {
    var t = text.replace(/\u2212/g, "-").replace(/[€,\s%×]/g, "");
    if (/^\d{4}-\d{2}(-\d{2})?$/.test(t)) { return Date.parse(t.length === 7 ? t + "-01" : t); }
    var m = /^(-?\d+(?:\.\d+)?)(k|m|bn|tn)?/.exec(t);
    if (!m) { return null; }
    var scale = { k: 1e3, m: 1e6, bn: 1e9, tn: 1e12 }[m[2]] || 1;
    return parseFloat(m[1]) * scale;
  }
  function sortable(table) {
    var head = table.tHead, body = table.tBodies[0];
    if (!head || !body || body.rows.length < 2) { return false; }
    var cells = head.rows[head.rows.length - 1].cells;
    Array.prototype.forEach.call(cells, function (th, column) {
      th.setAttribute("role", "button");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      th.title = "Sort by this column";
      function sort() {
        var down = th.getAttribute("aria-sort") === "ascending";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column] ? a.cells[column].textContent.trim() : "";
          var y = b.cells[column] ? b.cells[column].textContent.trim() : "";
          var kx = key(x), ky = key(y), order;
          if (kx !== null && ky !== null) { order = kx - ky; }
          else if (kx !== null) { order = -1; } else if (ky !== null) { order = 1; }
          else { order = x.localeCompare(y); }
          return down ? -order : order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        Array.prototype.forEach.call(cells, function (c) { c.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
    if (body.rows.length > 8) {
      var input = document.createElement("input");
      input.type = "search";
      input.className = "filter";
      input.placeholder = "Filter these " + body.rows.length + " rows";
      input.setAttribute("aria-label", "Filter the table's rows");
      input.addEventListener("input", function () {
        var q = input.value.toLowerCase();
        Array.prototype.forEach.call(body.rows, function (r) {
          r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
        });
      });
      table.parentNode.insertBefore(input, table);
    }
    return true;
  }
  // Each chart's image gives way on screen to its figure, drawn by plotly.js from the page's
  // JSON block; the image stays for print.
  function plots() {
    var source = document.getElementById("sovsim-figures");
    if (!source) { return Promise.resolve(); }
    if (!window.Plotly) { note("the charting library did not load"); return Promise.resolve(); }
    var figures = JSON.parse(source.textContent), drawn = [], divs = [];
    Array.prototype.forEach.call(document.querySelectorAll("img[alt]"), function (img) {
      var figure = figures[img.getAttribute("alt")];
      if (!figure) { return; }
      var div = document.createElement("div");
      div.className = "plot";
      div.setAttribute("role", "img");
      div.setAttribute("aria-label", img.getAttribute("alt"));
      img.parentNode.insertBefore(div, img);
      img.className = "static";
      divs.push(div);
      drawn.push(Plotly.newPlot(div, figure.data, figure.layout, figure.config));
    });
    return Promise.all(drawn).then(function () {
      var shown = divs.filter(function (d) { return d.querySelector(".main-svg") !== null; }).length;
      if (shown < divs.length) { note((divs.length - shown) + " figure(s) did not draw"); }
      root.setAttribute("data-plots", String(shown));
    });
  }
  // Where each section sits on the page once laid out: "id:top:bottom" in CSS pixels.
  function sections() {
    var heads = document.querySelectorAll("h2[id]"), out = [];
    for (var i = 0; i < heads.length; i++) {
      var top = heads[i].getBoundingClientRect().top + window.scrollY;
      var bottom = i + 1 < heads.length
        ? heads[i + 1].getBoundingClientRect().top + window.scrollY
        : document.documentElement.scrollHeight;
      out.push(heads[i].id + ":" + Math.floor(top) + ":" + Math.ceil(bottom));
    }
    root.setAttribute("data-sections", out.join(" "));
    root.setAttribute("data-height", String(document.documentElement.scrollHeight));
  }
  var waiting = 2;
  function done() {
    waiting -= 1;
    if (waiting === 0) { sections(); root.setAttribute("data-ready", "true"); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var sorted = Array.prototype.filter.call(document.querySelectorAll("table"), sortable);
    root.setAttribute("data-tables", String(sorted.length));
    var drawing;
    try { drawing = plots(); } catch (e) { note(e); drawing = Promise.resolve(); }
    drawing.then(done, function (e) { note("a figure failed: " + e); done(); });
  });
  window.addEventListener("load", function () {
    var images = document.images, broken = 0;
    for (var i = 0; i < images.length; i++) { if (!images[i].complete || images[i].naturalWidth === 0) { broken++; } }
    if (broken > 0) { note(broken + " chart(s) did not render"); }
    root.setAttribute("data-charts", String(images.length));
    done();
  });
})();
"#;

/// `html`, as typst exported it, made a self-contained page: the styles and the script in its
/// `<head>`, with plotly.js and the chart `figures` by name (the `alt` of each chart's image)
/// when there are any, an id on each section's heading (`#executive-summary`: a link to a
/// section), and a list of the sections at the top.
pub fn page(html: &str, figures: &BTreeMap<String, Value>) -> String {
    let (html, sections) = anchored(html);
    let mut head = format!("<style>{STYLE}</style>\n<script>{SCRIPT}</script>\n");
    if !figures.is_empty() {
        // `<` as `\u003c`, so no label can close the block; JSON.parse reads it back.
        let json = serde_json::to_string(figures)
            .unwrap_or_else(|_| "{}".to_owned())
            .replace('<', "\\u003c");
        head.push_str(plotly_js());
        head.push_str(&format!(
            "\n<script type=\"application/json\" id=\"sovsim-figures\">{json}</script>\n"
        ));
    }
    let mut out = match html.find("</head>") {
        Some(at) => format!("{}{head}{}", &html[..at], &html[at..]),
        None => format!("{head}{html}"),
    };
    if sections.len() > 1
        && let Some(at) = out.find("<body>").map(|b| b + "<body>".len())
    {
        let links: String = sections
            .iter()
            .map(|(id, title)| format!("<a href=\"#{id}\">{title}</a>"))
            .collect::<Vec<_>>()
            .join(" · ");
        out.insert_str(at, &format!("\n<nav class=\"sections\">{links}</nav>"));
    }
    out
}

/// plotly.js as the `plotly` crate carries it, one `<script>` element. The crate's offline
/// sources also hold MathJax, which the figures do not use (their text is plain): only the
/// first script is kept.
fn plotly_js() -> &'static str {
    static JS: OnceLock<String> = OnceLock::new();
    JS.get_or_init(|| {
        let sources = plotly::Plot::offline_js_sources();
        let end = "</script>";
        sources.find(end).map_or_else(String::new, |at| {
            sources[..at + end.len()].trim_start().to_owned()
        })
    })
}

/// Section ids: `Cash flows and debt service` → `cash-flows-and-debt-service`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// `html` with an id on each `<h2>` (a section), unique, and the sections as (id, title as
/// exported).
fn anchored(html: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(html.len() + 1024);
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<h2>") {
        let after = &rest[at + "<h2>".len()..];
        let Some(end) = after.find("</h2>") else {
            break;
        };
        let title = &after[..end];
        let base = slug(&text(title));
        let mut id = if base.is_empty() {
            "section".to_owned()
        } else {
            base
        };
        let taken = |id: &str| sections.iter().any(|(s, _)| s == id);
        if taken(&id) {
            let mut n = 2;
            while taken(&format!("{id}-{n}")) {
                n += 1;
            }
            id = format!("{id}-{n}");
        }
        out.push_str(&rest[..at]);
        out.push_str(&format!("<h2 id=\"{id}\">"));
        sections.push((id, title.to_owned()));
        rest = after;
    }
    out.push_str(rest);
    (out, sections)
}

/// The text a reader sees in `html`: tags dropped, entities of typst's export decoded, runs of
/// white space made one (for tests that look for a figure).
pub fn text(html: &str) -> String {
    let body = html.find("<body").map_or(html, |at| &html[at..]);
    let mut out = String::with_capacity(body.len() / 2);
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_its_styles_and_marks_and_its_text_reads_as_shown() {
        let page = page(
            "<!DOCTYPE html><html><head><title>t</title></head><body><p>A &amp; B</p><table><tr><td>€1.2bn</td></tr></table></body></html>",
            &BTreeMap::new(),
        );
        let head_end = page.find("</head>").unwrap_or(0);
        assert!(page.find("<style>").is_some_and(|at| at < head_end));
        assert!(page.find("data-ready").is_some_and(|at| at < head_end));
        assert!(!page.contains("http"), "nothing is fetched");
        assert_eq!(text(&page), "A & B €1.2bn");
    }

    #[test]
    fn each_section_has_an_id_and_a_link() {
        let page = page(
            "<html><head></head><body><h2>Executive summary</h2><p>x</p><h2>Cash flows &amp; debt</h2><h2>Risk</h2><h2>Risk</h2></body></html>",
            &BTreeMap::new(),
        );
        for id in ["executive-summary", "cash-flows-debt", "risk", "risk-2"] {
            assert!(page.contains(&format!("<h2 id=\"{id}\">")), "{id}: {page}");
            assert!(
                page.contains(&format!("<a href=\"#{id}\">")),
                "{id}: {page}"
            );
        }
    }

    #[test]
    fn figures_come_with_plotly_inline_and_no_label_can_close_their_block() {
        let mut figures = BTreeMap::new();
        figures.insert(
            "chart".to_owned(),
            serde_json::json!({"data": [{"name": "</script><script>alert(1)</script>"}]}),
        );
        let page = page("<html><head></head><body></body></html>", &figures);
        assert!(page.contains("plotly.js v3"), "plotly.js is inline");
        // plotly.js is ~4.7 MB; MathJax, which the crate also carries, would add 2.1 MB.
        assert!(page.len() < 5 << 20, "only plotly.js: {} bytes", page.len());
        assert_eq!(
            page.matches("<script").count(),
            3,
            "marks, plotly.js, figures"
        );
        assert_eq!(page.matches("</script>").count(), 3);
        assert!(!page.contains("<script src"), "no script is fetched");
    }
}
