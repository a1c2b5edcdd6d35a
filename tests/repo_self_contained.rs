//! The repository carries what its tests and readers need: no doc, test or source file points outside it
//! (`.ci/run` alone may call the output-contract checker beside the repository).

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            if name != "target" && name != ".git" && name != "reports" && name != "snapshots" {
                files(&p, out);
            }
        } else if [
            "rs", "md", "toml", "tera", "xml", "yml", "yaml", "txt", "json", "rels", "html",
        ]
        .iter()
        .any(|x| name.ends_with(&format!(".{x}")))
        {
            out.push(p);
        }
    }
}

#[test]
fn no_file_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for d in [
        "src",
        "tests",
        "docs",
        "templates",
        "testcases",
        "benches",
        "examples",
        ".github",
    ] {
        files(&root.join(d), &mut all);
    }
    for f in ["README.md", "Cargo.toml", "build.rs", "DEVELOPERS.md"] {
        if root.join(f).is_file() {
            all.push(root.join(f));
        }
    }
    assert!(all.len() > 50, "only {} files found", all.len());
    // Built from pieces so that this file does not match itself.
    let outside = [
        format!("/{}/", "work"),
        format!("..{}shared", "/"),
        format!("shared{}reference", "/"),
        format!("shared{}specs", "/"),
        format!("shared{}tools", "/"),
    ];
    let mut found = Vec::new();
    for f in &all {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o.as_str())) {
                found.push(format!(
                    "{}:{}: {}",
                    f.strip_prefix(root).unwrap_or(f).display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "paths outside the repository (write what is needed into docs/ or tests/fixtures/ instead):\n{}",
        found.join("\n")
    );
}
