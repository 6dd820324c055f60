//! Shared by the integration tests: canary generation. Every token is generated at run
//! time from a fixed seed, so no secret-shaped literal sits in the repository.

use bulwark_scan::{base62_6, crc32};

pub(crate) const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub(crate) const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub(crate) const DIGITS: &str = "0123456789";
pub(crate) const HEX: &str = "0123456789abcdef";
pub(crate) const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// A deterministic generator of canary text (xorshift).
pub(crate) struct Canary(u64);

impl Canary {
    pub(crate) fn new(seed: u64) -> Self {
        // Odd and distinct for distinct seeds (xorshift needs a non-zero state).
        Self(seed.wrapping_mul(2).wrapping_add(1))
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn text(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len)
            .map(|_| chars[(self.next() % chars.len() as u64) as usize])
            .collect()
    }
    pub(crate) fn alnum(&mut self, len: usize) -> String {
        self.text(&format!("{UPPER}{LOWER}{DIGITS}"), len)
    }
}

/// A GitHub-format token with a valid CRC32 checksum.
pub(crate) fn github_token(prefix: &str, seed: u64) -> String {
    let random = Canary::new(seed).alnum(30);
    format!("{prefix}{random}{}", base62_6(crc32(random.as_bytes())))
}

/// An age identity's data part (52 bech32 characters and a valid checksum), upper case;
/// with `bad`, the checksum's last character is changed.
pub(crate) fn age_data(seed: u64, bad: bool) -> String {
    let data: Vec<u8> = {
        let mut canary = Canary::new(seed);
        (0..52).map(|_| (canary.next() % 32) as u8).collect()
    };
    let hrp = "age-secret-key-";
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&data);
    values.extend([0; 6]);
    let polymod = polymod(&values) ^ 1;
    let mut checksum: Vec<u8> = (0..6)
        .map(|i| ((polymod >> (5 * (5 - i))) & 31) as u8)
        .collect();
    if bad {
        checksum[5] ^= 1;
    }
    let charset = BECH32.as_bytes();
    let body: String = data
        .iter()
        .chain(&checksum)
        .map(|&v| char::from(charset[v as usize]))
        .collect();
    body.to_ascii_uppercase()
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk = 1_u32;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

