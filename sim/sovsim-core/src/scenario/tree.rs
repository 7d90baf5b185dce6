//! The parsed TOML tree with global spans: shifting, merging (`extends`, overrides), and finding
//! the field path and span of any byte.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// A node of the parsed document.
pub type Node<'i> = Spanned<DeValue<'i>>;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Formats a path the way diagnostics show it: `sites[1].max_it_mw`.
pub fn path_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Moves every span of a tree by `offset`, so that spans of different files do not overlap.
pub fn shift(node: Node<'_>, offset: usize) -> Node<'_> {
    let span = node.span();
    let moved = span.start + offset..span.end + offset;
    let value = match node.into_inner() {
        DeValue::Table(table) => DeValue::Table(shift_table(table, offset)),
        DeValue::Array(array) => {
            let mut out = DeArray::new();
            for item in array.iter() {
                out.push(shift(item.clone(), offset));
            }
            DeValue::Array(out)
        }
        other => other,
    };
    Spanned::new(moved, value)
}

fn shift_table(table: DeTable<'_>, offset: usize) -> DeTable<'_> {
    let mut out = DeTable::new();
    for (key, value) in table {
        let span = key.span();
        let key = Spanned::new(span.start + offset..span.end + offset, key.into_inner());
        out.insert(key, shift(value, offset));
    }
    out
}

/// Lays `over` on top of `base`: tables merge key by key, arrays whose elements all have an `id`
/// merge element by element on that id (new ids are appended), anything else is replaced.
pub fn merge<'i>(base: &mut Node<'i>, over: Node<'i>) {
    let over_span = over.span();
    match (base.get_mut(), over.into_inner()) {
        (DeValue::Table(b), DeValue::Table(o)) => {
            for (key, value) in o {
                match b.get_mut(key.get_ref().as_ref()) {
                    Some(existing) => merge(existing, value),
                    None => {
                        b.insert(key, value);
                    }
                }
            }
        }
        (DeValue::Array(b), DeValue::Array(o)) if has_ids(b) && has_ids(&o) => {
            for item in o.iter() {
                let id = id_of(item);
                match b.iter_mut().find(|e| id_of(e) == id) {
                    Some(existing) => merge(existing, item.clone()),
                    None => b.push(item.clone()),
                }
            }
        }
        // The overriding value keeps its own span: diagnostics then point at the file that set it.
        (_, value) => *base = Spanned::new(over_span, value),
    }
}

fn has_ids(array: &DeArray<'_>) -> bool {
    !array.is_empty() && array.iter().all(|e| id_of(e).is_some())
}

fn id_of<'a>(node: &'a Node<'_>) -> Option<&'a str> {
    node.get_ref().as_table()?.get("id")?.get_ref().as_str()
}

/// The path of the deepest key or element whose key or value contains `at`, and that element's span.
pub fn locate(root: &Node<'_>, at: &Range<usize>) -> (Vec<Seg>, Range<usize>) {
    let mut path = Vec::new();
    let mut node = root;
    let mut span = root.span();
    loop {
        let next = match node.get_ref() {
            DeValue::Table(table) => table.iter().find_map(|(k, v)| {
                let hit = contains(&k.span(), at) || covers(v, at);
                // A key's own span is the better place to point at for an unknown or wrong key.
                let point = if contains(&k.span(), at) {
                    k.span()
                } else {
                    v.span()
                };
                hit.then(|| (Seg::Key(k.get_ref().to_string()), v, point))
            }),
            DeValue::Array(array) => array
                .iter()
                .enumerate()
                .find(|(_, v)| covers(v, at))
                .map(|(i, v)| (Seg::Index(i), v, v.span())),
            _ => None,
        };
        match next {
            Some((seg, child, point)) => {
                path.push(seg);
                node = child;
                span = point;
            }
            None => return (path, span),
        }
    }
}

/// Whether a node or any of its descendants spans `at`. The span of an array of tables does not
/// always cover its elements (it may be the first `[[header]]` only), so look inside.
fn covers(node: &Node<'_>, at: &Range<usize>) -> bool {
    contains(&node.span(), at)
        || match node.get_ref() {
            DeValue::Table(t) => t
                .iter()
                .any(|(k, v)| contains(&k.span(), at) || covers(v, at)),
            DeValue::Array(a) => a.iter().any(|v| covers(v, at)),
            _ => false,
        }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start
        && inner.end <= outer.end
        && !(outer.is_empty() && inner.start != outer.start)
}

/// Removes the deepest key or element containing `at`; returns false if nothing could be removed.
pub fn remove_at(node: &mut Node<'_>, at: &Range<usize>) -> bool {
    match node.get_mut() {
        DeValue::Table(table) => {
            let key = table
                .iter()
                .find(|(k, v)| contains(&k.span(), at) || covers(v, at))
                .map(|(k, _)| k.get_ref().to_string());
            let Some(key) = key else { return false };
            let removed_deeper = table
                .get_mut(key.as_str())
                .is_some_and(|child| remove_at(child, at));
            if !removed_deeper {
                table.remove(key.as_str());
            }
            true
        }
        DeValue::Array(array) => {
            let Some(index) = array.iter().position(|v| covers(v, at)) else {
                return false;
            };
            if !remove_at(&mut array.as_mut()[index], at) {
                let mut kept = DeArray::new();
                for (i, item) in array.iter().enumerate() {
                    if i != index {
                        kept.push(item.clone());
                    }
                }
                *array = kept;
            }
            true
        }
        _ => false,
    }
}

/// The node at a path, if present.
pub fn get<'a, 'i>(root: &'a Node<'i>, path: &[Seg]) -> Option<&'a Node<'i>> {
    let mut node = root;
    for seg in path {
        node = match (node.get_ref(), seg) {
            (DeValue::Table(t), Seg::Key(k)) => t.get(k.as_str())?,
            (DeValue::Array(a), Seg::Index(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The span of a key (not its value) at a path, falling back to the value's span.
pub fn key_span(root: &Node<'_>, path: &[Seg]) -> Option<Range<usize>> {
    let (last, parent) = path.split_last()?;
    let parent = get(root, parent)?;
    match (parent.get_ref(), last) {
        (DeValue::Table(t), Seg::Key(k)) => t.get_key_value(k.as_str()).map(|(k, _)| k.span()),
        (DeValue::Array(a), Seg::Index(i)) => a.get(*i).map(Spanned::span),
        _ => None,
    }
}
