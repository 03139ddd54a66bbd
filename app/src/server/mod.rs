//! Server-only code, in three kinds of rooms:
//! - domains, each owning one upstream or one set of rules: `auth` (the identity provider and the
//!   session), `harbor`, `cluster` (Kubernetes and the Team CRD), `reconcile`, `policy` (who may
//!   see and do what), `audit`, `metrics`, and `config`;
//! - `http`: the middleware every request passes through (the `berth` binary's `serve` applies it,
//!   in order, in one place);
//! - `views`: what Berth renders outside the Leptos app (plain pages, downloads, how-tos, flashes).
//!
//! `state` joins the domains into the one application state the router and server functions share.
pub mod audit;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod harbor;
pub mod http;
pub mod metrics;
pub mod policy;
pub mod reconcile;
pub mod state;
pub mod views;
