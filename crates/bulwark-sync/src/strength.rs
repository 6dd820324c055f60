//! How strong a value is, judged without showing it: the randomness it can hold, and
//! whether it is a well-known default or made of dictionary words.

/// An estimate of the randomness in `value`, in bytes.
///
/// A generated value is drawn from one alphabet (hex, base64, alphanumerics, printable
/// ASCII), so `length × log2(alphabet)` bits is what it can hold. A value that repeats a
/// few characters (`aaaa…`, `abcabc…`) holds much less: when its characters are spread
/// far less evenly than a random draw of that length would be, the estimate falls back
/// to `length × its Shannon entropy per character`.
#[must_use]
pub fn estimated_bytes(value: &str) -> f64 {
    let body = value.trim_end_matches('=');
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let all = |test: fn(&u8) -> bool| bytes.iter().all(test);
    let alphabet_bits: f64 = if all(u8::is_ascii_hexdigit) {
        4.0
    } else if all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')) {
        6.0
    } else if all(|b| b.is_ascii_graphic() || *b == b' ') {
        95f64.log2()
    } else {
        8.0
    };
    #[expect(
        clippy::cast_precision_loss,
        reason = "a value's length is far below 2^52"
    )]
    let length = bytes.len() as f64;
    let shannon = bulwark_scan::shannon_entropy(bytes);
    // The most a random draw of this length can show is log2(length) (every byte
    // different), capped by the alphabet.
    let expected = alphabet_bits.min(length.log2()).max(1.0);
    let per_char = if shannon < 0.75 * expected {
        shannon
    } else {
        alphabet_bits
    };
    length * per_char / 8.0
}

/// Values shipped as defaults or placeholders, compared after lower-casing and dropping
/// everything but letters and digits.
const DEFAULTS: &[&str] = &[
    "changeme",
    "changeit",
    "password",
    "password123",
    "passw0rd",
    "secret",
    "secretkey",
    "mysecret",
    "supersecret",
    "supersecretkey",
    "topsecret",
    "default",
    "admin",
    "administrator",
    "letmein",
    "qwerty",
    "qwertyuiop",
    "12345678",
    "123456789",
    "1234567890",
    "00000000",
    "abcdefgh",
    "test",
    "testing",
    "example",
    "development",
    "localhost",
    "keyboardcat",
    "yoursecretkey",
    "yoursecrethere",
    "yoursecretkeyhere",
    "replaceme",
    "insertsecrethere",
    "notasecret",
    "dummy",
    "placeholder",
];

/// Words whose presence marks a value as a placeholder someone meant to replace.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replace-me",
    "replaceme",
    "your_secret",
    "your-secret",
    "yoursecret",
    "placeholder",
    "xxxxxxxx",
    "todo",
    "fixme",
];

/// Common English and password words (lower case, at least four letters): a value
/// that is mostly made of them was chosen by a person, not generated.
const WORDS: &[&str] = &[
    "about",
    "access",
    "account",
    "admin",
    "after",
    "again",
    "alpha",
    "apple",
    "auth",
    "back",
    "banana",
    "baseball",
    "bear",
    "best",
    "beta",
    "black",
    "blue",
    "book",
    "bulldog",
    "call",
    "cheese",
    "chicken",
    "city",
    "client",
    "cloud",
    "code",
    "coffee",
    "company",
    "computer",
    "cookie",
    "corp",
    "daily",
    "data",
    "database",
    "default",
    "delta",
    "demo",
    "deploy",
    "dev",
    "diamond",
    "dragon",
    "dream",
    "east",
    "easy",
    "family",
    "fire",
    "flower",
    "football",
    "forever",
    "free",
    "friend",
    "game",
    "golf",
    "good",
    "green",
    "guest",
    "hello",
    "help",
    "home",
    "horse",
    "house",
    "hunter",
    "iloveyou",
    "internal",
    "jordan",
    "jwt",
    "keep",
    "key",
    "king",
    "letmein",
    "life",
    "light",
    "live",
    "login",
    "love",
    "magic",
    "main",
    "master",
    "matrix",
    "money",
    "monkey",
    "moon",
    "music",
    "mustang",
    "name",
    "network",
    "night",
    "ninja",
    "north",
    "office",
    "orange",
    "pass",
    "password",
    "pepper",
    "phone",
    "pizza",
    "princess",
    "private",
    "prod",
    "production",
    "project",
    "public",
    "purple",
    "qwerty",
    "rainbow",
    "random",
    "really",
    "red",
    "root",
    "safe",
    "salt",
    "secret",
    "secure",
    "security",
    "server",
    "service",
    "session",
    "shadow",
    "sign",
    "signing",
    "soccer",
    "south",
    "spring",
    "staging",
    "star",
    "starwars",
    "strong",
    "summer",
    "sun",
    "sunshine",
    "super",
    "system",
    "team",
    "test",
    "thing",
    "tiger",
    "time",
    "token",
    "trust",
    "user",
    "very",
    "water",
    "welcome",
    "west",
    "white",
    "whatever",
    "winter",
    "world",
    "yellow",
    "your",
    "zeus",
];

