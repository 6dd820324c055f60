//! Integration tests of bulwark-scan: the rules, and the sources over real git
//! repositories built in temp dirs with the `git` CLI.
#![expect(
    clippy::cast_possible_truncation,
    clippy::unreadable_literal,
    reason = "test-only canary generation: small moduli, BIP-173 constants"
)]

mod common;
mod git;
mod re2;
mod rules;
