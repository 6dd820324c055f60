//! The checked-in shell completions (`completions/`), run by the shells themselves:
//! bash through its completion function (`COMP_WORDS`/`COMP_CWORD`, then `COMPREPLY`), fish
//! through `complete -C`, zsh by loading the `#compdef` file through compinit. Every
//! binary the root Cargo.toml declares is covered, with every subcommand clap knows.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `[[bin]]` names of the root Cargo.toml, in order.
pub(crate) fn declared_binaries() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("root Cargo.toml");
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().trim_start_matches('=').trim();
            names.push(value.trim_matches('"').to_owned());
        }
    }
    assert!(!names.is_empty(), "no [[bin]] in Cargo.toml");
    names
}

/// The shell `shell`, or None when it is not installed (a failure under CI=true, where
/// tests/setup.sh installs it).
fn shell(shell: &str) -> Option<&str> {
    let found = Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{shell} is not installed (tests/setup.sh installs it)"
        );
        #[expect(clippy::print_stderr, reason = "a test skipped outside CI says so")]
        {
            eprintln!("{shell} is not installed: its completions are not tested here");
        }
        return None;
    }
    Some(shell)
}

/// Each binary's clap command, as the completions were generated from it.
fn command(name: &str) -> clap::Command {
    let (_, mut command) = bulwark_cli::commands()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| {
            panic!("{name} is declared in Cargo.toml but not in bulwark_cli::commands()")
        });
    command.build();
    command
}

/// The visible long options of `command` (`--format`, ...), which `--<TAB>` must offer.
fn long_options(command: &clap::Command) -> Vec<String> {
    let mut longs: Vec<String> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    longs.sort();
    longs
}

/// The word lists to complete for `name`: `[name, --]` and `[name, sub, --]` for every
/// subcommand but help, each with the long options clap says it takes.
fn cases(name: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let command = command(name);
    let mut cases = vec![(
        vec![name.to_owned(), "--".to_owned()],
        long_options(&command),
    )];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        cases.push((
            vec![name.to_owned(), sub.get_name().to_owned(), "--".to_owned()],
            long_options(sub),
        ));
    }
    cases
}

fn completion(file: &str) -> PathBuf {
    let path = root().join("completions").join(file);
    assert!(
        path.is_file(),
        "{} is missing (run `just gen`)",
        path.display()
    );
    path
}

/// What bash's completion function for `name` answers for `words` (the last one being
/// completed), one candidate a line.
fn bash_complete(name: &str, words: &[String]) -> Vec<String> {
    let script = r#"
set -u
source "$1"
spec="$(complete -p "$2")" || { echo "no complete spec for $2" >&2; exit 3; }
func="$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")"
[ -n "$func" ] || { echo "no completion function in: $spec" >&2; exit 3; }
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
prev=""
[ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"
"$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "$prev"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash")
        .arg("--norc")
        .arg("--noprofile")
        .arg("-c")
        .arg(script)
        .arg("bash")
        .arg(completion(&format!("{name}.bash")))
        .arg(name)
        .args(words)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash completion of {words:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out.stdout)
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_options_after_the_subcommand() {
    let Some(_) = shell("bash") else { return };
    // The case of the report: `leak-scan git --r<TAB>`.
    let words = ["leak-scan", "git", "--r"].map(str::to_owned);
    let offered = bash_complete("leak-scan", &words);
    assert!(
        offered.iter().any(|o| o == "--range"),
        "leak-scan git --r<TAB> offers {offered:?}"
    );
    assert!(offered.iter().all(|o| o.starts_with("--r")), "{offered:?}");
    for name in declared_binaries() {
        for (words, expected) in cases(&name) {
            assert!(!expected.is_empty(), "{words:?} has no long option");
            let offered = bash_complete(&name, &words);
            for option in &expected {
                assert!(
                    offered.contains(option),
                    "bash: {} <TAB> does not offer {option}: {offered:?}",
                    words.join(" ")
                );
            }
        }
    }
}

#[test]
fn fish_completes_options_after_the_subcommand() {
    let Some(fish) = shell("fish") else { return };
    for name in declared_binaries() {
        let file = completion(&format!("{name}.fish"));
        let check = Command::new(fish)
            .arg("-n")
            .arg(&file)
            .output()
            .expect("fish -n");
        assert!(
            check.status.success(),
            "fish -n {}: {}",
            file.display(),
            String::from_utf8_lossy(&check.stderr)
        );
        for (words, expected) in cases(&name) {
            let out = Command::new(fish)
                .arg("--no-config")
                .arg("-c")
                .arg("source $argv[1]; complete -C $argv[2]")
                .arg(&file)
                .arg(words.join(" "))
                .output()
                .expect("run fish");
            assert!(
                out.status.success(),
                "fish: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // fish prints `--option<TAB>description`.
            let offered: Vec<String> = lines(&out.stdout)
                .into_iter()
                .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
                .collect();
            for option in &expected {
                assert!(
                    offered.contains(option),
                    "fish: {} <TAB> does not offer {option}: {offered:?}",
                    words.join(" ")
                );
            }
        }
    }
}

#[test]
fn zsh_loads_each_completion_through_compinit() {
    let Some(zsh) = shell("zsh") else { return };
    let dir = root().join("completions");
    for name in declared_binaries() {
        let file = completion(&format!("_{name}"));
        let check = Command::new(zsh)
            .arg("-n")
            .arg(&file)
            .output()
            .expect("zsh -n");
        assert!(
            check.status.success(),
            "zsh -n {}: {}",
            file.display(),
            String::from_utf8_lossy(&check.stderr)
        );
        // compinit reads the #compdef line: the binary must be bound to its function,
        // and the function must load (autoload +X) from the file.
        let script = r#"fpath=("$1" $fpath)
autoload -Uz compinit && compinit -u -D || exit 3
[[ "${_comps[$2]}" == "_$2" ]] || { print -u2 "not bound: ${_comps[$2]-}"; exit 4 }
autoload -Uz +X "_$2" || exit 5
whence -w "_$2""#;
        let out = Command::new(zsh)
            .arg("-f")
            .arg("-c")
            .arg(script)
            .arg("zsh")
            .arg(&dir)
            .arg(&name)
            .env("HOME", std::env::temp_dir())
            .output()
            .expect("run zsh");
        assert!(
            out.status.success(),
            "zsh could not load _{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("_{name}: function")
        );
    }
}
