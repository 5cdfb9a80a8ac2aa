//! The house's shape, read from the source: every top-level module sits on a layer, an
//! import (`crate::…`) only points to the same layer or lower, no modules import each other
//! in a circle, and the web layer never reaches the database's query functions. A module
//! added without a place in [`LAYERS`] fails here, so it has to be given one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// From the top down (docs/ARCHITECTURE.md explains each). Within a row, too, the order is
/// the layering: a module may import those after it, not those before.
const LAYERS: &[&[&str]] = &[
    &["main", "cli", "startup", "bin"],
    &["http"],
    &["login"],
    &["sso"],
    &["scim"],
    &["admin"],
    &["oidc"],
    &["passkeys"],
    &["mfa"],
    &["auth"],
    &["apikeys"],
    &["jwt"],
    &["audit"],
    &["events"],
    &["authority"],
    &["error"],
    &["ratelimit"],
    &["mail"],
    &["crypto"],
    &["db"],
    &["config", "ids", "text", "telemetry", "tls", "lib"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("src/{module} has no layer in tests/it/layers.rs"))
}

/// The code of a file without its tests and comments (a doc link is not an import).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// module → (module it imports → files that do).
fn imports() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let import = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let entry = graph.entry(top.clone()).or_default();
        for m in import.captures_iter(&code) {
            let to = m[1].to_string();
            if to != top {
                entry.entry(to).or_default().insert(rel.clone());
            }
        }
    }
    graph
}

#[test]
fn imports_point_down_only() {
    let graph = imports();
    let mut upward = Vec::new();
    for (from, tos) in &graph {
        for (to, files) in tos {
            if layer_of(to) < layer_of(from) {
                upward.push(format!("{from} -> {to} ({files:?})"));
            }
        }
    }
    assert!(upward.is_empty(), "imports pointing up: {upward:#?}");
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let graph = imports();
    // Depth-first search for a back edge; the path found is the circle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            return Some(path[i..].to_vec());
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|t| t.keys()) {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let circle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(circle.is_none(), "an import circle: {circle:?}");
    }
}

#[test]
fn the_web_layer_never_calls_the_database_query_functions() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let reaching: Vec<String> = files
        .iter()
        .filter(|f| code_of(&std::fs::read_to_string(f).unwrap()).contains("db::models"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        reaching.is_empty(),
        "http/ reaches db::models: {reaching:?}"
    );
}

/// No database row type reaches `http/` by a side door: nothing outside `db/` re-exports
/// a model's type (`pub use crate::db::models::…`); the domain hands out its own views.
#[test]
fn no_database_row_type_is_re_exported_outside_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let store = src.join("db");
    let re_exporting: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&store))
        .filter(|f| {
            let code = code_of(&std::fs::read_to_string(f).unwrap());
            code.lines()
                .any(|l| l.trim_start().starts_with("pub use") && l.contains("db::models"))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        re_exporting.is_empty(),
        "row types re-exported outside db/: {re_exporting:?}"
    );
}

/// Inside a module, no two files import each other (`super::x` or `crate::<module>::x`):
/// shared types go to a leaf file (as `sso/settings.rs`, `oidc/client_audiences.rs`).
#[test]
fn no_two_files_of_a_module_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
        // Direct files of a module (`sso/flow.rs`), and directory modules (`db/memory/mod.rs`).
        let (top, me) = match parts.as_slice() {
            [top, me] if *me != "mod" => (*top, *me),
            [top, me, "mod"] => (*top, *me),
            _ => continue,
        };
        let import = regex::Regex::new(&format!(r"(?:super|crate::{top})::([a-z_]+)")).unwrap();
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for m in import.captures_iter(&code) {
            if &m[1] != me {
                edges.insert((format!("{top}/{me}"), format!("{top}/{}", &m[1])));
            }
        }
    }
    let circles: Vec<_> = edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone())))
        .collect();
    assert!(
        circles.is_empty(),
        "files importing each other: {circles:?}"
    );
}
