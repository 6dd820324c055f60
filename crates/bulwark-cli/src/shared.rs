//! The flags more than one binary takes, each defined once. Where a tool explains a flag
//! in its own words, it keeps the definition and changes only the help text (or the
//! default) with `#[command(edit_arg(..))]` ([`EditArg`]).

use std::path::PathBuf;
use std::time::Duration;

use bulwark_core::{ColorChoice, Format, Output, OutputOptions, harden};

/// `--format` for binaries that print human text or JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Text for people, coloured on a terminal.
    #[default]
    Human,
    /// One JSON document on stdout (see docs/json-output.md).
    Json,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Human => Self::Human,
            FormatArg::Json => Self::Json,
        }
    }
}

/// `--format`, whose values are `F` (leak-scan adds SARIF to [`FormatArg`]'s).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct FormatFlag<F = FormatArg>
where
    F: clap::ValueEnum + Default + Clone + Send + Sync + 'static,
{
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = F::default())]
    pub format: F,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Flags every binary takes, before or after its subcommand.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// bulwark.toml to use [default: found by walking up from the current directory]
    #[arg(long, global = true, value_name = "FILE", env = "BULWARK_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputFlags,
}

/// The output flags every binary takes (leak-scan, which reads no bulwark.toml, takes
/// only these: its `--config` is a gitleaks config, as in gitleaks).
#[derive(Debug, clap::Args)]
pub struct OutputFlags {
    /// When to colour output
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Show more detail on stderr (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only errors and warnings on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl Common {
    /// The output options for `format`.
    #[must_use]
    pub fn output_options(&self, format: Format) -> OutputOptions {
        self.output.output_options(format)
    }
}

impl OutputFlags {
    /// The output options for `format`.
    #[must_use]
    pub fn output_options(&self, format: Format) -> OutputOptions {
        OutputOptions {
            format,
            color: match self.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
            verbose: self.verbose,
            quiet: self.quiet,
        }
    }
}

/// `--identity FILE`: the first place the age identity is looked for.
#[derive(Debug, Clone, clap::Args)]
pub struct IdentityArg {
    /// age identity file [default: $BULWARK_AGE_IDENTITY, the OS keyring, then
    /// ~/.config/bulwark/identity.txt]
    #[arg(long, global = true, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

/// `--timeout SECONDS`: how long a target CLI may take.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct TimeoutArg {
    /// Stop a target CLI that has not finished after this many seconds
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

impl TimeoutArg {
    /// The timeout as a duration.
    #[must_use]
    pub fn duration(self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

/// Changes one flag of a command where it stands. clap's own `mut_arg` moves the flag to
/// the end of the command's list, which reorders the generated shell completions.
pub trait EditArg {
    /// Applies `edit` to the flag `id`.
    ///
    /// # Panics
    ///
    /// When the command has no flag `id` (as `mut_arg` does): a typo fails the tests.
    #[must_use]
    fn edit_arg(self, id: &str, edit: impl FnOnce(clap::Arg) -> clap::Arg) -> Self;
}

impl EditArg for clap::Command {
    fn edit_arg(self, id: &str, edit: impl FnOnce(clap::Arg) -> clap::Arg) -> Self {
        let mut edit = Some(edit);
        let command = self.mut_args(|arg| match edit.take_if(|_| arg.get_id() == id) {
            Some(edit) => edit(arg),
            None => arg,
        });
        assert!(edit.is_none(), "no flag `{id}` to edit");
        command
    }
}

/// Hardens the process before any secret can be in memory, and makes the output writer.
#[must_use]
pub fn start(tool: &'static str, options: OutputOptions) -> Output {
    harden::install_panic_hook(tool);
    let out = Output::new(options);
    if let Err(err) = harden::disable_core_dumps() {
        out.warn(&format!("could not disable core dumps: {err}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::{Arg, Command};

    use super::EditArg as _;

    fn ids(command: &Command) -> Vec<&str> {
        command
            .get_arguments()
            .map(|arg| arg.get_id().as_str())
            .collect()
    }

    #[test]
    fn edit_arg_changes_a_flag_where_it_stands() {
        let command = Command::new("tool")
            .arg(Arg::new("first").long("first"))
            .arg(Arg::new("second").long("second").help("old"))
            .arg(Arg::new("third").long("third"))
            .edit_arg("second", |arg| arg.help("new"));
        assert_eq!(ids(&command), ["first", "second", "third"]);
        let second = command
            .get_arguments()
            .find(|arg| arg.get_id() == "second")
            .expect("still there");
        assert_eq!(
            second.get_help().map(ToString::to_string).as_deref(),
            Some("new")
        );
    }

    #[test]
    #[should_panic(expected = "no flag `secnd` to edit")]
    fn edit_arg_refuses_a_flag_that_does_not_exist() {
        let _ = Command::new("tool")
            .arg(Arg::new("second").long("second"))
            .edit_arg("secnd", |arg| arg.help("new"));
    }
}
