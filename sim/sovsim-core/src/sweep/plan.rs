//! A sweep's plan: every case its design makes, in one fixed order, each with a stable id (a
//! hash of what it runs) and its own seed derived from that id, so that a case's result never
//! depends on which shard ran it or when; and which cases a shard runs.

use rand::seq::SliceRandom;
use sha2::{Digest, Sha256};

use super::spec::{Design, Seeds, Spec};
use crate::engine::random::Stream;
use crate::model::Input;

/// One case of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Its place in the plan (the merged table's row).
    pub index: usize,
    /// 16 hex digits of the SHA-256 of what it runs: its file's name.
    pub id: String,
    /// The seed of every random stream of its replications.
    pub seed: u64,
    /// Which base scenario (index into the spec's `scenarios`).
    pub scenario: usize,
    /// Lever changes, in the order of [`Input::ALL`]; levers the case leaves alone are absent.
    pub changes: Vec<(Input, f64)>,
    /// Named overrides of the scenario, in order.
    pub overrides: Vec<String>,
    /// A named case of the scenario, if not the scenario as stated.
    pub case: Option<String>,
}

impl Case {
    /// Its change of `input`: 0 (the scenario as stated) when the case leaves it alone.
    pub fn change(&self, input: Input) -> f64 {
        self.changes
            .iter()
            .find(|c| c.0 == input)
            .map_or(0.0, |c| c.1)
    }

    /// Its overrides as one label: `none`, or their names joined by `+`.
    pub fn overrides_label(&self) -> String {
        if self.overrides.is_empty() {
            "none".to_owned()
        } else {
            self.overrides.join("+")
        }
    }

    /// The arguments of `sovsim run` that run this case alone (after the scenario file).
    pub fn run_arguments(&self, runs: u64) -> Vec<String> {
        let mut args = vec![
            "--runs".to_owned(),
            runs.to_string(),
            "--seed".to_owned(),
            self.seed.to_string(),
        ];
        for o in &self.overrides {
            args.extend(["--override".to_owned(), o.clone()]);
        }
        for (input, value) in &self.changes {
            args.extend(["--change".to_owned(), format!("{}={value:?}", input.name())]);
        }
        if let Some(c) = &self.case {
            args.extend(["--case".to_owned(), c.clone()]);
        }
        args
    }
}

/// The inputs of one case before it has an id.
struct Draft {
    scenario: usize,
    changes: Vec<(Input, f64)>,
    overrides: Vec<String>,
    case: Option<String>,
}

/// Every case of `spec`, each base scenario's in turn. `scenario_hashes` are the SHA-256 of each
/// base scenario's files (`Loaded::hash`): a case's id changes when a file it reads does.
pub fn plan(spec: &Spec, scenario_hashes: &[String]) -> Vec<Case> {
    let mut drafts = Vec::new();
    for scenario in 0..spec.scenarios.len() {
        for (changes, overrides, case) in points(spec) {
            drafts.push(Draft {
                scenario,
                changes,
                overrides,
                case,
            });
        }
    }
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    drafts
        .into_iter()
        .enumerate()
        .map(|(index, d)| {
            let mut content = content(spec, &d, scenario_hashes);
            // The same inputs twice (a Latin hypercube over few levels, a list repeating a point)
            // are independent samples: the k-th copy is its own case.
            let copies = seen.entry(content.clone()).or_insert(0);
            if *copies > 0 {
                content.push_str(&format!("copy={copies}\n"));
            }
            *copies += 1;
            let digest = Sha256::digest(content.as_bytes());
            let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
            let mut own = [0u8; 8];
            own.copy_from_slice(&digest[8..16]);
            Case {
                index,
                id,
                seed: match spec.seeds {
                    Seeds::PerCase => u64::from_le_bytes(own),
                    Seeds::Common => spec.seed,
                },
                scenario: d.scenario,
                changes: d.changes,
                overrides: d.overrides,
                case: d.case,
            }
        })
        .collect()
}

/// What a case runs, canonically: the text its id hashes.
fn content(spec: &Spec, d: &Draft, scenario_hashes: &[String]) -> String {
    let changes: Vec<String> = d
        .changes
        .iter()
        .map(|(i, v)| format!("{}={v:?}", i.name()))
        .collect();
    format!(
        "sovsim-sweep-case/1\nscenario={}\noverrides={}\ncase={}\nchanges={}\nseed={}\nseeds={}\n",
        scenario_hashes.get(d.scenario).map_or("", String::as_str),
        d.overrides.join(","),
        d.case.as_deref().unwrap_or(""),
        changes.join(","),
        spec.seed,
        spec.seeds.name(),
    )
}

