//! The optimiser's MILP in the standard model formats — free MPS and CPLEX LP — with readable row
//! and column names (`grid_capacity[fr-grid]`, `gpus_k[fr-b200,fr-hall,2028]`; in LP, whose names
//! cannot hold `[` or `-`, `grid_capacity(fr_grid)`), so another solver
//! can take it and a reader can inspect it, as linopy and PyPSA users expect. Written from the
//! rows and columns the model keeps, before good_lp sees them: the file is the model solved.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use good_lp::Variable;
use sovsim_core::model::Scenario;

use crate::formulation::{self, Model, Sense};
use crate::instance::Instance;

/// A model file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Free-format MPS.
    Mps,
    /// CPLEX LP.
    Lp,
}

impl Format {
    /// The format a file name's extension asks for (`.mps` or `.lp`).
    pub fn of(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "mps" => Some(Format::Mps),
            "lp" => Some(Format::Lp),
            _ => None,
        }
    }
}

/// Name of the objective row.
const OBJECTIVE: &str = "cost";

/// A name the format reads as one: MPS splits on whitespace only; CPLEX LP names take letters,
/// digits and `_ . ( ) , ! @ # $ % & ; ? { } ~ | '` (so `[`, `]` become parentheses and `-`,
/// an operator there, an underscore).
fn clean(name: &str, format: Format) -> String {
    name.chars()
        .map(|c| match format {
            Format::Mps if c.is_whitespace() => '_',
            Format::Mps => c,
            Format::Lp => match c {
                '[' => '(',
                ']' => ')',
                c if c.is_ascii_alphanumeric() || "_.(),!@#$%&;?{}~|'".contains(c) => c,
                _ => '_',
            },
        })
        .collect()
}

/// The names of the model's columns and rows, unique, in their order.
struct Names {
    columns: HashMap<Variable, usize>,
    column_names: Vec<String>,
    row_names: Vec<String>,
}

