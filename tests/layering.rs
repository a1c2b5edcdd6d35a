//! No import cycle between the top-level modules of `src/`: every `crate::<module>` path (in `use` lines and
//! inline; `dsop_harness::<module>` in the binary) points to a lower layer of the table in
//! `docs/architecture.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// module -> layer, from the table under "## Layering" in docs/architecture.md.
fn layers() -> BTreeMap<String, u32> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let section = doc
        .split("## Layering")
        .nth(1)
        .expect("docs/architecture.md has a \"## Layering\" section");
    let mut out = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let [_, layer, modules, ..] = cells.as_slice() {
            if let Ok(n) = layer.parse::<u32>() {
                for m in modules.split(',') {
                    out.insert(m.trim().to_string(), n);
                }
            }
        }
    }
    assert!(!out.is_empty(), "no layering table found");
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for lib.rs and main.rs).
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Every top-level module named by a `crate::x` or `dsop_harness::x` path, comments left out.
fn imports(text: &str) -> Vec<(usize, String)> {
    let re = regex::Regex::new(r"\b(?:crate|dsop_harness)::([a-z_][a-z0-9_]*)").unwrap();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        for c in re.captures_iter(code) {
            out.push((n + 1, c[1].to_string()));
        }
    }
    out
}

#[test]
fn every_import_goes_to_a_lower_layer() {
    let layers = layers();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut problems = Vec::new();
    for f in &files {
        let Some(m) = module_of(f) else { continue };
        let Some(&own) = layers.get(&m) else {
            problems.push(format!(
                "src/{m} is not in the layering table of docs/architecture.md"
            ));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (line, dep) in imports(&text) {
            if dep == m {
                continue;
            }
            match layers.get(&dep) {
                // Not a module of ours (e.g. `crate::VERSION`, a function of lib.rs).
                None if dep.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {}
                None => problems.push(format!(
                    "{}:{line}: {dep} is not in the layering table",
                    f.display()
                )),
                Some(&l) if l >= own => problems.push(format!(
                    "{}:{line}: {m} (layer {own}) imports {dep} (layer {l})",
                    f.display()
                )),
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No function in `src/run` is longer than 80 lines, from `fn` to its closing brace.
#[test]
fn no_function_in_run_is_longer_than_80_lines() {
    let fn_start = regex::Regex::new(r"^\s*(pub(\([a-z]+\))?\s+)?(async\s+)?fn\s").unwrap();
    let mut files = Vec::new();
    rust_files(&root().join("src/run"), &mut files);
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !fn_start.is_match(l) {
                continue;
            }
            let (mut depth, mut opened) = (0i64, false);
            let mut end = i;
            for (j, line) in lines.iter().enumerate().skip(i) {
                end = j;
                depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
                opened |= line.contains('{');
                if (opened && depth <= 0) || (!opened && line.trim_end().ends_with(';')) {
                    break;
                }
            }
            if end - i + 1 > 80 {
                long.push(format!("{}:{}: {} lines", f.display(), i + 1, end - i + 1));
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}
