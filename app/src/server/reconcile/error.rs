//! How a pass fails, with a stable reason for the Team's conditions and the errors metric.
use crate::server::cluster::ClusterError;
use crate::server::harbor::HarborError;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Harbor(#[from] HarborError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The Team asks for something that cannot work; retrying will not help until it is edited.
    #[error("{0}")]
    Invalid(String),
    /// Another Team holds the Team's home namespace; nothing is made until one of them changes.
    #[error("{0}")]
    Claimed(String),
    /// Something Berth does not create is missing (e.g. the namespace's default ServiceAccount).
    #[error("{message}")]
    Waiting {
        reason: &'static str,
        message: String,
    },
    #[error("the Team's finalizer could not be {what}")]
    Finalizer {
        what: &'static str,
        #[source]
        source: kube::Error,
    },
}

impl ReconcileError {
    /// A short stable reason for conditions and the errors metric.
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Harbor(HarborError::Timeout { .. }) => "HarborTimeout",
            ReconcileError::Harbor(HarborError::Unreachable { .. }) => "HarborUnreachable",
            ReconcileError::Harbor(HarborError::Status { status, .. })
                if status.as_u16() == 401 =>
            {
                "HarborUnauthorized"
            }
            ReconcileError::Harbor(HarborError::Status { .. }) => "HarborRefused",
            ReconcileError::Harbor(HarborError::Decode { .. }) => "HarborBadAnswer",
            ReconcileError::Cluster(e) => e.reason(),
            ReconcileError::Invalid(_) => "InvalidSpec",
            ReconcileError::Claimed(_) => "NamespaceClaimed",
            ReconcileError::Waiting { reason, .. } => reason,
            ReconcileError::Finalizer { .. } => "FinalizerFailed",
        }
    }

    /// Turns "forbidden" in a team namespace into the step the platform has to take.
    pub(crate) fn namespace_access(namespace: &str, error: ClusterError) -> Self {
        match error {
            ClusterError::Forbidden { .. } => ReconcileError::Waiting {
                reason: "NoNamespaceAccess",
                message: format!(
                    "Berth may not manage secrets in the namespace {namespace}: bind the \
                     ClusterRole berth-team-namespace to Berth's ServiceAccount there (a \
                     RoleBinding; the chart makes it for the namespaces in its teamNamespaces \
                     value)."
                ),
            },
            other => other.into(),
        }
    }
}
