//! The HTML beside each PDF: typst's HTML export of the same template, from the same `/data.json`
//! and charts — the same sections, words and figures — made a self-contained page: styles and a
//! script inline, charts as data URLs, nothing fetched when it is opened (a ministry's or a
//! lender's machine may be offline or behind a firewall).
//!
//! The script marks the page for tests and tools: `data-ready="true"` on `<html>` once every
//! chart has loaded, and `data-errors` with every error, failed load or `console.error` seen.

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
@media print {
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
  window.addEventListener("load", function () {
    var images = document.images, broken = 0;
    for (var i = 0; i < images.length; i++) { if (!images[i].complete || images[i].naturalWidth === 0) { broken++; } }
    if (broken > 0) { note(broken + " chart(s) did not render"); }
    root.setAttribute("data-charts", String(images.length));
    root.setAttribute("data-ready", "true");
  });
})();
"#;

/// `html`, as typst exported it, made a self-contained page: the styles and the script in its
/// `<head>`.
pub fn page(html: &str) -> String {
    let head = format!("<style>{STYLE}</style>\n<script>{SCRIPT}</script>\n");
    match html.find("</head>") {
        Some(at) => format!("{}{head}{}", &html[..at], &html[at..]),
        None => format!("{head}{html}"),
    }
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
        );
        let head_end = page.find("</head>").unwrap_or(0);
        assert!(page.find("<style>").is_some_and(|at| at < head_end));
        assert!(page.find("data-ready").is_some_and(|at| at < head_end));
        assert!(!page.contains("http"), "nothing is fetched");
        assert_eq!(text(&page), "A & B €1.2bn");
    }
}
