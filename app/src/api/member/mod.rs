//! Server functions for signed-in members: their teams and a team's page (another team's
//! answers as a missing one).
mod list_teams;
mod load_team;
mod my_groups;
pub use list_teams::*;
pub use load_team::*;
pub use my_groups::*;
