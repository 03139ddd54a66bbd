//! Server functions, one small domain per file. Each checks the session itself.
pub mod admin;
pub mod manage;
pub mod team_detail;
pub mod teams;
pub mod user;
