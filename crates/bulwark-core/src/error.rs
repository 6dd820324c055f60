//! Errors as the user sees them: `error:`, one `caused by:` per source, then `hint:`.

use std::error::Error;
use std::fmt::Write as _;

use bulwark_secret::Redactor;

use crate::{Exit, Styles};

/// An error a library returns to a binary: it knows its exit code and, where it can, what
/// the user should do next.
pub trait Failure: Error {
    /// [`Exit::Usage`] for bad input, [`Exit::Operational`] for a failed operation.
    fn exit(&self) -> Exit;

    /// One sentence on what to do next, shown after the error. A wrapper need not repeat
    /// its cause's hint: [`hint_of`] looks along [`Failure::wrapped`] when this is `None`.
    fn hint(&self) -> Option<String> {
        None
    }

    /// The failure this one wraps, if its source is one, so that a hint given deeper in
    /// the chain still reaches the user. `Error::source` cannot tell: it yields a plain
    /// `&dyn Error`.
    fn wrapped(&self) -> Option<&dyn Failure> {
        None
    }
}

/// The hint to show for `err`: the outermost one along `err` and the failures it wraps
/// ([`Failure::wrapped`]).
#[must_use]
pub fn hint_of(err: &dyn Failure) -> Option<String> {
    let mut current = Some(err);
    while let Some(failure) = current {
        if let Some(advice) = failure.hint() {
            return Some(advice);
        }
        current = failure.wrapped();
    }
    None
}

/// A command that is planned but not built yet. It exits 3, so no script mistakes it for
/// a passing check.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` is not implemented yet")]
pub struct NotImplemented {
    /// The command line a user typed, e.g. `secrets-sync apply`.
    pub command: String,
}

impl Failure for NotImplemented {
    fn exit(&self) -> Exit {
        Exit::Operational
    }

    fn hint(&self) -> Option<String> {
        Some("this command is planned; `--help` lists what it will do".to_owned())
    }
}

/// Renders `err`, its sources and its hint, with every known secret redacted.
#[must_use]
pub fn render_error(err: &dyn Failure, styles: &Styles, redactor: &Redactor) -> String {
    let mut text = String::new();
    let (error, dim, hint) = (styles.error, styles.dim, styles.hint);
    let _ = writeln!(
        text,
        "{error}error:{error:#} {}",
        redactor.redact(&err.to_string())
    );
    let mut source = err.source();
    let mut previous = err.to_string();
    while let Some(cause) = source {
        // Libraries that wrap an error and repeat its message would print it twice.
        let message = cause.to_string();
        if message != previous {
            let _ = writeln!(
                text,
                "  {dim}caused by:{dim:#} {}",
                redactor.redact(&message)
            );
        }
        previous = message;
        source = cause.source();
    }
    if let Some(advice) = hint_of(err) {
        let _ = write!(text, "\n{hint}hint:{hint:#} {}\n", redactor.redact(&advice));
    }
    text
}

/// `err` and its hint on one line, `error (hint: …)`, for a report that lists failures
/// in place (a target row, a store column) rather than ending the run with them.
#[must_use]
pub fn render_error_line(err: &dyn Failure) -> String {
    match hint_of(err) {
        Some(hint) => format!("{err} (hint: {hint})"),
        None => err.to_string(),
    }
}

