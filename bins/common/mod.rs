//! Flags and start-up shared by every binary. Each `main.rs` includes this module with
//! `#[path]`: the binaries are separate crates, and clap must stay out of the libraries.

use std::path::PathBuf;

use bulwark_core::{ColorChoice, Format, Output, OutputOptions, harden};

/// `--format` for binaries that print human text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Text for people, coloured on a terminal.
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

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorArg {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Flags every binary takes, before or after its subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// bulwark.toml to use [default: found by walking up from the current directory]
    #[arg(long, global = true, value_name = "FILE", env = "BULWARK_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// When to colour output
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub(crate) color: ColorArg,

    /// Show more detail on stderr (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Print only errors and warnings on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
}

impl Common {
    /// The output options for `format`.
    pub(crate) fn output_options(&self, format: Format) -> OutputOptions {
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

/// Hardens the process before any secret can be in memory, and makes the output writer.
pub(crate) fn start(tool: &'static str, options: OutputOptions) -> Output {
    harden::install_panic_hook(tool);
    let out = Output::new(options);
    if let Err(err) = harden::disable_core_dumps() {
        out.warn(&format!("could not disable core dumps: {err}"));
    }
    out
}
