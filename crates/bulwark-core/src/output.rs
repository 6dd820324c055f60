//! The one writer every binary prints through.
//!
//! stdout carries data only (a report, or a JSON document); stderr carries errors,
//! warnings and progress. Everything passes through the [`Redactor`] first. A closed
//! stdout (`leak-scan … | head`) stops the output, never the verdict: the binary exits
//! with the code its run earned, without a word.

use std::io::{self, IsTerminal as _, Write};
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use bulwark_secret::{Redactor, Secret};
use serde::Serialize;

use crate::{Exit, Failure, SCHEMA_VERSION, render_error};

/// What the user asked for with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Text for people, coloured on a terminal.
    #[default]
    Human,
    /// One JSON document on stdout, with `schema_version`.
    Json,
}

/// What the user asked for with `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set or `TERM=dumb`.
    #[default]
    Auto,
    /// Always colour, even into a pipe (a flag beats `NO_COLOR`).
    Always,
    /// Never colour.
    Never,
}

/// The output settings a binary's argument parser produced. Plain data: this crate
/// never sees clap.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// `--format`.
    pub format: Format,
    /// `--color`.
    pub color: ColorChoice,
    /// `-v` count: more detail on stderr.
    pub verbose: u8,
    /// `-q`: no notes or progress on stderr, only errors and warnings.
    pub quiet: bool,
}

/// Whether to colour a stream, by the `--color` choice, whether the stream is a terminal,
/// and the values of `NO_COLOR` and `TERM` (<https://no-color.org>: set and non-empty
/// means no colour).
#[must_use]
pub fn color_enabled(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<&str>,
    term: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
        }
    }
}

/// The styles a report uses; all plain when colour is off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Styles {
    /// `error:` and failed items.
    pub error: Style,
    /// `warning:` and risky items.
    pub warning: Style,
    /// Passing items.
    pub ok: Style,
    /// `hint:`.
    pub hint: Style,
    /// Secondary text.
    pub dim: Style,
    /// Headings and names.
    pub bold: Style,
}

impl Styles {
    /// No escape codes at all.
    #[must_use]
    pub fn plain() -> Self {
        Self::default()
    }

    /// The colour palette.
    #[must_use]
    pub fn colored() -> Self {
        Self {
            error: AnsiColor::Red.on_default().bold(),
            warning: AnsiColor::Yellow.on_default().bold(),
            ok: AnsiColor::Green.on_default(),
            hint: AnsiColor::Cyan.on_default().bold(),
            dim: Style::new().dimmed(),
            bold: Style::new().bold(),
        }
    }

    fn pick(enabled: bool) -> Self {
        if enabled {
            Self::colored()
        } else {
            Self::plain()
        }
    }
}

/// A finished result a binary prints: as text for people, as JSON for machines, and the
/// exit code it implies.
pub trait Report: Serialize {
    /// [`Exit::Ok`], or [`Exit::Problem`] when the check found something, or
    /// [`Exit::Operational`] when part of the work could not be done.
    fn exit(&self) -> Exit;

    /// The human rendering. `styles` is plain when colour is off.
    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()>;
}

/// The document `--format json` prints for `report`, byte for byte (before redaction,
/// which changes nothing in a report that holds no secret): what a record's digest of
/// the report is taken over.
pub fn json_document<R: Serialize>(report: &R) -> serde_json::Result<Vec<u8>> {
    let mut doc = serde_json::to_vec_pretty(&Envelope {
        schema_version: SCHEMA_VERSION,
        body: report,
    })?;
    doc.push(b'\n');
    Ok(doc)
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    schema_version: u32,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(Serialize)]
struct ErrorDocument<'a> {
    schema_version: u32,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    causes: Vec<String>,
    hint: Option<String>,
    exit_code: u8,
}

/// What a standard stream is connected to, for deciding whether a value may be written
/// to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// A pipe, e.g. to the GitHub Actions runner that runs a step.
    Pipe,
    /// A terminal.
    Terminal,
    /// A regular file (`2> log.txt`).
    File,
    /// Anything else: a socket, `/dev/null`, a closed stream.
    Other,
}

