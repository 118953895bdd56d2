//! The coordinator's layout is its architecture: its top-level modules
//! (a file or a folder of `coordinator/src`) use one another one way only,
//! and `docs/architecture.md` names every one of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The top-level module a path of `src/` belongs to: `report` for
/// `src/report/svg/mod.rs`, `mode` for `src/mode.rs`.
fn module_of(path: &Path) -> String {
    let first = path.strip_prefix(src()).expect("under src").components().next().expect("a component");
    first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The top-level modules that `text` names through `crate::` paths, outside
/// its tests and comments: `crate::report::x` and `crate::{os::pin, mode}`.
fn used(text: &str) -> BTreeSet<String> {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    let code: String =
        text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each item at the group's own depth:
            // `{os::{pin, lock}, mode}` names `os` and `mode`.
            let (mut depth, mut item) = (1, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' | ',' if depth == 1 => {
                        names.insert(item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
                        item.clear();
                        if c == '}' {
                            break;
                        }
                    }
                    '}' => depth -= 1,
                    _ if depth == 1 => item.push(c),
                    _ => {}
                }
            }
        } else {
            names.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    names
}

/// Which top-level module uses which.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let all = files(&src());
    let modules: BTreeSet<String> = all.iter().map(|p| module_of(p)).filter(|m| m != "main").collect();
    for path in &all {
        let module = module_of(path);
        if module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let entry = uses.entry(module.clone()).or_default();
        entry.extend(used(&text).into_iter().filter(|name| modules.contains(name) && *name != module));
    }
    uses
}

/// Every module `from` reaches through the uses, itself excluded unless
/// it is on a circle.
fn reached(from: &str, uses: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&String> = uses.get(from).into_iter().flatten().collect();
    while let Some(next) = todo.pop() {
        if seen.insert(next.clone()) {
            todo.extend(uses.get(next).into_iter().flatten());
        }
    }
    seen
}

#[test]
fn no_module_of_the_coordinator_uses_one_that_uses_it_back() {
    let uses = uses();
    assert!(uses.len() >= 10, "expected the coordinator's modules, found {uses:?}");
    let circles: Vec<String> = uses
        .keys()
        .filter(|module| reached(module, &uses).contains(*module))
        .map(|module| format!("{module} -> {:?}", uses[module]))
        .collect();
    assert!(circles.is_empty(), "modules on a circle (each with what it uses):\n{}", circles.join("\n"));
}

#[test]
fn the_circle_check_finds_a_circle() {
    let uses: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert!(reached("a", &uses).contains("a"));
    assert_eq!(used("use crate::{os::{pin, lock}, model};"), BTreeSet::from(["os".to_owned(), "model".to_owned()]));
    assert_eq!(
        used("use crate::{os::pin, mode};\nlet x = crate::report::build(); // crate::app"),
        BTreeSet::from(["os".to_owned(), "mode".to_owned(), "report".to_owned()])
    );
}

#[test]
fn the_architecture_names_every_module_of_the_coordinator() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"))
        .expect("docs/architecture.md");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(src()).expect("coordinator/src") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a name").to_string_lossy().into_owned();
        let named = if path.is_dir() { format!("\n{name}/") } else { format!("\n{name}") };
        if name != "main.rs" && !doc.contains(&named) {
            missing.push(named.trim().to_owned());
        }
        if path.is_dir() {
            for file in std::fs::read_dir(&path).expect("a folder").map(|e| e.expect("an entry").path()) {
                let inner = file.file_name().expect("a name").to_string_lossy().into_owned();
                if inner != "mod.rs" && !doc.contains(inner.trim_end_matches(".rs")) {
                    missing.push(format!("{name}/{inner}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "docs/architecture.md does not name {missing:?}");
}
