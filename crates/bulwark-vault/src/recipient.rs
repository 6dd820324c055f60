//! age recipients: X25519 public keys, from a list or a recipients file.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::VaultError;

/// An age X25519 recipient (`age1…`). Public: safe to print and to record in manifests.
#[derive(Clone)]
pub struct Recipient {
    key: age::x25519::Recipient,
    text: String,
}

impl Recipient {
    /// The key as `age1…`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn from_age(key: age::x25519::Recipient) -> Self {
        let text = key.to_string();
        Self { key, text }
    }

    pub(crate) fn as_age(&self) -> &dyn age::Recipient {
        &self.key
    }
}

/// Why a piece of text is not a recipient. Never quotes the text: a pasted secret key must
/// not end up in an error message.
fn problem(text: &str) -> String {
    if text.starts_with("AGE-SECRET-KEY-") {
        "this is a secret key, not a recipient: remove it and use its public key (`age-keygen -y`)"
            .to_owned()
    } else if text.starts_with("ssh-") || text.starts_with("ecdsa-") {
        "ssh recipients are not supported by this build; use an age X25519 key (age1…)".to_owned()
    } else if text
        .rfind('1')
        .is_some_and(|last| text[..last].len() > 3 && text.starts_with("age1"))
    {
        // Bech32: the part before the last `1` is the type. `age1yubikey1…`, `age1pq1…`.
        "plugin and post-quantum recipients are not supported; use an age X25519 key (age1…)"
            .to_owned()
    } else {
        "not a valid age X25519 recipient (age1…)".to_owned()
    }
}

impl FromStr for Recipient {
    type Err = String;

    /// Parses `age1…`; the error says what is wrong without quoting the input.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        age::x25519::Recipient::from_str(text)
            .map(Self::from_age)
            .map_err(|_| problem(text))
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Recipient").field(&self.text).finish()
    }
}

impl PartialEq for Recipient {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Recipient {}

/// Parses recipients given one by one (flags, a config array). `origin` names them in
/// errors, e.g. `--recipient` gives `--recipient #2`.
pub fn parse_recipient_list<S: AsRef<str>>(
    list: impl IntoIterator<Item = S>,
    origin: &str,
) -> Result<Vec<Recipient>, VaultError> {
    let mut out: Vec<Recipient> = Vec::new();
    for (index, text) in list.into_iter().enumerate() {
        let recipient =
            text.as_ref()
                .parse::<Recipient>()
                .map_err(|problem| VaultError::BadRecipient {
                    origin: format!("{origin} #{}", index + 1),
                    problem,
                })?;
        if !out.contains(&recipient) {
            out.push(recipient);
        }
    }
    Ok(out)
}

/// Parses the text of a recipients file: one recipient per line, `#` comments (whole-line
/// or after the key) and blank lines ignored. Errors name `origin:LINE`.
pub fn parse_recipients_text(text: &str, origin: &Path) -> Result<Vec<Recipient>, VaultError> {
    let mut out: Vec<Recipient> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let recipient = line
            .parse::<Recipient>()
            .map_err(|problem| VaultError::BadRecipient {
                origin: format!("{}:{}", origin.display(), index + 1),
                problem,
            })?;
        if !out.contains(&recipient) {
            out.push(recipient);
        }
    }
    Ok(out)
}

/// Reads a recipients file (see [`parse_recipients_text`]).
pub fn load_recipients_file(path: &Path) -> Result<Vec<Recipient>, VaultError> {
    let text = std::fs::read_to_string(path).map_err(|source| VaultError::ReadRecipients {
        path: path.to_owned(),
        source,
    })?;
    parse_recipients_text(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = "age10puumkpsnf2tfm326s4f2v5549k4wvx0r6x3f67nhn0nzaky3d8qufjp80";

    #[test]
    fn parses_a_file_with_comments_blank_lines_and_duplicates() {
        let text = format!("# team\n\n{DEMO}  # alice\n{DEMO}\n");
        let list = parse_recipients_text(&text, Path::new("r.txt")).expect("valid");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].as_str(), DEMO);
        assert_eq!(list[0].to_string(), DEMO);
    }

    #[test]
    fn a_bad_line_is_named_by_number_and_never_quoted() {
        let canary = "AGE-SECRET-KEY-1CANARYRECIPIENTLINE7F3A";
        let err = parse_recipients_text(&format!("{DEMO}\n{canary}\n"), Path::new("r.txt"))
            .expect_err("a secret key is not a recipient");
        let text = err.to_string();
        assert!(text.starts_with("r.txt:2: this is a secret key"), "{text}");
        assert!(!text.contains("CANARY"), "{text}");
    }

    #[test]
    fn ssh_and_garbage_are_refused_with_reasons() {
        let ssh = parse_recipient_list(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"], "--recipient")
            .expect_err("no ssh support");
        assert!(
            ssh.to_string()
                .contains("--recipient #1: ssh recipients are not supported")
        );
        let junk = parse_recipient_list([DEMO, "hello"], "--recipient").expect_err("junk");
        assert!(
            junk.to_string().starts_with("--recipient #2: not a valid"),
            "{junk}"
        );
    }
}
