//! The fenced blocks of both guides (docs/guide.md, docs/guide.en.md) are run, so a guide cannot drift from the
//! tool: every `sh` block line by line with the binary, in the guide's order, in a fresh folder per guide and
//! against the embedded simulator; every `toml` block through the configuration loader. A command that needs the
//! agencies stands on SKIP with its reason; a command whose exit code here is not 0 stands on EXPECT with why.

mod common;

use std::path::Path;

const GUIDES: [&str; 2] = ["docs/guide.md", "docs/guide.en.md"];

/// Commands not run here, each with the reason.
const SKIP: &[(&str, &str)] = &[
    (
        "dsop-harness doctor --env test",
        "calls the agencies' test environment, which tests never reach; doctor's checks run against the simulator in \
         tests/doctor_checks.rs and tests/doctor_cli.rs",
    ),
    (
        "dsop-harness run --env test --workbook integrasjonstest-ajourhold-otp.xlsx",
        "needs the agencies' test environment; the same code path runs against the simulator through `rehearse`",
    ),
];

/// Commands whose exit code here is not 0: (command, exit code, why).
const EXPECT: &[(&str, i32, &str)] = &[
    (
        "dsop-harness run --rerun-failed reports/latest",
        2,
        "here the latest run is the rehearsal (the real run is skipped), and a rehearsal is never mixed with a test \
         run (exit 2)",
    ),
    (
        "dsop-harness verify reports/latest/bundle.zip",
        1,
        "here the latest run is a rehearsal, which verify refuses as evidence (exit 1)",
    ),
];

/// Arguments added to a command here, with why (a guide shows the command as a user types it).
const EXTRA: &[(&str, &[&str], &str)] = &[(
    "dsop-harness rehearse",
    &["--token-lifetime", "3", "--tolerance", "1"],
    "real-time waits shortened from minutes to seconds",
)];

/// The configuration a command finds here, with why. The reader has filled in `dsop-harness.toml` with their own
/// client and certificate by then (section 3); here it has none, so `rehearse` makes its throw-away key, and the
/// harness's own expiry tolerance is shortened to match the simulator's.
const CONFIG_FOR: &[(&str, &str)] = &[(
    "dsop-harness rehearse",
    "[institution]\norgnr = \"987654309\"\nname = \"Eksempel Pensjon AS\"\n\n[profile.test]\n\
     expiry_tolerance_secs = 1\nnav_expiry_tolerance_secs = 1\n",
)];

struct Block {
    lang: String,
    text: String,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match current.take() {
                Some(b) => out.push(b),
                None => {
                    current = Some(Block {
                        lang: info.trim().to_string(),
                        text: String::new(),
                        line: i + 1,
                    })
                }
            }
        } else if let Some(b) = current.as_mut() {
            b.text.push_str(line);
            b.text.push('\n');
        }
    }
    assert!(current.is_none(), "an unclosed fenced block");
    out
}

fn commands(b: &Block) -> Vec<String> {
    b.text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn run_command(dir: &Path, guide: &str, block: &Block, command: &str) {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(
        words.first(),
        Some(&"dsop-harness"),
        "{guide}:{}: a command block holds only dsop-harness commands: {command}",
        block.line
    );
    let mut args: Vec<&str> = words[1..].to_vec();
    if let Some((_, extra, _)) = EXTRA.iter().find(|(c, _, _)| *c == command) {
        args.extend_from_slice(extra);
    }
    if let Some((_, config)) = CONFIG_FOR.iter().find(|(c, _)| *c == command) {
        std::fs::write(dir.join("dsop-harness.toml"), config).unwrap();
    }
    let want = EXPECT
        .iter()
        .find(|(c, _, _)| *c == command)
        .map_or(0, |(_, code, _)| *code);
    let (code, text) = common::code_and_text(
        common::harness()
            .current_dir(dir)
            .args(&args)
            .env_remove("DSOP_ENV")
            .env("CI", "true"),
    );
    assert_eq!(
        code, want,
        "{guide}:{}: `{command}` exited {code}, expected {want}:\n{text}",
        block.line
    );
}

fn check_toml(guide: &str, block: &Block, dir: &Path) {
    let path = dir.join(format!("block-{}.toml", block.line));
    std::fs::write(&path, &block.text).unwrap();
    let cfg = dsop_harness::config::Config::load(Some(&path)).unwrap_or_else(|e| {
        panic!(
            "{guide}:{}: the configuration does not load: {e}",
            block.line
        )
    });
    cfg.delegation()
        .unwrap_or_else(|e| panic!("{guide}:{}: {e}", block.line));
}

#[test]
fn every_block_of_both_guides_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = Vec::new();
    for guide in GUIDES {
        let text = std::fs::read_to_string(root.join(guide)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let all = blocks(&text);
        assert!(
            all.iter().any(|b| b.lang == "sh"),
            "{guide} has no command block"
        );
        for b in &all {
            match b.lang.as_str() {
                "sh" => {
                    for c in commands(b) {
                        seen.push(c.clone());
                        if SKIP.iter().any(|(s, _)| *s == c) {
                            println!("{guide}:{}: not run: {c}", b.line);
                            continue;
                        }
                        run_command(dir.path(), guide, b, &c);
                    }
                }
                "toml" => check_toml(guide, b, dir.path()),
                "text" | "" => {}
                other => panic!("{guide}:{}: a block of unknown kind `{other}`", b.line),
            }
        }
    }
    // The lists name only commands the guides still show.
    let listed = SKIP
        .iter()
        .map(|(c, _)| *c)
        .chain(EXPECT.iter().map(|(c, _, _)| *c))
        .chain(EXTRA.iter().map(|(c, _, _)| *c))
        .chain(CONFIG_FOR.iter().map(|(c, _)| *c));
    for c in listed {
        assert!(
            seen.iter().any(|s| s == c),
            "`{c}` is listed in tests/guide_blocks.rs but no guide shows it"
        );
    }
}
