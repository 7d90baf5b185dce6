//! Buildouts side by side: how they are labelled. Each scenario is run with one seed and one
//! number of replications (common random numbers, so differences are not noise) by
//! [`super::run::run`]; the comparison itself is made from their run directories.

use std::collections::BTreeSet;

/// Labels of buildouts named `names`: the names, numbered (`1:name`) when two share one (a
/// scenario compared with itself).
pub fn labels(names: &[String]) -> Vec<String> {
    let distinct: BTreeSet<&String> = names.iter().collect();
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if distinct.len() == names.len() {
                n.clone()
            } else {
                format!("{}:{n}", i + 1)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::labels;

    #[test]
    fn labels_are_numbered_only_when_names_repeat() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(labels(&names(&["a", "b"])), names(&["a", "b"]));
        assert_eq!(labels(&names(&["a", "a"])), names(&["1:a", "2:a"]));
    }
}
