//! What a tool printed, made fit for a message: colours removed, and the tool's own
//! error picked out of the noise around it.

/// Removes ANSI escape sequences (wrangler colours its messages even with `NO_COLOR`).
#[must_use]
pub fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes.iter().copied().peekable();
    while let Some(byte) = rest.next() {
        if byte == 0x1b && rest.peek() == Some(&b'[') {
            rest.next();
            for next in rest.by_ref() {
                if (0x40..=0x7e).contains(&next) {
                    break;
                }
            }
        } else {
            out.push(byte);
        }
    }
    out
}

/// At most this many lines of a tool's output go into a message.
const MAX_LINES: usize = 3;

/// The cause of a failure, on one line, from a tool's (scrubbed, colourless) stderr.
///
/// wrangler prints its error as a `✘ [ERROR] …` block and then more lines (`🪵 Logs
/// were written to …`, a bug-report link), so its last line says nothing: the block is
/// taken, up to the log note, at most three lines. Other tools end with their error,
/// so without an `[ERROR]` block the last three lines are taken. wrangler's log note is
/// never part of it.
#[must_use]
pub fn summary(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_log_note(line))
        .collect();
    let picked: Vec<&str> = match lines.iter().position(|line| line.contains("[ERROR]")) {
        Some(start) => lines[start..]
            .iter()
            .copied()
            .filter(|line| !line.starts_with("If you think this is a bug"))
            .take(MAX_LINES)
            .collect(),
        None => lines[lines.len().saturating_sub(MAX_LINES)..].to_vec(),
    };
    if picked.is_empty() {
        "no error output".to_owned()
    } else {
        picked.join(" | ")
    }
}

/// wrangler's `🪵  Logs were written to "…"`.
fn is_log_note(line: &str) -> bool {
    line.starts_with('🪵')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What wrangler 4.86.0 printed on stderr for `wrangler d1 export x --remote --output
    /// /tmp/x.sql` with `CI=true` and no `CLOUDFLARE_API_TOKEN`, byte for byte.
    const REAL_WRANGLER_NO_TOKEN: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wrangler-4.86.0-d1-export-remote-no-token.stderr"
    ));

    #[test]
    fn ansi_sequences_are_removed() {
        let coloured =
            b"\x1b[33m\xe2\x96\xb2 \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m text";
        assert_eq!(strip_ansi(coloured), "▲ [WARNING] text".as_bytes());
    }

    #[test]
    fn real_wrangler_error_is_surfaced_not_its_log_note() {
        let stderr = String::from_utf8(strip_ansi(REAL_WRANGLER_NO_TOKEN)).expect("utf-8");
        assert!(
            stderr.trim_end().ends_with(".log\""),
            "the fixture ends with the log note: {stderr}"
        );
        assert_eq!(
            summary(&stderr),
            "✘ [ERROR] In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work. Please go to https://developers.cloudflare.com/fundamentals/api/get-started/create-token/ for instructions on how to create an api token, and assign its value to CLOUDFLARE_API_TOKEN."
        );
    }

    #[test]
    fn an_error_block_keeps_its_detail_lines_but_not_the_bug_link() {
        let stderr = "\n✘ [ERROR] A request to the Cloudflare API (/accounts/x/d1/database) failed.\n\n  Authentication error [code: 10000]\n  \n  If you think this is a bug then please create an issue at https://github.com/cloudflare/workers-sdk/issues/new/choose\n\n🪵  Logs were written to \"/tmp/w.log\"\n";
        assert_eq!(
            summary(stderr),
            "✘ [ERROR] A request to the Cloudflare API (/accounts/x/d1/database) failed. | Authentication error [code: 10000]"
        );
    }

    #[test]
    fn without_an_error_block_the_last_lines_are_kept() {
        assert_eq!(
            summary("one\ntwo\n\nthree\nfour\n🪵 Logs were written to x\n"),
            "two | three | four"
        );
        assert_eq!(summary("  \n"), "no error output");
    }
}
