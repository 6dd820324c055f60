//! Man pages and shell completions, rendered from the binaries' own clap definitions and
//! checked in (`docs/man/`, `completions/`). This test fails when they are stale;
//! `just gen` (`BULWARK_REGENERATE=1`) rewrites them.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

/// Every file generated from `command` (the binary `name`): its man page, one per
/// subcommand, and completions for bash, zsh and fish.
fn render(name: &str, command: clap::Command) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut command = command;
    command.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .expect("rendering to memory cannot fail");
    files.push((PathBuf::from(format!("docs/man/{name}.1")), page));
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let sub_name = format!("{name}-{}", sub.get_name());
        // clap names are static strings; a test process may keep a few.
        let static_name: &'static str = Box::leak(sub_name.clone().into_boxed_str());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(static_name))
            .render(&mut page)
            .expect("rendering to memory cannot fail");
        files.push((PathBuf::from(format!("docs/man/{sub_name}.1")), page));
    }
    for (shell, file) in [
        (Shell::Bash, format!("{name}.bash")),
        (Shell::Zsh, format!("_{name}")),
        (Shell::Fish, format!("{name}.fish")),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, name, &mut script);
        if shell == Shell::Bash {
            script = fix_bash_hyphenated_name(name, &script);
        }
        files.push((PathBuf::from(format!("completions/{file}")), script));
    }
    files
}

/// `clap_complete`'s bash generator names the state of a binary called `leak-scan`
/// `leak__scan` where it walks the words, but labels the subcommands' branches
/// `leak__subcmd__scan__subcmd__git` (it escapes the `-` of the binary name as if it
/// separated subcommands). No branch ever matches, so nothing completes after the
/// subcommand. Rename the branches to the state the walk produces.
fn fix_bash_hyphenated_name(name: &str, script: &[u8]) -> Vec<u8> {
    let script = std::str::from_utf8(script).expect("clap_complete writes UTF-8");
    let walked = format!("{}__subcmd__", name.replace('-', "__"));
    let labelled = format!("{}__subcmd__", name.replace('-', "__subcmd__"));
    if walked == labelled {
        return script.as_bytes().to_vec();
    }
    script.replace(&labelled, &walked).into_bytes()
}

#[test]
fn man_pages_and_completions_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("BULWARK_REGENERATE").is_some();
    let mut files = Vec::new();
    for (name, command) in bulwark_cli::commands() {
        files.extend(render(name, command));
    }
    let mut stale = Vec::new();
    for (path, content) in &files {
        let full = root.join(path);
        if regenerate {
            std::fs::create_dir_all(full.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&full, content).expect("write");
        } else if std::fs::read(&full).ok().as_deref() != Some(content.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files (run `just gen`): {}",
        stale.join(", ")
    );
    // And nothing generated earlier for a command that no longer exists.
    for dir in ["docs/man", "completions"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("generated dir exists") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            assert!(
                files.iter().any(|(p, _)| *p == rel),
                "{} is not generated any more: remove it",
                rel.display()
            );
        }
    }
}