type Inputs = (Vec<(Input, f64)>, Vec<String>, Option<String>);

/// The design's points for one base scenario, in order.
fn points(spec: &Spec) -> Vec<Inputs> {
    let override_levels: Vec<Vec<String>> = if spec.overrides.is_empty() {
        vec![Vec::new()]
    } else {
        spec.overrides.iter().map(|o| o.value.clone()).collect()
    };
    let case_levels: Vec<Option<String>> = if spec.cases.is_empty() {
        vec![None]
    } else {
        spec.cases.iter().map(|c| c.value.clone()).collect()
    };
    match &spec.design {
        Design::List(points) => points
            .iter()
            .map(|p| (p.changes.clone(), p.overrides.clone(), p.case.clone()))
            .collect(),
        Design::Factorial => {
            // Odometer order: the last lever varies fastest, then overrides, then cases.
            let mut out: Vec<Inputs> = vec![(Vec::new(), Vec::new(), None)];
            for lever in &spec.levers {
                out = out
                    .into_iter()
                    .flat_map(|(c, o, k)| {
                        lever.values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.push((lever.input, *v));
                            (c, o.clone(), k.clone())
                        })
                    })
                    .collect();
            }
            let mut all = Vec::new();
            for (c, _, _) in out {
                for o in &override_levels {
                    for k in &case_levels {
                        all.push((c.clone(), o.clone(), k.clone()));
                    }
                }
            }
            all
        }
        Design::LatinHypercube { samples, seed } => {
            let n = *samples as usize;
            let columns: Vec<Vec<f64>> = spec
                .levers
                .iter()
                .map(|l| {
                    let mut stream = Stream::new(*seed, 0, "latin-hypercube", l.input.name());
                    let strata = strata(n, &mut stream);
                    let (low, high) = (l.values[0], l.values[1]);
                    strata
                        .into_iter()
                        .map(|s| low + (high - low) * (s as f64 + stream.uniform()) / n as f64)
                        .collect()
                })
                .collect();
            let spread = |what: &str, levels: usize| -> Vec<usize> {
                let mut stream = Stream::new(*seed, 0, "latin-hypercube", what);
                strata(n, &mut stream)
                    .into_iter()
                    .map(|s| s * levels / n)
                    .collect()
            };
            let overrides = spread("overrides", override_levels.len());
            let cases = spread("cases", case_levels.len());
            (0..n)
                .map(|i| {
                    let changes = spec
                        .levers
                        .iter()
                        .zip(&columns)
                        .map(|(l, c)| (l.input, c[i]))
                        .collect();
                    (
                        changes,
                        override_levels[overrides[i]].clone(),
                        case_levels[cases[i]].clone(),
                    )
                })
                .collect()
        }
    }
}

/// The strata 0..n in a random order.
fn strata(n: usize, stream: &mut Stream) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(stream.rng());
    order
}

/// A share of a sweep: shard `index` of `count` runs the cases whose place in the plan is
/// `index` modulo `count`, so that shards of a sorted plan get a like mix of cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl Shard {
    /// The whole sweep as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether this shard runs the case at `index` in the plan.
    pub fn holds(self, index: usize) -> bool {
        index as u64 % self.count == self.index
    }

    /// `i/n`, as the command line writes it.
    ///
    /// # Errors
    /// If it is not two whole numbers with `i` below `n`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "`{text}` is not a shard: write `i/n` with 0 ≤ i < n (e.g. `0/4` is the first of four)"
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;

    fn spec(text: &str) -> Spec {
        let mut sources = SourceMap::default();
        let base = sources.add("sweep.toml", text);
        let (spec, problems) = super::super::spec::parse(&sources, base);
        assert!(
            problems.iter().all(|d| !d.is_error()),
            "{}",
            sources.render(&problems)
        );
        spec.unwrap_or_else(|| panic!("no spec"))
    }

    /// The head of a sweep file the Latin-hypercube tests share.
    const HEAD: &str =
        "name = \"lhs\"\nscenarios = [\"a.toml\"]\nruns = 10\nseed = 1\noutputs = [\"npv_eur\"]\n";

    const FACTORIAL: &str = r#"