impl StreamKind {
    /// What `stream` is connected to (fstat on a duplicate of its descriptor).
    #[must_use]
    pub fn of(stream: &impl std::os::fd::AsFd) -> Self {
        use std::os::unix::fs::FileTypeExt as _;
        if stream.as_fd().is_terminal() {
            return Self::Terminal;
        }
        let file_type = stream
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
            .and_then(|file| file.metadata())
            .map(|meta| meta.file_type());
        match file_type {
            Ok(kind) if kind.is_fifo() => Self::Pipe,
            Ok(kind) if kind.is_file() => Self::File,
            _ => Self::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Pipe => "a pipe",
            Self::Terminal => "a terminal",
            Self::File => "a regular file",
            Self::Other => "neither a pipe nor a file",
        }
    }
}

/// Why values were not announced to GitHub Actions as masks: the only channel for them,
/// stderr, is not a pipe, so they would stay on a screen or in a file. Holds no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskRefused(pub StreamKind);

impl std::fmt::Display for MaskRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot announce values as GitHub Actions masks: stderr is {}, not a pipe, and every value would stay in it",
            self.0.describe()
        )
    }
}

impl std::error::Error for MaskRefused {}

/// Writes the GitHub Actions command `::add-mask::LINE` for each non-blank line of each
/// value (the runner masks line by line) into `out`. Each command is built in a buffer
/// sized up front and wiped when dropped.
pub fn write_masks<'v>(
    out: &mut dyn Write,
    values: impl IntoIterator<Item = &'v Secret>,
) -> io::Result<()> {
    const COMMAND: &str = "::add-mask::";
    for value in values {
        for line in value.expose().lines().filter(|l| !l.trim().is_empty()) {
            let mut text = String::with_capacity(COMMAND.len() + line.len() + 1);
            text.push_str(COMMAND);
            text.push_str(line);
            text.push('\n');
            let text = Secret::new(text);
            out.write_all(text.expose_bytes())?;
        }
    }
    out.flush()
}

/// The writer for one run of a binary.
#[derive(Debug)]
pub struct Output {
    options: OutputOptions,
    stdout_styles: Styles,
    stderr_styles: Styles,
    redactor: Redactor,
}

impl Output {
    /// Decides colour for stdout and stderr from `options`, the terminals and the
    /// environment.
    #[must_use]
    pub fn new(options: OutputOptions) -> Self {
        let no_color = std::env::var("NO_COLOR").ok();
        let term = std::env::var("TERM").ok();
        let decide = |is_terminal| {
            Styles::pick(color_enabled(
                options.color,
                is_terminal,
                no_color.as_deref(),
                term.as_deref(),
            ))
        };
        Self {
            options,
            stdout_styles: decide(io::stdout().is_terminal()),
            stderr_styles: decide(io::stderr().is_terminal()),
            redactor: Redactor::new(),
        }
    }

    /// The options this writer was made with.
    #[must_use]
    pub fn options(&self) -> OutputOptions {
        self.options
    }

    /// The redactor every line passes through; add values to it as soon as they are
    /// loaded, before anything could print them.
    pub fn redactor_mut(&mut self) -> &mut Redactor {
        &mut self.redactor
    }

    /// The redactor, for libraries that redact a child's output themselves.
    #[must_use]
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Whether progress may be drawn on stderr: a terminal, human format, not quiet.
    #[must_use]
    pub fn progress_allowed(&self) -> bool {
        self.options.format == Format::Human && !self.options.quiet && io::stderr().is_terminal()
    }

    /// A progress bar on stderr for work of `total` units (bytes, blobs, rows), or a
    /// spinner when the total is unknown; a no-op where [`Output::progress_allowed`] says
    /// no (JSON, `-q`, stderr not a terminal). Libraries take it as `&dyn Progress`.
    #[must_use]
    pub fn progress(&self, label: &str, total: Option<u64>) -> Box<dyn crate::Progress> {
        if self.progress_allowed() {
            Box::new(crate::progress::Bar::new(label, total))
        } else {
            Box::new(crate::NoProgress)
        }
    }

