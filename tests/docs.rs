//! Every Bulwark command a reader of the README and `docs/` is told to type, parsed by
//! the tool's real argument parser, so the documentation cannot drift from the flags.
//! The walkthrough (docs/README.md) is also run for real, in `walkthrough.rs`.

use std::path::Path;

use crate::workflow::{TOOLS, parse_tool_command, tool_commands};

/// The shell text of a Markdown page: its fenced blocks that hold commands (`sh`, `bash`,
/// `console`, `cron`, `just`, `ini` for systemd units, and untagged ones) and its indented
/// code blocks, each with the line it starts on.
pub(crate) fn shell_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut fence: Option<(usize, bool, String)> = None;
    let mut indented: Option<(usize, String)> = None;
    let mut previous_blank = true;
    for (index, line) in markdown.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        if let Some((start, keep, mut text)) = fence.take() {
            if trimmed.starts_with("```") {
                if keep {
                    blocks.push((start, text));
                }
            } else {
                text.push_str(line.strip_prefix("$ ").unwrap_or(line));
                text.push('\n');
                fence = Some((start, keep, text));
            }
            continue;
        }
        if let Some(info) = trimmed.strip_prefix("```") {
            let language = info.split_whitespace().next().unwrap_or("");
            let keep = matches!(
                language,
                "" | "sh" | "bash" | "shell" | "console" | "cron" | "just" | "ini"
            );
            fence = Some((number + 1, keep, String::new()));
            continue;
        }
        match (line.strip_prefix("    "), indented.as_mut()) {
            (Some(code), Some((_, text))) => {
                text.push_str(code);
                text.push('\n');
            }
            (Some(code), None) if previous_blank && !code.trim().is_empty() => {
                indented = Some((number, format!("{code}\n")));
            }
            (None, _) if !line.trim().is_empty() => {
                blocks.extend(indented.take());
            }
            _ => {}
        }
        previous_blank = line.trim().is_empty();
    }
    blocks.extend(indented);
    blocks
}

/// systemd's `ExecStart=PROGRAM ARGS` lines as plain command lines.
fn unit_lines(block: &str) -> String {
    block
        .lines()
        .map(|line| line.strip_prefix("ExecStart=").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

fn pages() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![("README.md".to_owned(), root.join("README.md"))];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    for path in docs {
        let name = format!("docs/{}", path.file_name().expect("name").to_string_lossy());
        pages.push((name, path));
    }
    pages
        .into_iter()
        .map(|(name, path)| {
            let text = std::fs::read_to_string(&path).expect("readable page");
            (name, text)
        })
        .collect()
}

#[test]
fn every_bulwark_command_in_the_docs_parses_with_the_real_flags() {
    let mut per_tool = std::collections::BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for (page, text) in pages() {
        for (line, block) in shell_blocks(&text) {
            for args in tool_commands(&unit_lines(&block)) {
                *per_tool.entry(args[0].clone()).or_default() += 1;
                if let Err(err) = parse_tool_command(&args) {
                    let err = err.render().to_string();
                    let first = err.lines().next().unwrap_or_default().to_owned();
                    failures.push(format!(
                        "{page} (block at line {line}): `{}`: {first}",
                        args.join(" ")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The extraction itself works: every tool's page shows the tool in use.
    for tool in TOOLS {
        assert!(
            per_tool.get(tool).is_some_and(|n| *n >= 2),
            "{tool}: {per_tool:?}"
        );
    }
}

#[test]
fn the_extraction_finds_fenced_indented_and_systemd_commands_and_catches_a_wrong_flag() {
    let page = "Intro.\n\n```sh\n$ leak-scan git --range v1..HEAD   # a comment with --bogus\n```\n\n```toml\nleak-scan = 1\n```\n\n    db-backup verify backups \\\n      --format json 2>&1 | tee out\n\nText.\n\n```ini\nExecStart=/usr/local/bin/db-backup prune backups --keep-last 3 --yes\n```\n";
    let blocks = shell_blocks(page);
    let commands: Vec<Vec<String>> = blocks
        .iter()
        .flat_map(|(_, block)| tool_commands(&unit_lines(block)))
        .collect();
    assert_eq!(
        commands,
        [
            vec!["leak-scan", "git", "--range", "v1..HEAD"],
            vec!["db-backup", "verify", "backups", "--format", "json"],
            vec!["db-backup", "prune", "backups", "--keep-last", "3", "--yes"],
        ]
    );
    for args in &commands {
        assert!(parse_tool_command(args).is_ok(), "{args:?}");
    }
    let wrong = &tool_commands("secrets-sync plan --env production --dry")[0];
    assert!(parse_tool_command(wrong).is_err());
}
