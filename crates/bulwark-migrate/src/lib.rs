//! Dry runs of D1 and Supabase (PostgreSQL) migrations. D1: wrangler's discovery and order, D1's rules on a private copy
//! of the database, lint, schema diff, data at risk and the checks SQLite offers.
//!
//! [`run`] applies the pending migrations of a [`Request`] to a copy and returns a
//! [`report::DryRunReport`]; [`list`] only reads which migrations are applied. The source
//! database is never written: it is opened read-only and copied. [`postgres::run`] does
//! the same for `supabase db push` on a throw-away PostgreSQL server.
#![expect(
    clippy::doc_markdown,
    reason = "SQLite, TimSort and D1 are names in prose here, not code"
)]

mod checks;
pub mod d1;
pub mod discover;
mod error;
pub mod lint;
mod list;
pub mod lock;
pub mod pglint;
pub mod pgrole;
pub mod postgres;
pub mod record;
pub mod refusal;
mod remote;
pub mod report;
mod request;
pub mod rows;
mod run;
pub mod schema;
pub mod snapshot;
pub mod split;
pub mod standin;
pub mod status;
pub mod supabase;
#[cfg(test)]
mod testing;
mod workspace;

pub use crate::error::MigrateError;
pub use crate::list::list;
pub use crate::request::{Inputs, Request};
pub use crate::run::run;
pub use crate::snapshot::Source;
pub use crate::status::status;