/// Why `value` is a known default, a placeholder or made of dictionary words, or
/// `None`. The reason never holds the value.
#[must_use]
pub fn known_weakness(value: &str) -> Option<&'static str> {
    let lower = value.to_lowercase();
    let squeezed: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    if DEFAULTS.contains(&squeezed.as_str()) {
        return Some("a well-known default value");
    }
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return Some("a placeholder meant to be replaced");
    }
    // Letters only, each word broken out (`MySuperSecret2024!` → my, super, secret).
    let mut covered = 0usize;
    let mut letters = 0usize;
    for word in words_of(value) {
        letters += word.len();
        if word.len() >= 3 && (WORDS.contains(&word.as_str()) || is_made_of_words(&word)) {
            covered += word.len();
        }
    }
    let total = value.chars().count();
    (letters > 0 && covered * 10 >= total * 6).then_some("made of dictionary words")
}

/// The runs of letters in `value`, lower-cased, split where a capital follows a small
/// letter.
fn words_of(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in value.chars() {
        if c.is_ascii_alphabetic() {
            if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            current.push(c.to_ascii_lowercase());
            previous_lower = c.is_ascii_lowercase();
        } else {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether `run` splits entirely into dictionary words (`supersecretpassword`).
fn is_made_of_words(run: &str) -> bool {
    let n = run.len();
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    for start in 0..n {
        if !reachable[start] {
            continue;
        }
        for word in WORDS {
            if run[start..].starts_with(word) {
                reachable[start + word.len()] = true;
            }
        }
    }
    reachable[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_hold_what_they_were_generated_with() {
        // `openssl rand -base64 32` and `-hex 32`: 32 bytes each.
        let b64 = "q8Vt1m0sXw4p8lYhQ2bZ3n+Jr9u/KcD6eF5gH7iA0kE=";
        assert!(estimated_bytes(b64) >= 32.0, "{}", estimated_bytes(b64));
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!((estimated_bytes(hex) - 32.0).abs() < 0.01);
        // `-hex 16`: 16 bytes.
        assert!((estimated_bytes(&hex[..32]) - 16.0).abs() < 0.01);
        // Repetition holds almost nothing, however long.
        assert!(estimated_bytes(&"a".repeat(64)) < 1.0);
        assert!(estimated_bytes(&"abc".repeat(30)) < 20.0);
    }

    #[test]
    fn defaults_placeholders_and_words_are_named() {
        assert_eq!(
            known_weakness("Change-Me"),
            Some("a well-known default value")
        );
        assert_eq!(
            known_weakness("please-changeme-now-9f8e"),
            Some("a placeholder meant to be replaced")
        );
        assert_eq!(
            known_weakness("MySuperSecretPassword2024!"),
            Some("made of dictionary words")
        );
        assert_eq!(
            known_weakness("supersecretpassword"),
            Some("made of dictionary words")
        );
        assert_eq!(
            known_weakness("q8Vt1m0sXw4p8lYhQ2bZ3n+Jr9u/KcD6eF5gH7iA0kE="),
            None
        );
    }
}
