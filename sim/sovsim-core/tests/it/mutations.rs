//! Robustness: random mutations of the shipped scenarios — 10,000 in CI, any number for a long
//! run (`SOVSIM_MUTATIONS=1000000 SOVSIM_MUTATION_SEED=7 cargo test --release -p sovsim-core
//! --test it mutations`, README). The loader must never panic nor hang, and every problem it
//! reports must carry a location in a file. Each round draws from its own stream (seed, round), so
//! a failure names a round that can be replayed alone, whatever the thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{catalog, repo, shipped_scenarios};
use sovsim_core::scenario::{self, SourceReader};

/// Mutated scenarios in the CI run.
const MUTATIONS: usize = 10_000;

/// Longest one load may take before it counts as a hang: three orders of magnitude above the
/// slowest shipped file's load.
const HANG: Duration = Duration::from_secs(5);

/// Files as bytes, so that mutations can leave UTF-8.
struct Bytes(BTreeMap<PathBuf, Vec<u8>>);

impl SourceReader for Bytes {
    fn read(&self, path: &Path) -> Result<String, String> {
        self.read_bytes(path)
            .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
    }

    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_owned())
    }
}

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

/// A stray byte that is not UTF-8 (a Latin-1 `é`, a lone continuation byte, an overlong lead).
const BAD_BYTES: &[u8] = &[0xe9, 0x80, 0xc0, 0xff];

/// One round: one to three text mutations of one shipped file, sometimes a stray byte.
fn round(
    seed: u64,
    round: usize,
    files: &[PathBuf],
    originals: &BTreeMap<PathBuf, String>,
) -> (PathBuf, BTreeMap<PathBuf, Vec<u8>>) {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ (round as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let target = files[round % files.len()].clone();
    let mut texts = originals.clone();
    for _ in 0..rng.random_range(1..=3) {
        let text = mutate(&texts[&target], &mut rng);
        texts.insert(target.clone(), text);
    }
    let mut bytes: BTreeMap<PathBuf, Vec<u8>> = texts
        .into_iter()
        .map(|(p, t)| (p, t.into_bytes()))
        .collect();
    if rng.random_range(0..20) == 0 {
        let file = bytes.get_mut(&target).expect("the target");
        let at = rng.random_range(0..=file.len());
        file.insert(at, BAD_BYTES[rng.random_range(0..BAD_BYTES.len())]);
    }
    (target, bytes)
}

#[test]
fn mutations_never_panic_nor_hang_and_every_rejection_is_located() {
    let count = std::env::var("SOVSIM_MUTATIONS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(MUTATIONS);
    let seed = std::env::var("SOVSIM_MUTATION_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(20_261_122);
    let catalog = catalog();
    let files = shipped_scenarios();
    let originals: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).expect("readable")))
        .collect();
    let failures: Vec<String> = (0..count)
        .into_par_iter()
        .filter_map(|r| {
            let (target, bytes) = round(seed, r, &files, &originals);
            let started = Instant::now();
            let loaded = scenario::load(&target, &Bytes(bytes), &catalog, &[]);
            let took = started.elapsed();
            if took > HANG {
                return Some(format!("round {r} took {took:?}"));
            }
            if loaded.has_errors() == loaded.scenario.is_some() {
                return Some(format!("round {r}: errors and a scenario disagree"));
            }
            loaded.diagnostics.iter().find_map(|d| {
                let located = d.span.as_ref().and_then(|s| loaded.sources.locate(s.start));
                located
                    .is_none()
                    .then(|| format!("round {r}: `{}` ({}) has no location", d.message, d.code))
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "seed {seed}, {} of {count} rounds failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The mutations must actually exercise the error paths: count the rejections of a sample.
    let rejected = (0..1000.min(count))
        .filter(|&r| {
            let (target, bytes) = round(seed, r, &files, &originals);
            scenario::load(&target, &Bytes(bytes), &catalog, &[]).has_errors()
        })
        .count();
    assert!(
        rejected > 1000.min(count) / 2,
        "only {rejected} of the first rounds were rejected"
    );
    let _ = repo();
}
