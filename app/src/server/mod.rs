//! Server-only code, grouped by domain.
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod csrf;
pub mod docker_config;
pub mod download;
pub mod harbor;
pub mod headers;
pub mod howto;
pub mod plain;
pub mod probes;
pub mod ratelimit;
pub mod reconcile;
pub mod sessions;
pub mod state;
pub mod teams;
