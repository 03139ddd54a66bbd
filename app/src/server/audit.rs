//! The audit trail: one JSON log line per audited action (the durable record for log
//! pipelines) and a Kubernetes Event on the Team (visible with `kubectl describe team`).
//! Neither ever holds secret material.
use crate::model::AuditEntry;
use crate::server::cluster::crd::Team;
use crate::vocabulary::{
    AUDIT_ACTION, AUDIT_ACTOR, AUDIT_DETAIL, AUDIT_MARK, AUDIT_RESULT, AUDIT_TEAM,
};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client, Resource};
use std::collections::BTreeMap;

pub use crate::vocabulary::{AuditAction, AuditResult};

/// One audited action. The team it is about is never part of it: it comes from the Team the
/// apiserver returned.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: String,
    pub action: AuditAction,
    /// e.g. the download format, or the new value of a toggle.
    pub detail: String,
    pub result: AuditResult,
}

impl AuditRecord {
    pub fn new(actor: &str, action: AuditAction, detail: String, result: AuditResult) -> Self {
        Self {
            actor: actor.to_owned(),
            action,
            detail,
            result,
        }
    }
}

/// The audit record could not be stored as an Event. An action that depends on its record (a
/// download, a change) does not happen then.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit record could not be stored")]
    Store(#[source] kube::Error),
}

impl AuditError {
    pub fn reason(&self) -> &'static str {
        match self {
            AuditError::Store(_) => "audit-store-failed",
        }
    }
}

/// What the user is told when their action was not carried out because it could not be audited.
pub const AUDIT_DOWN: &str = "\
    Berth could not store the audit record of this action, so it did not carry it out. Nothing was \
    changed or sent; try again in a minute, and ask your platform team if this stays.";

#[derive(Clone)]
pub struct Audit {
    client: Client,
    events_namespace: String,
    instance: String,
    metrics: Option<std::sync::Arc<crate::server::metrics::Metrics>>,
}

impl Audit {
    pub fn new(client: Client, events_namespace: String) -> Self {
        let instance = std::env::var("HOSTNAME").unwrap_or_else(|_| "berth".into());
        Self {
            client,
            events_namespace,
            instance,
            metrics: None,
        }
    }

    /// Counts each record in `berth_audit_records_total`.
    pub fn with_metrics(
        mut self,
        metrics: std::sync::Arc<crate::server::metrics::Metrics>,
    ) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Logs the record and stores the Event about the team; `Err` when the Event was not stored,
    /// and then the action it records must not happen (no audit, no action).
    pub async fn record(&self, team: &Team, record: AuditRecord) -> Result<(), AuditError> {
        self.record_about(Self::reference(team), &team.team_name(), record)
            .await
    }

    /// For what is audited after the fact or refused anyway (refusals, failures, the reconciler's
    /// work): a record that cannot be stored is logged, and nothing else changes.
    pub async fn note(&self, team: &Team, record: AuditRecord) {
        let _ = self.record(team, record).await;
    }

    fn reference(team: &Team) -> ObjectReference {
        ObjectReference {
            api_version: Some(Team::api_version(&()).into_owned()),
            kind: Some(Team::kind(&()).into_owned()),
            name: team.metadata.name.clone(),
            uid: team.metadata.uid.clone(),
            resource_version: team.metadata.resource_version.clone(),
            ..Default::default()
        }
    }

    /// An action on a Harbor account (no Team involved): the Event names the account. `Err` as for
    /// [`Audit::record`].
    pub async fn record_harbor_user(
        &self,
        username: &str,
        record: AuditRecord,
    ) -> Result<(), AuditError> {
        let reference = ObjectReference {
            kind: Some("HarborUser".into()),
            name: Some(username.to_owned()),
            ..Default::default()
        };
        self.record_about(reference, "", record).await
    }

    /// [`Audit::record_harbor_user`] for refusals and failures, as [`Audit::note`] is for teams.
    pub async fn note_harbor_user(&self, username: &str, record: AuditRecord) {
        let _ = self.record_harbor_user(username, record).await;
    }

