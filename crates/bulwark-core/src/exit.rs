//! The exit-code contract (`docs/exit-codes.md`).

/// How a Bulwark binary ends. The numbers are a contract that scripts rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exit {
    /// 0: everything checked is fine.
    Ok,
    /// 1: the check found a problem (a missing secret, a leak, a failing migration, a
    /// backup that does not verify).
    Problem,
    /// 2: the command was used wrongly or its input is bad (flag, config, file).
    Usage,
    /// 3: an operation failed (a child CLI, I/O), so nothing can be concluded.
    Operational,
    /// 130: interrupted by the user (Ctrl-C).
    Interrupted,
}

impl Exit {
    /// The process exit status.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Problem => 1,
            Self::Usage => 2,
            Self::Operational => 3,
            Self::Interrupted => 130,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn codes_match_the_documented_contract() {
        let table = [
            (Exit::Ok, 0),
            (Exit::Problem, 1),
            (Exit::Usage, 2),
            (Exit::Operational, 3),
            (Exit::Interrupted, 130),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
        let doc = include_str!("../../../docs/exit-codes.md");
        for (exit, code) in table {
            assert!(
                doc.contains(&format!("| {code} |")),
                "docs/exit-codes.md lacks a row for {exit:?} ({code})"
            );
        }
    }
}
