//! End-to-end cases for every binary: `tests/cmd/<tool>/<case>.toml` (see STYLE.md §6).
//! Update the expected output with `just snap` after a deliberate change.

#[test]
fn cli() {
    // cargo_bin! wraps env!(): a binary missing from the package fails to compile here,
    // instead of turning its cases into silently ignored ones.
    // Recording stand-ins for wrangler, fly and gh come first on PATH: in a case with a
    // `standin/` folder they answer from it and log every call; elsewhere they hand over
    // to the real tool (tests/standins/bin/standin).
    let standins = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");
    let path = format!("{standins}:{}", std::env::var("PATH").unwrap_or_default());
    trycmd::TestCases::new()
        .env("PATH", path)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .register_bin(
            "secrets-verify",
            trycmd::cargo::cargo_bin!("secrets-verify"),
        )
        .register_bin("secrets-sync", trycmd::cargo::cargo_bin!("secrets-sync"))
        .register_bin("leak-scan", trycmd::cargo::cargo_bin!("leak-scan"))
        .register_bin(
            "migrate-dryrun",
            trycmd::cargo::cargo_bin!("migrate-dryrun"),
        )
        .register_bin("db-backup", trycmd::cargo::cargo_bin!("db-backup"))
        .case("tests/cmd/*/*.toml");
}
