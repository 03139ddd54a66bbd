//! Sign-in with OIDC (code flow + PKCE + state + nonce) and the session that follows.
pub mod groups;
pub mod oidc;
pub mod routes;
pub mod session;