/// `err` and each of its causes on one line, `error: cause: cause`, without the hint:
/// for a record read later, where the root cause is what matters (db-backup's status
/// file says `failed to write …: No space left on device`).
#[must_use]
pub fn render_error_chain(err: &dyn Failure) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    #[derive(Debug)]
    struct Outer {
        inner: std::io::Error,
    }

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("failed to read secrets/production.env.age")
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.inner)
        }
    }

    impl Failure for Outer {
        fn exit(&self) -> Exit {
            Exit::Operational
        }
        fn hint(&self) -> Option<String> {
            Some("check the file's permissions".to_owned())
        }
    }

    #[test]
    fn renders_error_causes_and_hint() {
        let err = Outer {
            inner: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied"),
        };
        let text = render_error(&err, &Styles::plain(), &Redactor::new());
        assert_eq!(
            text,
            "error: failed to read secrets/production.env.age\n  caused by: permission denied\n\nhint: check the file's permissions\n"
        );
    }

    #[test]
    fn rendering_redacts_known_values_in_every_line() {
        let canary = "canary-err-5e0d2a";
        let err = Outer {
            inner: std::io::Error::other(format!("child said {canary}")),
        };
        let mut redactor = Redactor::new();
        redactor.add_value(canary);
        let text = render_error(&err, &Styles::plain(), &redactor);
        assert!(!text.contains(canary), "{text}");
        assert!(text.contains("caused by: child said [redacted]"), "{text}");
    }

    #[test]
    fn one_line_rendering_appends_the_hint() {
        let err = Outer {
            inner: std::io::Error::other("inner"),
        };
        assert_eq!(
            render_error_line(&err),
            "failed to read secrets/production.env.age (hint: check the file's permissions)"
        );
    }

    /// A library error that adds context to another crate's failure, with or without a
    /// hint of its own.
    #[derive(Debug)]
    struct Wrapper<E> {
        inner: E,
        hint: Option<&'static str>,
    }

    impl<E> fmt::Display for Wrapper<E> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("could not list secrets")
        }
    }

    impl<E: Failure + 'static> Error for Wrapper<E> {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.inner)
        }
    }

    impl<E: Failure + 'static> Failure for Wrapper<E> {
        fn exit(&self) -> Exit {
            self.inner.exit()
        }
        fn hint(&self) -> Option<String> {
            self.hint.map(str::to_owned)
        }
        fn wrapped(&self) -> Option<&dyn Failure> {
            Some(&self.inner)
        }
    }

    fn wrap<E>(inner: E, hint: Option<&'static str>) -> Wrapper<E> {
        Wrapper { inner, hint }
    }

    /// A failure with no hint and no cause.
    #[derive(Debug, thiserror::Error)]
    #[error("gone")]
    struct Leaf;

    impl Failure for Leaf {
        fn exit(&self) -> Exit {
            Exit::Operational
        }
    }

    fn denied() -> Outer {
        Outer {
            inner: std::io::Error::other("permission denied"),
        }
    }

    #[test]
    fn a_hint_deeper_in_the_chain_is_shown() {
        let err = wrap(wrap(denied(), None), None);
        assert_eq!(
            hint_of(&err).as_deref(),
            Some("check the file's permissions")
        );
        assert_eq!(
            render_error(&err, &Styles::plain(), &Redactor::new()),
            "error: could not list secrets\n  caused by: failed to read secrets/production.env.age\n  caused by: permission denied\n\nhint: check the file's permissions\n"
        );
        assert_eq!(
            render_error_line(&err),
            "could not list secrets (hint: check the file's permissions)"
        );
    }

    #[test]
    fn the_outermost_hint_wins() {
        let outer_first = wrap(wrap(denied(), Some("log in first")), None);
        assert_eq!(hint_of(&outer_first).as_deref(), Some("log in first"));
        let outermost = wrap(wrap(denied(), Some("log in first")), Some("retry later"));
        assert_eq!(
            render_error_line(&outermost),
            "could not list secrets (hint: retry later)"
        );
    }

    #[test]
    fn no_hint_anywhere_renders_none() {
        let err = wrap(wrap(Leaf, None), None);
        assert_eq!(hint_of(&err), None);
        assert_eq!(render_error_line(&err), "could not list secrets");
        assert!(!render_error(&err, &Styles::plain(), &Redactor::new()).contains("hint:"));
    }

    #[test]
    fn chain_rendering_keeps_every_cause_and_leaves_out_the_hint() {
        let err = Outer {
            inner: std::io::Error::other("No space left on device"),
        };
        assert_eq!(
            render_error_chain(&err),
            "failed to read secrets/production.env.age: No space left on device"
        );
    }

    #[test]
    fn not_implemented_is_an_operational_failure() {
        let err = NotImplemented {
            command: "db-backup export".to_owned(),
        };
        assert_eq!(err.exit(), Exit::Operational);
        let text = render_error(&err, &Styles::plain(), &Redactor::new());
        assert!(text.starts_with("error: `db-backup export` is not implemented yet\n"));
    }
}
