//! Robustness: 10,000 random mutations of the shipped scenarios. The loader must never panic, and
//! every problem it reports must carry a location in a file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Memory, catalog, repo, shipped_scenarios};
use sovsim_core::scenario;

const MUTATIONS: usize = 10_000;

/// Values that stress the checks: wrong types, non-finite and out-of-range numbers, bad dates.
const NASTY: &[&str] = &[
    "-1",
    "0",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "99999999999999999999",
    "\"x\"",
    "true",
    "[]",
    "{}",
    "2099-01-01",
    "1.5",
    "-0.0",
    "\"EU\"",
    "{ dist = \"pert\", min = 3, mode = 1, max = 2 }",
    "{ dist = \"lognormal\", p50 = 5, p90 = 1 }",
];
const CHARS: &[char] = &[
    '"', '[', ']', '{', '}', '=', ',', '\n', '#', '-', 'x', '0', '.', ' ', '\'', 'é', '\\',
];

fn mutate(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    match rng.random_range(0..7) {
        0 => {
            // Replace the value of a `key = value` line.
            let i = rng.random_range(0..n);
            if let Some((key, _)) = lines[i].split_once(" = ") {
                lines[i] = format!("{key} = {}", NASTY[rng.random_range(0..NASTY.len())]);
            }
        }
        1 => {
            lines.remove(rng.random_range(0..n));
        }
        2 => {
            let i = rng.random_range(0..n);
            lines.insert(i, lines[i].clone());
        }
        3 => {
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            lines.swap(a, b);
        }
        4 => {
            // Insert a character somewhere (on a char boundary).
            let i = rng.random_range(0..n);
            let chars: Vec<char> = lines[i].chars().collect();
            let at = rng.random_range(0..=chars.len());
            let mut s: String = chars[..at].iter().collect();
            s.push(CHARS[rng.random_range(0..CHARS.len())]);
            s.extend(&chars[at..]);
            lines[i] = s;
        }
        5 => {
            // Delete a few characters.
            let i = rng.random_range(0..n);
            let chars: Vec<char> = lines[i].chars().collect();
            if !chars.is_empty() {
                let at = rng.random_range(0..chars.len());
                let len = rng.random_range(1..=chars.len() - at);
                lines[i] = chars[..at].iter().chain(&chars[at + len..]).collect();
            }
        }
        _ => {
            // Misspell a key.
            let i = rng.random_range(0..n);
            if let Some((key, value)) = lines[i].split_once(" = ") {
                lines[i] = format!("{key}x = {value}");
            }
        }
    }
    lines.join("\n")
}

#[test]
fn ten_thousand_mutations_never_panic_and_every_rejection_is_located() {
    let catalog = catalog();
    let files = shipped_scenarios();
    let originals: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).expect("readable")))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_122);
    let mut rejected = 0;
    for round in 0..MUTATIONS {
        let target = &files[round % files.len()];
        let mut texts = originals.clone();
        // One to three mutations, so that problems also come in groups.
        for _ in 0..rng.random_range(1..=3) {
            let text = mutate(&texts[target], &mut rng);
            texts.insert(target.clone(), text);
        }
        let loaded = scenario::load(target, &Memory(texts), &catalog, &[]);
        if loaded.has_errors() {
            rejected += 1;
            assert!(loaded.scenario.is_none());
        } else {
            assert!(
                loaded.scenario.is_some(),
                "no error but no scenario in round {round}"
            );
        }
        for d in &loaded.diagnostics {
            let located = d.span.as_ref().and_then(|s| loaded.sources.locate(s.start));
            assert!(
                located.is_some(),
                "round {round}: `{}` ({}) has no location",
                d.message,
                d.code
            );
        }
    }
    // The mutations must actually exercise the error paths.
    assert!(
        rejected > MUTATIONS / 2,
        "only {rejected} of {MUTATIONS} mutations were rejected"
    );
    let _ = repo();
}
