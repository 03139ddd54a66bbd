//! One module per page.
mod admin;
mod audit;
mod harbor_users;
mod health;
mod not_found;
mod signed_out;
mod team;
mod teams;

pub use admin::AdminPage;
pub use audit::AuditPage;
pub use harbor_users::HarborUsersPage;
pub use health::HealthPage;
pub use not_found::NotFound;
pub use signed_out::SignedOutPage;
pub use team::TeamPage;
pub use teams::TeamsPage;