impl Names {
    fn of(scenario: &Scenario, inst: &Instance, model: &Model, format: Format) -> Names {
        let year = |t: usize| inst.year(t).to_string();
        let mut named: HashMap<Variable, String> = HashMap::new();
        let v = &model.vars;
        for (s, x) in v.acquire.iter().enumerate() {
            named.insert(*x, format!("acquire[{}]", scenario.sites[s].id));
        }
        for (g, x) in v.grid.iter().enumerate() {
            named.insert(*x, format!("grid_mw[{}]", scenario.grid_connections[g].id));
        }
        for (a, per) in v.power.iter().enumerate() {
            for (t, x) in per.iter().enumerate() {
                if let Some(x) = x {
                    let id = &scenario.power_assets[a].id;
                    named.insert(*x, format!("power_mw[{id},{}]", year(t)));
                }
            }
        }
        for (h, per) in v.blocks.iter().enumerate() {
            for (t, x) in per.iter().enumerate() {
                if let Some(x) = x {
                    named.insert(*x, format!("blocks[{},{}]", scenario.shells[h].id, year(t)));
                }
            }
        }
        for (c, halls) in v.gpus.iter().enumerate() {
            let cluster = &scenario.clusters[inst.cluster_index[c]].id;
            for (h, per) in halls {
                for (t, x) in per.iter().enumerate() {
                    let hall = &scenario.shells[*h].id;
                    named.insert(*x, format!("gpus_k[{cluster},{hall},{}]", year(t)));
                }
            }
        }
        for (j, clusters) in v.work.iter().enumerate() {
            let demand = &inst.demands[j].id;
            for (c, per) in clusters {
                let cluster = &scenario.clusters[inst.cluster_index[*c]].id;
                for (t, x) in per.iter().enumerate() {
                    named.insert(*x, format!("work[{demand},{cluster},{}]", year(t)));
                }
            }
        }
        for (j, offers) in v.rent.iter().enumerate() {
            let demand = &inst.demands[j].id;
            for (o, per) in offers {
                let offer = &scenario.cloud_offers[*o].id;
                for (t, x) in per.iter().enumerate() {
                    named.insert(*x, format!("rent[{demand},{offer},{}]", year(t)));
                }
            }
        }
        for (g, per) in v.grid_energy.iter().enumerate() {
            for (t, x) in per.iter().enumerate() {
                let id = &scenario.grid_connections[g].id;
                named.insert(*x, format!("grid_gwh[{id},{}]", year(t)));
            }
        }
        for (a, per) in v.power_energy.iter().enumerate() {
            for (t, x) in per.iter().enumerate() {
                let id = &scenario.power_assets[a].id;
                named.insert(*x, format!("power_gwh[{id},{}]", year(t)));
            }
        }
        for (j, per) in v.short.iter().enumerate() {
            for (t, x) in per.iter().enumerate() {
                named.insert(*x, format!("short[{},{}]", inst.demands[j].id, year(t)));
            }
        }
        for (t, x) in v.over_budget.iter().enumerate() {
            named.insert(*x, format!("over_budget[{}]", year(t)));
        }
        for (t, x) in v.over_carbon.iter().enumerate() {
            named.insert(*x, format!("over_carbon[{}]", year(t)));
        }
        let mut columns = HashMap::new();
        let mut column_names = Vec::with_capacity(model.column_list.len());
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (k, c) in model.column_list.iter().enumerate() {
            columns.insert(c.variable, k);
            let name = named
                .get(&c.variable)
                .cloned()
                .unwrap_or_else(|| format!("x{k}"));
            column_names.push(unique(&mut seen, clean(&name, format)));
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        seen.insert(OBJECTIVE.to_owned(), 1);
        let row_names = model
            .rows
            .iter()
            .map(|r| {
                let entity = crate::results::row_entity(scenario, inst, r);
                let mut name = r.family.name().to_owned();
                let mut index: Vec<String> = Vec::new();
                if !entity.is_empty() {
                    index.push(entity);
                }
                if let Some(t) = r.period {
                    index.push(year(t));
                }
                if !index.is_empty() {
                    name = format!("{name}[{}]", index.join(","));
                }
                unique(&mut seen, clean(&name, format))
            })
            .collect();
        Names {
            columns,
            column_names,
            row_names,
        }
    }
}

/// `name`, or `name#2`, `name#3`… when it was seen before.
fn unique(seen: &mut BTreeMap<String, usize>, name: String) -> String {
    let n = seen.entry(name.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { name } else { format!("{name}#{n}") }
}

/// A number as the file formats read it back exactly (shortest round trip).
fn num(v: f64) -> String {
    format!("{:?}", v + 0.0)
}

/// Terms summed per column, in column order (a row may name a column twice).
fn by_column(names: &Names, terms: &[(Variable, f64)]) -> Vec<(usize, f64)> {
    let mut out: BTreeMap<usize, f64> = BTreeMap::new();
    for (v, c) in terms {
        if let Some(&k) = names.columns.get(v) {
            *out.entry(k).or_insert(0.0) += c;
        }
    }
    out.into_iter().filter(|(_, c)| *c != 0.0).collect()
}

/// The model as a file of `format`, named after the scenario.
pub fn write(scenario: &Scenario, inst: &Instance, model: &Model, format: Format) -> String {
    let names = Names::of(scenario, inst, model, format);
    let objective = formulation::objective(&model.parts);
    match format {
        Format::Mps => mps(scenario, model, &names, &objective),
        Format::Lp => lp(scenario, model, &names, &objective),
    }
}

fn sense_mps(s: Sense) -> &'static str {
    match s {
        Sense::Le => "L",
        Sense::Ge => "G",
        Sense::Eq => "E",
    }
}

fn mps(scenario: &Scenario, model: &Model, names: &Names, objective: &formulation::Lin) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "* sovsim optimize: the MILP of `{}` (free MPS; units: MW, 10^3 GPUs, 10^6 GPU-h, GWh, EUR 10^6)",
        clean(&scenario.meta.name, Format::Mps)
    );
    let _ = writeln!(out, "NAME {}", clean(&scenario.meta.name, Format::Mps));
    let _ = writeln!(out, "OBJSENSE\n    MIN");
    let _ = writeln!(out, "ROWS\n N  {OBJECTIVE}");
    for (r, name) in model.rows.iter().zip(&names.row_names) {
        let _ = writeln!(out, " {}  {name}", sense_mps(r.sense));
    }
    // Column-major: each column's objective cost, then its row coefficients.
    let mut entries: Vec<Vec<(String, f64)>> = vec![Vec::new(); names.column_names.len()];
    for (k, c) in by_column(names, &objective.terms) {
        entries[k].push((OBJECTIVE.to_owned(), c));
    }
    for (r, name) in model.rows.iter().zip(&names.row_names) {
        for (k, c) in by_column(names, &r.terms) {
            entries[k].push((name.clone(), c));
        }
    }
    let _ = writeln!(out, "COLUMNS");
    let mut in_integers = false;
    let mut markers = 0;
    for (k, column) in model.column_list.iter().enumerate() {
        if column.integer != in_integers {
            let kind = if column.integer { "INTORG" } else { "INTEND" };
            let _ = writeln!(out, "    MARKER{markers} 'MARKER' '{kind}'");
            markers += 1;
            in_integers = column.integer;
        }
        let name = &names.column_names[k];
        if entries[k].is_empty() {
            // A column in no row still exists: state it with a zero cost.
            let _ = writeln!(out, "    {name} {OBJECTIVE} 0");
        }
        for (row, c) in &entries[k] {
            let _ = writeln!(out, "    {name} {row} {}", num(*c));
        }
    }
    if in_integers {
        let _ = writeln!(out, "    MARKER{markers} 'MARKER' 'INTEND'");
    }
    let _ = writeln!(out, "RHS");
    if objective.constant != 0.0 {
        // The objective's constant, as MPS states it: minus the right-hand side of its row.
        let _ = writeln!(out, "    RHS {OBJECTIVE} {}", num(-objective.constant));
    }
    for (r, name) in model.rows.iter().zip(&names.row_names) {
        if r.rhs != 0.0 {
            let _ = writeln!(out, "    RHS {name} {}", num(r.rhs));
        }
    }
    let _ = writeln!(out, "BOUNDS");
    for (k, column) in model.column_list.iter().enumerate() {
        let name = &names.column_names[k];
        if column.lower == column.upper {
            let _ = writeln!(out, " FX BND {name} {}", num(column.lower));
            continue;
        }
        if column.lower != 0.0 {
            let _ = writeln!(out, " LO BND {name} {}", num(column.lower));
        }
        if column.upper.is_finite() {
            let _ = writeln!(out, " UP BND {name} {}", num(column.upper));
        } else if column.integer {
            // Some readers take an integer column without an upper bound as binary.
            let _ = writeln!(out, " PL BND {name}");
        }
    }
    let _ = writeln!(out, "ENDATA");
    out
}

