//! GitHub Actions workflow commands for lints: `::error file=…,line=…::…`, escaped as
//! the runner expects.

/// An `::error` annotation on `file` at `line`:`column`, titled `title`.
#[must_use]
pub fn error_at(file: &str, line: u32, column: u32, title: &str, message: &str) -> String {
    format!(
        "::error file={},line={line},col={column},title={}::{}",
        escape_property(file),
        escape_property(title),
        escape_data(message)
    )
}

/// A workflow command's message: `%`, CR and LF escaped.
#[must_use]
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`escape_data`], plus `:` and `,`.
#[must_use]
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn properties_and_messages_are_escaped() {
        assert_eq!(
            super::error_at("a,b:c.toml", 3, 1, "naming", "50% off\nnow"),
            "::error file=a%2Cb%3Ac.toml,line=3,col=1,title=naming::50%25 off%0Anow"
        );
    }
}
