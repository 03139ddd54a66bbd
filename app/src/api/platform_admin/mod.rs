//! Server functions for platform admins only: onboarding and offboarding, every team, Harbor's
//! users, system health.
mod admin_teams;
mod create_team;
mod delete_team;
mod harbor_users;
mod load_system_health;
pub use admin_teams::*;
pub use create_team::*;
pub use delete_team::*;
pub use harbor_users::*;
pub use load_system_health::*;
