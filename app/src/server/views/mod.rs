//! What Berth renders outside the Leptos app: small plain pages, the push-secret downloads, how-tos
//! with the team's names filled in, and the flash a form post leaves for the page it returns to.
pub mod download;
pub mod flash;
pub mod howto;
pub mod plain;
