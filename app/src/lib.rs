//! Berth's application crate: the Leptos UI (shared by the server and the WASM front end), its
//! server functions, and (with the `ssr` feature) the server-side domains they call.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod model;
pub mod names;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod vocabulary;

/// The WASM entry point: readies the islands of the server-rendered page
/// (each hydrates on its own).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
