//! Diagnostics fixtures: each file in `tests/invalid/` is a scenario with a defect and, at its end,
//! `# expect: LINE:COLUMN [code] message` lines giving exactly what sovsim must report (typst's style).

use std::path::Path;

use super::{Disk, catalog};
use sovsim_core::scenario;

#[test]
fn every_invalid_fixture_reports_exactly_its_expected_diagnostics() {
    // Paths are relative to the crate, as `cargo test` runs from there, so messages naming files are stable.
    let dir = Path::new("tests/invalid");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 25,
        "the issue asks for at least 25 distinct problems, found {}",
        files.len()
    );
    let catalog = catalog();
    let mut codes = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let expected: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            file.display()
        );
        let loaded = scenario::load(file, &Disk, &catalog, &[]);
        assert!(loaded.scenario.is_none() || loaded.diagnostics.iter().all(|d| !d.is_error()));
        let actual: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| {
                let at = d
                    .span
                    .as_ref()
                    .and_then(|s| loaded.sources.locate(s.start))
                    .expect("every diagnostic is located");
                codes.insert(d.code);
                format!("{}:{} [{}] {}", at.line, at.column, d.code, d.message)
            })
            .collect();
        if actual != expected {
            failures.push(format!(
                "{}\n  expected: {expected:#?}\n  actual:   {actual:#?}",
                file.display()
            ));
        }
        for d in &loaded.diagnostics {
            assert!(
                d.expected.is_some() || d.code == "syntax" || d.code == "file-unreadable",
                "{}: `{}` says nothing of what was expected",
                file.display(),
                d.code
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        codes.len() >= 25,
        "the fixtures cover {} distinct codes: {codes:?}",
        codes.len()
    );
}

#[test]
fn rendered_diagnostics_show_the_line_a_caret_and_the_hint() {
    let loaded = scenario::load(
        Path::new("tests/invalid/unknown-field.toml"),
        &Disk,
        &catalog(),
        &[],
    );
    let text = loaded.sources.render(&loaded.diagnostics);
    assert!(
        text.contains("error[unknown-field]: unknown field `capacty_mw`"),
        "{text}"
    );
    assert!(
        text.contains("tests/invalid/unknown-field.toml:28:1"),
        "{text}"
    );
    assert!(text.contains("capacty_mw = 120\n"), "{text}");
    assert!(text.contains("^^^^^^^^^^ expected one of"), "{text}");
    assert!(
        text.contains("= hint: did you mean `capacity_mw`?"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour codes");
}