    /// Announces `values` to GitHub Actions as masks ([`write_masks`]) so that the
    /// runner hides them from the log, before anything else is printed.
    ///
    /// The runner reads workflow commands from a step's stdout and stderr; stdout is the
    /// report (and often redirected to a file), so the masks go to stderr, and only when
    /// stderr is a pipe: on a terminal or into a file the values would stay in plain
    /// sight. Nothing is written otherwise, and the refusal says why.
    pub fn add_masks<'v>(
        &self,
        values: impl IntoIterator<Item = &'v Secret>,
    ) -> Result<(), MaskRefused> {
        let stderr = io::stderr();
        match StreamKind::of(&stderr) {
            // Nowhere left to report a failure to write to stderr.
            StreamKind::Pipe => {
                let _ = write_masks(&mut stderr.lock(), values);
                Ok(())
            }
            other => Err(MaskRefused(other)),
        }
    }

    /// A `warning:` line on stderr (shown even with `-q`).
    pub fn warn(&self, message: &str) {
        let style = self.stderr_styles.warning;
        self.to_stderr(&format!("{style}warning:{style:#} {message}\n"));
    }

    /// Renders `report` for people on stderr, e.g. a plan shown before asking to apply
    /// it; the data on stdout comes later with [`Output::finish`].
    pub fn preview<R: Report>(&self, report: &R) {
        let mut buffer = Vec::new();
        if report
            .render_human(&mut buffer, &self.stderr_styles)
            .is_ok()
        {
            self.to_stderr(&String::from_utf8_lossy(&buffer));
        }
    }

    /// Lines for a CI system to read (GitHub Actions `::error …` commands), on stderr so
    /// that stdout stays one document; shown even with `-q`.
    pub fn annotate(&self, lines: &[String]) {
        for line in lines {
            self.to_stderr(&format!("{line}\n"));
        }
    }

    /// A note on stderr, hidden by `-q`.
    pub fn note(&self, message: &str) {
        if !self.options.quiet {
            self.to_stderr(&format!("{message}\n"));
        }
    }

    /// Detail on stderr, shown with `-v` (or more `v`s for `level` > 1).
    pub fn detail(&self, level: u8, message: &str) {
        if self.options.verbose >= level && !self.options.quiet {
            let dim = self.stderr_styles.dim;
            self.to_stderr(&format!("{dim}{message}{dim:#}\n"));
        }
    }

    /// Prints `report` in the chosen format and returns the exit code it implies.
    /// A closed stdout stops the output silently and keeps the report's exit code (a
    /// finding is still exit 1 under `| head -0`); any other write error exits 3.
    pub fn finish<R: Report>(&self, report: &R) -> ExitCode {
        let rendered = match self.options.format {
            Format::Human => {
                let mut buffer = Vec::new();
                report
                    .render_human(&mut buffer, &self.stdout_styles)
                    .map(|()| buffer)
            }
            Format::Json => json_document(report).map_err(io::Error::other),
        };
        let written = rendered.and_then(|bytes| self.to_stdout(&bytes));
        if let Err(err) = written
            && err.kind() != io::ErrorKind::BrokenPipe
        {
            self.to_stderr(&format!("error: failed to write the report: {err}\n"));
            return Exit::Operational.into();
        }
        report.exit().into()
    }

    /// Renders `err` on stderr (and, with `--format json`, as an error document on
    /// stdout) and returns its exit code.
    pub fn fail(&self, err: &dyn Failure) -> ExitCode {
        let exit = err.exit();
        self.to_stderr(&render_error(err, &self.stderr_styles, &self.redactor));
        if self.options.format == Format::Json {
            let message = self.redactor.redact(&err.to_string()).into_owned();
            let mut causes = Vec::new();
            let mut source = err.source();
            while let Some(cause) = source {
                causes.push(self.redactor.redact(&cause.to_string()).into_owned());
                source = cause.source();
            }
            let doc = ErrorDocument {
                schema_version: SCHEMA_VERSION,
                error: ErrorBody {
                    message: &message,
                    causes,
                    hint: crate::hint_of(err).map(|hint| self.redactor.redact(&hint).into_owned()),
                    exit_code: exit.code(),
                },
            };
            if let Ok(mut bytes) = serde_json::to_vec_pretty(&doc) {
                bytes.push(b'\n');
                // The error is already on stderr; a closed stdout changes nothing.
                let _ = self.to_stdout(&bytes);
            }
        }
        exit.into()
    }

    /// Writes data to stdout through the redactor: in a JSON document only its string
    /// values are redacted, never its keys (they are Bulwark's structure).
    fn to_stdout(&self, bytes: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        let text = match self.options.format {
            Format::Json => self.redactor.redact_json(&text),
            Format::Human => self.redactor.redact(&text),
        };
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    fn to_stderr(&self, text: &str) {
        let text = self.redactor.redact(text);
        // Nowhere left to report a failure to write to stderr.
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_terminals_decide_auto() {
        use ColorChoice::{Always, Auto, Never};
        assert!(color_enabled(Auto, true, None, Some("xterm-256color")));
        assert!(
            !color_enabled(Auto, false, None, None),
            "pipes get no colour"
        );
        assert!(!color_enabled(Auto, true, Some("1"), None), "NO_COLOR=1");
        assert!(
            color_enabled(Auto, true, Some(""), None),
            "empty NO_COLOR is unset"
        );
        assert!(!color_enabled(Auto, true, None, Some("dumb")));
        assert!(
            color_enabled(Always, false, Some("1"), None),
            "a flag beats the env"
        );
        assert!(!color_enabled(Never, true, None, None));
    }

    #[test]
    fn plain_styles_write_no_escape_codes() {
        let styles = Styles::plain();
        let text = format!("{0}x{0:#}{1}y{1:#}", styles.error, styles.bold);
        assert_eq!(text, "xy");
        let colored = Styles::colored();
        assert!(format!("{0}x{0:#}", colored.error).contains('\u{1b}'));
    }

    #[test]
    fn masks_are_one_command_per_non_blank_line() {
        let values = [
            Secret::new("canary-mask-1a2b".to_owned()),
            Secret::new("first line\n\n  \nsecond line\n".to_owned()),
        ];
        let mut out = Vec::new();
        write_masks(&mut out, &values).expect("written");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "::add-mask::canary-mask-1a2b\n::add-mask::first line\n::add-mask::second line\n"
        );
    }

    #[test]
    fn stream_kinds_are_told_apart() {
        let (reader, writer) = io::pipe().expect("pipe");
        assert_eq!(StreamKind::of(&writer), StreamKind::Pipe);
        assert_eq!(StreamKind::of(&reader), StreamKind::Pipe);
        let file = tempfile_in_target();
        assert_eq!(StreamKind::of(&file), StreamKind::File);
        let null = std::fs::File::open("/dev/null").expect("/dev/null");
        assert_eq!(StreamKind::of(&null), StreamKind::Other);
        assert!(
            MaskRefused(StreamKind::File)
                .to_string()
                .contains("a regular file")
        );
    }

    fn tempfile_in_target() -> std::fs::File {
        let path = std::env::temp_dir().join(format!("bulwark-core-kind-{}", std::process::id()));
        let file = std::fs::File::create(&path).expect("temp file");
        std::fs::remove_file(&path).expect("removed");
        file
    }

    #[derive(Serialize)]
    struct Sample {
        found: u32,
    }

    impl Report for Sample {
        fn exit(&self) -> Exit {
            if self.found == 0 {
                Exit::Ok
            } else {
                Exit::Problem
            }
        }
        fn render_human(&self, out: &mut dyn Write, _: &Styles) -> io::Result<()> {
            writeln!(out, "{} found", self.found)
        }
    }

    #[test]
    fn envelope_puts_schema_version_first() {
        let doc = serde_json::to_string(&Envelope {
            schema_version: SCHEMA_VERSION,
            body: &Sample { found: 2 },
        })
        .expect("serializes");
        assert_eq!(doc, r#"{"schema_version":1,"found":2}"#);
        assert_eq!(Sample { found: 2 }.exit(), Exit::Problem);
    }
}
