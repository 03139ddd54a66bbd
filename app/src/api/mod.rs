//! Server functions, one small domain per file. Each checks the session itself.
pub mod admin;
pub mod audit;
pub mod flash;
pub mod harbor_users;
pub mod health;
pub mod manage;
pub mod team_detail;
pub mod teams;
pub mod user;
