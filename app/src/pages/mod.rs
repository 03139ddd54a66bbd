//! One module per page.
mod admin;
mod not_found;
mod signed_out;
mod team;
mod teams;

pub use admin::AdminPage;
pub use not_found::NotFound;
pub use signed_out::SignedOutPage;
pub use team::TeamPage;
pub use teams::TeamsPage;
