//! `secrets-sync`'s library: the age-encrypted dotenv store that is the source of truth,
//! and plans and their application to the targets.

mod dotenv;
mod error;
mod ops;
mod plan;
mod policy;
mod state;
mod store;

pub use dotenv::{Dotenv, DotenvError};
pub use error::SyncError;
pub use ops::{EditSession, check_name, edit, edit_base_dir, exec, value_from_input};
pub use plan::{Action, Applied, Mode, NamePlan, Plan, Refused, Sync, TargetPlan, chosen_targets};
pub use policy::{MIN_VALUE_LEN, check_document, check_value, keep_structure, too_short};
pub use state::{DigestKey, SyncState};
pub use store::{DEFAULT_RECIPIENTS_FILE, Store, recipients_of, write_atomic};