    async fn record_about(
        &self,
        reference: ObjectReference,
        team: &str,
        record: AuditRecord,
    ) -> Result<(), AuditError> {
        tracing::info!(
            target: "berth::audit",
            audit = true,
            actor = %record.actor,
            action = record.action.as_str(),
            team = %team,
            detail = %record.detail,
            result = record.result.as_str(),
            "audit"
        );
        if let Some(metrics) = &self.metrics {
            metrics.audit(record.action.as_str(), record.result.as_str());
        }
        match self.write_event(reference, team, &record).await {
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    action = record.action.as_str(),
                    team = %team,
                    "could not write the audit Event"
                );
                Err(AuditError::Store(error))
            }
        }
    }

    async fn write_event(
        &self,
        reference: ObjectReference,
        team: &str,
        record: &AuditRecord,
    ) -> Result<Event, kube::Error> {
        let reason = match (record.action.as_str(), record.result) {
            (action, AuditResult::Allowed) => format!("{}Allowed", pascal(action)),
            (action, AuditResult::Denied) => format!("{}Denied", pascal(action)),
            (action, AuditResult::Failed) => format!("{}Failed", pascal(action)),
        };
        let annotations = BTreeMap::from([
            (AUDIT_MARK.to_owned(), "true".to_owned()),
            (AUDIT_ACTOR.to_owned(), record.actor.clone()),
            (AUDIT_ACTION.to_owned(), record.action.as_str().to_owned()),
            (AUDIT_TEAM.to_owned(), team.to_owned()),
            (AUDIT_DETAIL.to_owned(), record.detail.clone()),
            (AUDIT_RESULT.to_owned(), record.result.as_str().to_owned()),
        ]);
        // core/v1 Events without eventTime: the apiserver accepts them about a cluster-scoped
        // Team in any namespace (BERTH_EVENTS_NAMESPACE); an events.k8s.io/v1 Event about it
        // must be in `default` ("involvedObject.namespace does not match event.namespace"
        // elsewhere, still so in v1.37).
        let now = Timestamp::now();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(event_name(team, now)),
                namespace: Some(self.events_namespace.clone()),
                // Labels too, so `kubectl get events -l berth.dev/action=rotation` works.
                labels: Some(BTreeMap::from([
                    (AUDIT_MARK.to_owned(), "true".to_owned()),
                    (AUDIT_ACTION.to_owned(), record.action.as_str().to_owned()),
                    (AUDIT_RESULT.to_owned(), record.result.as_str().to_owned()),
                ])),
                annotations: Some(annotations),
                ..Default::default()
            },
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            count: Some(1),
            type_: Some(
                if record.result == AuditResult::Allowed {
                    "Normal"
                } else {
                    "Warning"
                }
                .to_owned(),
            ),
            reason: Some(reason),
            action: Some(pascal(record.action.as_str())),
            message: Some(match team {
                "" => format!(
                    "{} {} ({}): {}",
                    record.actor,
                    record.action,
                    record.detail,
                    record.result.as_str()
                ),
                team => format!(
                    "{} {} ({}) for team {team}: {}",
                    record.actor,
                    record.action,
                    record.detail,
                    record.result.as_str()
                ),
            }),
            involved_object: reference,
            source: Some(EventSource {
                component: Some("berth".into()),
                host: Some(self.instance.clone()),
            }),
            reporting_component: Some("berth.dev/berth".into()),
            reporting_instance: Some(self.instance.clone()),
            ..Default::default()
        };
        let api = Api::<Event>::namespaced(self.client.clone(), &self.events_namespace);
        match api.create(&PostParams::default(), &event).await {
            // The name is unique to this record, so "already exists" means the create landed and
            // its answer was lost (seen under load: the apiserver's store retried the write).
            // The stored Event is ours when it says what this one says.
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let name = event.metadata.name.as_deref().unwrap_or_default();
                let stored = api.get(name).await?;
                if stored.metadata.annotations == event.metadata.annotations
                    && stored.involved_object == event.involved_object
                {
                    Ok(stored)
                } else {
                    Err(kube::Error::Api(status))
                }
            }
            other => other,
        }
    }
}

/// `<team>.<nanoseconds><random>` in hex: time-ordered like the apiserver's own Event names,
/// and unique across replicas writing in the same nanosecond.
fn event_name(team: &str, now: Timestamp) -> String {
    format!(
        "{}.{:x}{:08x}",
        if team.is_empty() { "berth" } else { team },
        now.as_nanosecond(),
        rand::random::<u32>()
    )
}

/// An audit record read back from its Event; `None` for Events that are not Berth's audit
/// records, and for a record whose action or result this Berth does not know (logged: it
/// is left out of the page).
pub fn entry_from_event(event: &Event) -> Option<AuditEntry> {
    let annotations = event.metadata.annotations.as_ref()?;
    if annotations.get(AUDIT_MARK).map(String::as_str) != Some("true") {
        return None;
    }
    let get = |key: &str| annotations.get(key).cloned().unwrap_or_default();
    let (action, result) = (get(AUDIT_ACTION), get(AUDIT_RESULT));
    let (Some(action), Some(result)) = (AuditAction::parse(&action), AuditResult::parse(&result))
    else {
        tracing::warn!(
            event = ?event.metadata.name,
            action = %action,
            result = %result,
            "an audit Event with an action or result this Berth does not know is left out of the \
             audit page"
        );
        return None;
    };
    let time = event
        .last_timestamp
        .as_ref()
        .or(event.first_timestamp.as_ref())
        .map(|t| t.0.to_string())
        .unwrap_or_default();
    Some(AuditEntry {
        time,
        actor: get(AUDIT_ACTOR),
        action,
        team: get(AUDIT_TEAM),
        detail: get(AUDIT_DETAIL),
        result,
    })
}

