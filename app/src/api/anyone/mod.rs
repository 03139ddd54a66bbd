//! Server functions anyone may call, signed in or not: who is signed in,
//! and the last form's outcome.
mod current_user;
mod take_flash;
pub use current_user::*;
pub use take_flash::*;