name = "t"
scenarios = ["a.toml", "b.toml"]
runs = 10
seed = 7
outputs = ["project_irr"]
design = { kind = "factorial" }
overrides = [[], ["slow-grid"]]
[levers]
gpu_rent = [-0.2, 0.0, 0.2]
grid_delay_months = [0, 12]
"#;

    #[test]
    fn a_factorial_design_makes_every_combination_once_per_scenario() {
        let s = spec(FACTORIAL);
        let cases = plan(&s, &["ha".into(), "hb".into()]);
        assert_eq!(cases.len(), 2 * 3 * 2 * 2);
        let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), cases.len(), "ids are unique");
        let combos: std::collections::BTreeSet<String> = cases
            .iter()
            .map(|c| format!("{} {:?} {:?}", c.scenario, c.changes, c.overrides))
            .collect();
        assert_eq!(combos.len(), cases.len());
        assert!(cases.iter().all(|c| c.changes.len() == 2));
    }

    #[test]
    fn a_case_keeps_its_id_and_seed_when_others_are_added_and_changes_them_with_its_files() {
        let s = spec(FACTORIAL);
        let before = plan(&s, &["ha".into(), "hb".into()]);
        let more = spec(&FACTORIAL.replace("[-0.2, 0.0, 0.2]", "[-0.4, -0.2, 0.0, 0.2]"));
        let after = plan(&more, &["ha".into(), "hb".into()]);
        for c in &before {
            let same = after
                .iter()
                .find(|a| {
                    a.changes == c.changes && a.scenario == c.scenario && a.overrides == c.overrides
                })
                .unwrap_or_else(|| panic!("case kept"));
            assert_eq!((&same.id, same.seed), (&c.id, c.seed));
        }
        let edited = plan(&s, &["ha2".into(), "hb".into()]);
        assert_ne!(edited[0].id, before[0].id, "a changed file is another case");
        assert_eq!(edited.last().map(|c| &c.id), before.last().map(|c| &c.id));
        let seeds: std::collections::BTreeSet<u64> = before.iter().map(|c| c.seed).collect();
        assert_eq!(seeds.len(), before.len(), "each case has its own seed");
        let common = spec(&FACTORIAL.replace("seed = 7", "seed = 7\nseeds = \"common\""));
        assert!(
            plan(&common, &["ha".into(), "hb".into()])
                .iter()
                .all(|c| c.seed == 7)
        );
    }

    #[test]
    fn a_latin_hypercube_samples_each_stratum_of_each_lever_once() {
        let s = spec(&format!(
            r#"{HEAD}overrides = [[], ["x"], ["y"]]
[design]
kind = "latin-hypercube"
samples = 30
seed = 5
[levers]
gpu_rent = [-0.3, 0.3]
grid_delay_months = [0, 24]
"#
        ));
        let cases = plan(&s, &["h".into()]);
        assert_eq!(cases.len(), 30);
        for (input, low, high) in [(Input::GpuRent, -0.3, 0.3), (Input::GridDelay, 0.0, 24.0)] {
            let mut strata: Vec<usize> = cases
                .iter()
                .map(|c| ((c.change(input) - low) / (high - low) * 30.0).floor() as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..30).collect::<Vec<_>>(), "{input:?}");
        }
        for level in [vec![], vec!["x".to_owned()], vec!["y".to_owned()]] {
            assert_eq!(cases.iter().filter(|c| c.overrides == level).count(), 10);
        }
        let again = plan(&s, &["h".into()]);
        assert_eq!(cases, again, "the design is a function of its seed");
        let other = spec(&format!(
            r#"{HEAD}[design]
kind = "latin-hypercube"
samples = 30
seed = 6
[levers]
gpu_rent = [-0.3, 0.3]
"#
        ));
        assert_ne!(plan(&other, &["h".into()])[0].changes, cases[0].changes);
    }

    #[test]
    fn repeated_inputs_are_independent_copies() {
        let s = spec(&format!(
            r#"{HEAD}overrides = [[], ["x"]]
[design]
kind = "latin-hypercube"
samples = 4
seed = 5
"#
        ));
        let cases = plan(&s, &["h".into()]);
        let ids: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn shards_partition_the_plan() {
        for count in 1..6u64 {
            let mut held = vec![0; 17];
            for index in 0..count {
                let shard =
                    Shard::parse(&format!("{index}/{count}")).unwrap_or_else(|e| panic!("{e}"));
                for (i, h) in held.iter_mut().enumerate() {
                    if shard.holds(i) {
                        *h += 1;
                    }
                }
            }
            assert!(held.iter().all(|h| *h == 1), "{count}: {held:?}");
        }
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
