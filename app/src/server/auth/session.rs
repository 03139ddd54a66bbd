//! What Berth keeps in a signed-in session.
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

pub const USER_KEY: &str = "berth.user";
pub const PENDING_SIGN_IN_KEY: &str = "berth.pending_sign_in";
pub const ID_TOKEN_KEY: &str = "berth.id_token";

/// The signed-in user, as the ID token described them at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub subject: String,
    pub username: String,
    pub display_name: String,
    pub groups: Vec<String>,
    pub is_platform_admin: bool,
}

/// A sign-in that went to the identity provider and has not come back yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
}

pub async fn current_user(session: &Session) -> Option<SessionUser> {
    read_user(session).await.ok().flatten()
}

/// Berth's message when the session store (Redis) cannot be read or written.
pub const SESSION_STORE_DOWN: &str = "\
    Berth's session store is not answering, so you cannot sign in right now. Please try again in a \
    moment.";

/// The signed-in user, or the store's failure: a session that cannot be read is an outage to
/// report, not a signed-out visitor to send through sign-in.
pub async fn read_user(
    session: &Session,
) -> Result<Option<SessionUser>, tower_sessions::session::Error> {
    session.get::<SessionUser>(USER_KEY).await
}

impl SessionUser {
    pub fn view(&self) -> crate::model::UserView {
        crate::model::UserView {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            is_platform_admin: self.is_platform_admin,
        }
    }
}