pub(crate) fn b64url(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

pub(crate) fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Expands an example template of the built-in rules' table (see
/// `bulwark_scan::EXAMPLE_LEGEND`) into a canary text, deterministically from `seed`.
pub(crate) fn expand(template: &str, seed: u64) -> String {
    let mut c = Canary::new(seed);
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let piece = &after[..close];
        if let Some(text) = expand_piece(piece, &mut c) {
            out.push_str(&text);
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn jwt(c: &mut Canary, payload: &str) -> String {
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(payload.as_bytes()),
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 43)
    )
}

/// `n` in base36 (lower case), left-padded with `0` to `width` digits.
fn base36(mut n: u64, width: usize) -> String {
    const DIGITS36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(DIGITS36[(n % 36) as usize]);
        n /= 36;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.iter().rev().map(|&b| char::from(b)).collect()
}

/// A GitLab routable personal access token, built as GitLab's generator builds one: 16
/// random bytes, the routing payload (`c:` cell, `o:` organization, `u:` user, in base36)
/// and the payload's length in one byte, base64url without padding; then `.`, the
/// version `01`, `.`, the base64 text's length in 2 base36 digits and the CRC32 of all
/// of it in 7. `bad_crc` breaks the checksum.
pub(crate) fn gitlab_routable(c: &mut Canary, bad_crc: bool) -> String {
    use base64::Engine as _;
    let routing = format!(
        "c:1\no:{}\nu:{}",
        base36(c.next() % 5000, 1),
        base36(c.next() % 90_000, 1)
    );
    let mut bytes = random_bytes(c, 16);
    bytes.extend_from_slice(routing.as_bytes());
    bytes.push(routing.len() as u8);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
    let head = format!("glpat-{payload}.01.{}", base36(payload.len() as u64, 2));
    let crc = u64::from(crc32(head.as_bytes())) + u64::from(bad_crc);
    format!("{head}{}", base36(crc, 7))
}

fn random_bytes(c: &mut Canary, len: usize) -> Vec<u8> {
    (0..len).map(|_| (c.next() >> 24) as u8).collect()
}

fn expand_piece(piece: &str, c: &mut Canary) -> Option<String> {
    let named = match piece {
        "gh" => {
            let random = c.alnum(30);
            Some(format!("{random}{}", base62_6(crc32(random.as_bytes()))))
        }
        "age" => Some(age_data(c.next(), false)),
        "age-bad" => Some(age_data(c.next(), true)),
        "uuid" => Some(format!(
            "{}-{}-4{}-a{}-{}",
            c.text(HEX, 8),
            c.text(HEX, 4),
            c.text(HEX, 3),
            c.text(HEX, 3),
            c.text(HEX, 12)
        )),
        "jwt" => Some(jwt(c, r#"{"sub":"leak-scan-test","iat":1700000000}"#)),
        "jwt-service-role" => Some(jwt(c, r#"{"iss":"supabase","ref":"leakscantest","role":"service_role"}"#)),
        "jwt-anon" => Some(jwt(c, r#"{"iss":"supabase","ref":"leakscantest","role":"anon"}"#)),
        "sentry-payload" => Some(b64(
            format!(
                r#"{{"iat":1700000000.1,"url":"https://sentry.io","region_url":"https://us.sentry.io","org":"org-{}"}}"#,
                c.text(LOWER, 8)
            )
            .as_bytes(),
        )),
        "op-payload" => Some(b64url(
            format!(
                r#"{{"signInAddress":"my.1password.com","userAuth":{{"method":"SRPg-4096","alg":"PBES2g-HS256","iterations":650000,"salt":"{}"}},"email":"{}@1passwordserviceaccounts.com","srpX":"{}","muk":{{"alg":"A256GCM","ext":true,"k":"{}","key_ops":["encrypt","decrypt"],"kty":"oct","kid":"mp"}},"secretKey":"A3-{}","deviceUuid":"{}"}}"#,
                c.alnum(22),
                c.text(LOWER, 12),
                c.text(HEX, 64),
                c.alnum(43),
                c.text(&format!("{UPPER}{DIGITS}"), 33),
                c.text(LOWER, 26)
            )
            .as_bytes(),
        )),
        "discord-id" => Some(b64(c.text(DIGITS, 18).replace('0', "1").as_bytes())),
        "glpat-routable" => Some(gitlab_routable(c, false)),
        "glpat-routable-bad" => Some(gitlab_routable(c, true)),
        "pem" => {
            let body = c.text(&format!("{UPPER}{LOWER}{DIGITS}+/"), 64 * 6);
            Some(
                body.as_bytes()
                    .chunks(64)
                    .map(|line| String::from_utf8_lossy(line).into_owned())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    if let Some(len) = piece.strip_prefix("b64:") {
        let len: usize = len.parse().ok()?;
        let bytes = random_bytes(c, len);
        return Some(b64(&bytes));
    }
    let mut chars = piece.chars();
    let class = chars.next()?;
    let len: usize = chars.as_str().parse().ok()?;
    let alphabet = match class {
        'A' => format!("{UPPER}{LOWER}{DIGITS}"),
        'a' => format!("{LOWER}{DIGITS}"),
        'U' => format!("{UPPER}{DIGITS}"),
        'M' => format!("{UPPER}{LOWER}"),
        'H' => HEX.to_owned(),
        'D' => DIGITS.to_owned(),
        'B' => format!("{UPPER}{LOWER}{DIGITS}+/"),
        'W' => format!("{UPPER}{LOWER}{DIGITS}_-"),
        'Z' => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".to_owned(),
        _ => return None,
    };
    Some(c.text(&alphabet, len))
}
