//! `secrets-sync`'s library: the age-encrypted dotenv store that is the source of truth,
//! and plans and their application to the targets.

mod audit;
mod dotenv;
mod error;
mod log;
mod ops;
mod plan;
mod policy;
mod session;
mod state;
mod store;
mod strength;
mod verbs;

pub use audit::{
    AuditReport, AuditRequest, Check, Finding, RunKey, Severity, age_days, audit, open_for_audit,
    third_party_vendor,
};
pub use dotenv::{Dotenv, DotenvError};
pub use error::SyncError;
pub use log::{
    CHAIN_START, ChainCheck, LogEntry, LoggedTarget, append as append_log, log_path,
    verify as verify_log,
};
pub use ops::{EditSession, check_name, edit, edit_base_dir, exec, value_from_input};
pub use plan::{Action, Applied, Mode, NamePlan, Plan, Refused, Sync, TargetPlan, chosen_targets};
pub use policy::{MIN_VALUE_LEN, check_document, check_value, keep_structure, too_short};
pub use session::Session;
pub use state::{Change, DigestKey, Listing, SyncState};
pub use store::{DEFAULT_RECIPIENTS_FILE, Store, recipients_of, write_atomic};
pub use strength::{estimated_bytes, known_weakness};
pub use verbs::{
    NameAge, StoreReport, StoreVerbs, ValueFormat, forget_identity, read_value, store_identity,
};
