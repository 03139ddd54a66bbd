//! Leader election on a `coordination.k8s.io/v1` Lease: only the holder reconciles; the
//! other replicas serve the UI. Updates carry the resourceVersion they read, so two
//! contenders never both win.
use crate::server::metrics::Metrics;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::PostParams;
use kube::{Api, Client};
use std::sync::Arc;
use std::time::Duration;

/// A holder that stops renewing loses the Lease after this long.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);
/// The holder renews, and the others try to take over, this often.
pub const RETRY_PERIOD: Duration = Duration::from_secs(5);

pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    holder: String,
    /// The holder's last pass, written as annotations with each renewal (a write that happens
    /// anyway) so every replica's health page can show it.
    metrics: Option<Arc<Metrics>>,
}

impl LeaseLock {
    pub fn new(
        client: Client,
        namespace: &str,
        name: &str,
        holder: &str,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            holder: holder.to_owned(),
            metrics,
        }
    }

    fn annotate(&self, metadata: &mut ObjectMeta) {
        if let Some(metrics) = &self.metrics {
            metadata
                .annotations
                .get_or_insert_with(Default::default)
                .extend(metrics.report());
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    fn spec(&self, now: Timestamp, acquired: Option<MicroTime>, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.holder.clone()),
            lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
            acquire_time: Some(acquired.unwrap_or(MicroTime(now))),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..Default::default()
        }
    }

    /// Takes the Lease when it is free or expired, renews it when held; `Ok(true)` while this
    /// process holds it.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let now = Timestamp::now();
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            let mut lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..Default::default()
                },
                spec: Some(self.spec(now, None, 0)),
            };
            self.annotate(&mut lease.metadata);
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let ours = holder.as_deref() == Some(self.holder.as_str());
        let duration = SignedDuration::from_secs(
            spec.lease_duration_seconds
                .unwrap_or(LEASE_DURATION.as_secs() as i32) as i64,
        );
        let expired = spec
            .renew_time
            .as_ref()
            .is_none_or(|t| t.0 + duration < now);
        if !ours && holder.is_some() && !expired {
            return Ok(false);
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!ours);
        lease.spec = Some(self.spec(
            now,
            if ours { spec.acquire_time } else { None },
            transitions,
        ));
        self.annotate(&mut lease.metadata);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the Lease up at shutdown so another replica takes over at once, not after it expires.
    pub async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.holder.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        self.api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
            .map(drop)
    }
}