impl Audit {
    /// Every audit record still held as an Event (the apiserver keeps Events for its `--event-ttl`,
    /// 1 h by default), newest first.
    pub async fn stored_records(
        &self,
        cluster: &crate::server::cluster::Cluster,
    ) -> Result<Vec<AuditEntry>, crate::server::cluster::ClusterError> {
        let events = cluster
            .list_labelled_events(&self.events_namespace, &format!("{AUDIT_MARK}=true"))
            .await?;
        let mut records: Vec<AuditEntry> = events.iter().filter_map(entry_from_event).collect();
        records.sort_by(|a, b| b.time.cmp(&a.time));
        Ok(records)
    }
}

/// `push-secret-download` -> `PushSecretDownload`.
fn pascal(action: &str) -> String {
    action
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_become_pascal_case_reasons() {
        assert_eq!(pascal("push-secret-download"), "PushSecretDownload");
        assert_eq!(pascal("toggle"), "Toggle");
    }

    #[test]
    fn records_read_back_typed_and_unknown_ones_are_left_out() {
        let event = |action: &str, result: &str| Event {
            metadata: ObjectMeta {
                annotations: Some(BTreeMap::from([
                    (AUDIT_MARK.to_owned(), "true".to_owned()),
                    (AUDIT_ACTOR.to_owned(), "alice".to_owned()),
                    (AUDIT_ACTION.to_owned(), action.to_owned()),
                    (AUDIT_TEAM.to_owned(), "alpha".to_owned()),
                    (AUDIT_DETAIL.to_owned(), "push".to_owned()),
                    (AUDIT_RESULT.to_owned(), result.to_owned()),
                ])),
                ..Default::default()
            },
            ..Default::default()
        };
        let entry = entry_from_event(&event("rotation-request", "denied")).unwrap();
        assert_eq!(entry.action, AuditAction::RotationRequest);
        assert_eq!(entry.result, AuditResult::Denied);
        assert_eq!(
            (entry.actor.as_str(), entry.team.as_str()),
            ("alice", "alpha")
        );
        assert!(entry_from_event(&event("toggle", "allowed")).is_none());
        assert!(entry_from_event(&event("rotation", "maybe")).is_none());
        assert!(entry_from_event(&Event::default()).is_none());
    }

    /// An apiserver that stores the first create and answers it with 409, as when the write
    /// landed and its answer was lost; `tamper` changes what it stores (another writer's Event).
    async fn create_answered_409(tamper: bool) -> (Result<(), AuditError>, Vec<String>) {
        use http::{Method, Request, Response};
        use kube::client::Body;
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let server = tokio::spawn(async move {
            let (mut stored, mut seen) = (serde_json::Value::Null, Vec::new());
            while let Some((request, respond)) = handle.next_request().await {
                let (parts, body) = request.into_parts();
                seen.push(format!("{} {}", parts.method, parts.uri.path()));
                let (status, answer) = if parts.method == Method::POST {
                    stored = serde_json::from_slice(&body.collect_bytes().await.unwrap()).unwrap();
                    if tamper {
                        stored["metadata"]["annotations"][AUDIT_ACTOR] = "mallory".into();
                    }
                    let status = serde_json::json!({"kind": "Status", "apiVersion": "v1",
                        "status": "Failure", "reason": "AlreadyExists", "code": 409,
                        "message": "events already exists"});
                    (409, status)
                } else {
                    (200, stored.clone())
                };
                respond.send_response(
                    Response::builder()
                        .status(status)
                        .body(Body::from(serde_json::to_vec(&answer).unwrap()))
                        .unwrap(),
                );
            }
            seen
        });
        let audit = Audit::new(Client::new(service, "default"), "default".into());
        let record = AuditRecord::new(
            "alice",
            AuditAction::HarborUserDelete,
            "dave".into(),
            AuditResult::Allowed,
        );
        let result = audit.record_harbor_user("dave", record).await;
        drop(audit);
        (result, server.await.unwrap())
    }

    #[tokio::test]
    async fn a_create_whose_answer_was_lost_is_recognised_by_what_it_stored() {
        let (result, seen) = create_answered_409(false).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(seen.len(), 2);
        assert!(seen[0].starts_with("POST ") && seen[1].starts_with("GET "));
    }

    #[tokio::test]
    async fn another_writers_event_under_the_name_is_still_a_failure() {
        let (result, _) = create_answered_409(true).await;
        assert_eq!(result.unwrap_err().reason(), "audit-store-failed");
    }

    #[test]
    fn event_names_are_unique_within_one_nanosecond() {
        let now = Timestamp::now();
        let names: std::collections::BTreeSet<_> =
            (0..64).map(|_| event_name("alpha", now)).collect();
        assert_eq!(names.len(), 64);
        assert!(names
            .iter()
            .all(|n| n.starts_with("alpha.") && n.len() <= 253));
    }
}
