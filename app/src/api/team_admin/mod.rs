//! Server functions for a team's admins (and platform admins): rotation requests, the push-secret
//! download switch, the audit log.
mod load_audit_log;
mod rotate_credentials;
mod set_push_secret_download;
pub use load_audit_log::*;
pub use rotate_credentials::*;
pub use set_push_secret_download::*;