/// `+ 2 x + 3 y`, wrapped so that no line is long (LP readers cap lines at 510 characters).
fn lp_terms(out: &mut String, names: &Names, terms: &[(usize, f64)]) {
    for (i, (k, c)) in terms.iter().enumerate() {
        if i > 0 && i % 6 == 0 {
            out.push_str("\n   ");
        }
        let sign = if *c < 0.0 { '-' } else { '+' };
        let _ = write!(out, " {sign} {} {}", num(c.abs()), names.column_names[*k]);
    }
}

fn lp(scenario: &Scenario, model: &Model, names: &Names, objective: &formulation::Lin) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\\ sovsim optimize: the MILP of `{}` (CPLEX LP; units: MW, 10^3 GPUs, 10^6 GPU-h, GWh, EUR 10^6)",
        clean(&scenario.meta.name, Format::Mps)
    );
    let _ = write!(out, "Minimize\n {OBJECTIVE}:");
    lp_terms(&mut out, names, &by_column(names, &objective.terms));
    if objective.constant != 0.0 {
        let sign = if objective.constant < 0.0 { '-' } else { '+' };
        let _ = write!(out, " {sign} {}", num(objective.constant.abs()));
    }
    let _ = writeln!(out, "\nSubject To");
    for (r, name) in model.rows.iter().zip(&names.row_names) {
        let _ = write!(out, " {name}:");
        let terms = by_column(names, &r.terms);
        if terms.is_empty() {
            // A row without terms (0 ≤ rhs) still holds or not: state it on a zero term.
            let _ = write!(
                out,
                " 0 {}",
                names.column_names.first().map_or("x0", String::as_str)
            );
        }
        lp_terms(&mut out, names, &terms);
        let op = match r.sense {
            Sense::Le => "<=",
            Sense::Ge => ">=",
            Sense::Eq => "=",
        };
        let _ = writeln!(out, " {op} {}", num(r.rhs));
    }
    let _ = writeln!(out, "Bounds");
    for (k, column) in model.column_list.iter().enumerate() {
        let name = &names.column_names[k];
        if column.lower == column.upper {
            let _ = writeln!(out, " {name} = {}", num(column.lower));
        } else if column.upper.is_finite() {
            let _ = writeln!(
                out,
                " {} <= {name} <= {}",
                num(column.lower),
                num(column.upper)
            );
        } else if column.lower != 0.0 {
            let _ = writeln!(out, " {name} >= {}", num(column.lower));
        }
    }
    let integers: Vec<&str> = model
        .column_list
        .iter()
        .zip(&names.column_names)
        .filter(|(c, _)| c.integer)
        .map(|(_, n)| n.as_str())
        .collect();
    if !integers.is_empty() {
        let _ = writeln!(out, "General");
        for chunk in integers.chunks(6) {
            let _ = writeln!(out, " {}", chunk.join(" "));
        }
    }
    let _ = writeln!(out, "End");
    out
}
