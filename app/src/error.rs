//! The error the UI sees. It carries a message fit for the user and never upstream internals: the
//! server logs the cause (without secrets) and maps it to one of these.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// An upstream (Harbor, Kubernetes, the identity provider) failed; the
    /// text names which and how.
    #[error("{0}")]
    Upstream(String),
    /// Berth itself cannot do this now (its audit store failed); nothing was changed or sent.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on the server; the details are in its log.")]
    Internal,
    /// The call itself failed (network, decoding) between browser and server.
    #[error("Could not reach Berth: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::BadRequest(_) => 400,
            AppError::Upstream(_) => 502,
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// A short stable identifier for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not-found",
            AppError::BadRequest(_) => "bad-request",
            AppError::Upstream(_) => "upstream",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// In the browser: the call did not get through. On the server: the request itself was not one
    /// the function takes (missing, malformed or out-of-range arguments), answered 400 with what
    /// the function expects; the decoder's own text goes to the log only.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        {
            crate::api::call::malformed_call(value)
        }
        #[cfg(not(feature = "ssr"))]
        {
            AppError::Transport(value.to_string())
        }
    }
}
