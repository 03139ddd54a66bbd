use crate::error::AppError;
use crate::model::SystemHealth;
use leptos::prelude::*;

/// Harbor (version, components, ping), Kubernetes reachability and the reconciler's
/// leader and last pass, for platform admins. Every upstream is asked at once, and each
/// part carries its own result.
#[server(endpoint = "load_system_health")]
pub async fn load_system_health() -> Result<SystemHealth, AppError> {
    crate::api::call::serve(async {
        use crate::api::call::part_failed;
        use crate::model::{
            ComponentView, HarborHealthView, KubernetesHealthView, NotReadyTeam, ReconcilerView,
        };
        use crate::server::state::{app_state, signed_in_user};
        use crate::vocabulary::Readiness;
        use crate::vocabulary::{
            LAST_PASS_RESULT_ANNOTATION, LAST_PASS_TIME_ANNOTATION, PASSES_FAILED_ANNOTATION,
            PASSES_OK_ANNOTATION, READY_CONDITION,
        };
        let user = signed_in_user().await?;
        if !user.is_platform_admin {
            return Err(AppError::Forbidden("System health is for platform admins.".into()).into());
        }
        let state = app_state()?;
        let harbor = &state.harbor;
        let reconcile = &state.config.reconcile;
        let (ping, info, health, identity, kubernetes, lease, teams) = tokio::join!(
            harbor.ping(),
            harbor.system_info(),
            harbor.health(),
            harbor.identity_problem(),
            state.cluster.server_version(),
            state
                .cluster
                .get_lease(&reconcile.lease_namespace, &reconcile.lease_name),
            state.cluster.list_teams(),
        );
        // Which teams the failed passes are about: those not ready now, with the reason.
        let not_ready: Vec<NotReadyTeam> = teams
            .unwrap_or_default()
            .iter()
            .filter_map(|team| {
                let ready = team.status.as_ref()?.condition(READY_CONDITION)?;
                (Readiness::parse(&ready.status) == Readiness::False).then(|| NotReadyTeam {
                    name: team.team_name(),
                    reason: ready.reason.clone(),
                    message: ready.message.clone(),
                })
            })
            .collect();
        let ping_ms = ping.map(|d| d.as_millis() as u64).map_err(part_failed);
        let version = info.map(|i| i.harbor_version).map_err(part_failed);
        let health = health
            .map(|h| {
                (
                    h.status,
                    h.components
                        .into_iter()
                        .map(|c| ComponentView {
                            name: c.name,
                            status: c.status,
                            error: c.error,
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .map_err(part_failed);
        let mut warnings = Vec::new();
        if let Err(error) = &ping_ms {
            warnings.push(format!(
                "Harbor is unreachable: {error} Pages show Harbor's parts as failing and the \
                 reconciler retries."
            ));
        }
        let identity_refused = matches!(&identity, Ok(Some(_)));
        if let Ok(Some(problem)) = identity {
            warnings.push(problem);
        }
        if let Ok(version) = &version {
            // Harbor tells callers whose credentials it does not take no
            // version: not an old Harbor.
            let unknown_for_that = version.is_none() && identity_refused;
            if let Some(problem) = crate::server::harbor::version_problem(version.as_deref()) {
                if !unknown_for_that {
                    warnings.push(problem);
                }
            }
        }
        if let Ok((status, components)) = &health {
            if status != "healthy" {
                let sick: Vec<&str> = components
                    .iter()
                    .filter(|c| c.status != "healthy")
                    .map(|c| c.name.as_str())
                    .collect();
                warnings.push(format!(
                    "Harbor reports itself {status}: {}.",
                    sick.join(", ")
                ));
            }
        }
        let kubernetes = kubernetes
            .map(|(version, latency)| KubernetesHealthView {
                version,
                latency_ms: latency.as_millis() as u64,
            })
            .map_err(part_failed);
        let reconciler = lease.map_err(part_failed).map(|lease| {
            let annotation = |key: &str| {
                lease
                    .as_ref()
                    .and_then(|l| l.metadata.annotations.as_ref())
                    .and_then(|a| a.get(key))
                    .cloned()
            };
            let spec = lease
                .as_ref()
                .and_then(|l| l.spec.clone())
                .unwrap_or_default();
            ReconcilerView {
                enabled: reconcile.enabled,
                this_replica: reconcile.instance.clone(),
                holder: spec.holder_identity.filter(|h| !h.is_empty()),
                renewed: spec.renew_time.map(|t| t.0.to_string()),
                last_pass: annotation(LAST_PASS_TIME_ANNOTATION),
                last_result: annotation(LAST_PASS_RESULT_ANNOTATION),
                passes_ok: annotation(PASSES_OK_ANNOTATION),
                passes_failed: annotation(PASSES_FAILED_ANNOTATION),
                not_ready,
            }
        });
        Ok(SystemHealth {
            harbor: HarborHealthView {
                url: state.config.harbor.url.to_string(),
                ping_ms,
                version,
                health,
                warnings,
            },
            kubernetes,
            reconciler,
        })
    })
    .await
}
