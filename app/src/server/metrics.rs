//! The process's Prometheus metrics (reconciler, HTTP, audit), rendered as text at `/metrics`.
//! Labels carry team names, robot names, route patterns and reasons, never secret material.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const DURATION_BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Default)]
struct Inner {
    passes: BTreeMap<&'static str, u64>,
    errors: BTreeMap<&'static str, u64>,
    writes: BTreeMap<&'static str, u64>,
    duration_buckets: [u64; DURATION_BUCKETS.len()],
    duration_count: u64,
    duration_sum: f64,
    harbor_refreshes: BTreeMap<&'static str, u64>,
    /// (team, robot name) -> seconds until expiry; absent for robots that never expire.
    robot_expiry: BTreeMap<(String, String), i64>,
    leader: bool,
    last_pass_unix: Option<i64>,
    last_pass_result: &'static str,
    /// (route pattern, method, status) -> requests.
    http_requests: BTreeMap<(&'static str, String, u16), u64>,
    /// route pattern -> (bucket counts, count, sum of seconds).
    http_duration: BTreeMap<&'static str, ([u64; HTTP_BUCKETS.len()], u64, f64)>,
    /// (action, result) -> audit records written.
    audits: BTreeMap<(&'static str, &'static str), u64>,
}

const HTTP_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One team reconciled; `result` is `ok` or an error reason.
    pub fn pass(&self, elapsed: Duration, error_reason: Option<&'static str>) {
        let mut m = self.inner();
        *m.passes
            .entry(if error_reason.is_some() {
                "error"
            } else {
                "ok"
            })
            .or_default() += 1;
        if let Some(reason) = error_reason {
            *m.errors.entry(reason).or_default() += 1;
        }
        let secs = elapsed.as_secs_f64();
        for (i, bound) in DURATION_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                m.duration_buckets[i] += 1;
            }
        }
        m.duration_count += 1;
        m.duration_sum += secs;
        m.last_pass_unix = Some(k8s_openapi::jiff::Timestamp::now().as_second());
        m.last_pass_result = error_reason.unwrap_or("ok");
    }

    /// What the Lease reports to the other replicas: the last pass (time,
    /// result) and the pass counts.
    pub fn report(&self) -> std::collections::BTreeMap<String, String> {
        use crate::vocabulary::{
            LAST_PASS_RESULT_ANNOTATION, LAST_PASS_TIME_ANNOTATION, PASSES_FAILED_ANNOTATION,
            PASSES_OK_ANNOTATION,
        };
        let m = self.inner();
        let mut report = std::collections::BTreeMap::new();
        if let Some(unix) = m.last_pass_unix {
            let time = k8s_openapi::jiff::Timestamp::from_second(unix)
                .map(|t| t.to_string())
                .unwrap_or_default();
            report.insert(LAST_PASS_TIME_ANNOTATION.to_owned(), time);
            report.insert(
                LAST_PASS_RESULT_ANNOTATION.to_owned(),
                m.last_pass_result.to_owned(),
            );
        }
        report.insert(
            PASSES_OK_ANNOTATION.to_owned(),
            m.passes.get("ok").copied().unwrap_or(0).to_string(),
        );
        report.insert(
            PASSES_FAILED_ANNOTATION.to_owned(),
            m.passes.get("error").copied().unwrap_or(0).to_string(),
        );
        report
    }

    /// One answered HTTP request; `route` is a pattern (`/teams/{name}`), never a concrete path.
    pub fn http_request(&self, route: &'static str, method: &str, status: u16, elapsed: Duration) {
        let mut m = self.inner();
        *m.http_requests
            .entry((route, method.to_owned(), status))
            .or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let entry = m
            .http_duration
            .entry(route)
            .or_insert(([0; HTTP_BUCKETS.len()], 0, 0.0));
        for (i, bound) in HTTP_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                entry.0[i] += 1;
            }
        }
        entry.1 += 1;
        entry.2 += secs;
    }

    /// One audit record written.
    pub fn audit(&self, action: &'static str, result: &'static str) {
        *self.inner().audits.entry((action, result)).or_default() += 1;
    }

    /// One write to Harbor or Kubernetes, by kind (e.g. `harbor_robot_create`,
    /// `kube_secret_apply`).
    pub fn write(&self, kind: &'static str) {
        *self.inner().writes.entry(kind).or_default() += 1;
    }

    pub fn writes_total(&self) -> u64 {
        self.inner().writes.values().sum()
    }

    pub fn harbor_refresh(&self, kind: &'static str) {
        *self.inner().harbor_refreshes.entry(kind).or_default() += 1;
    }

    pub fn set_robot_expiry(&self, team: &str, robot: &str, seconds_left: Option<i64>) {
        let mut m = self.inner();
        let key = (team.to_owned(), robot.to_owned());
        match seconds_left {
            Some(s) => {
                m.robot_expiry.insert(key, s);
            }
            None => {
                m.robot_expiry.remove(&key);
            }
        }
    }

    pub fn forget_team(&self, team: &str) {
        self.inner().robot_expiry.retain(|(t, _), _| t != team);
    }

    pub fn set_leader(&self, leader: bool) {
        self.inner().leader = leader;
    }

    pub fn is_leader(&self) -> bool {
        self.inner().leader
    }

    pub fn last_pass_unix(&self) -> Option<i64> {
        self.inner().last_pass_unix
    }

    pub fn render(&self) -> String {
        let m = self.inner();
        let mut out = String::new();
        let label = |v: &str| {
            v.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        let _ = writeln!(
            out,
            "# HELP berth_reconcile_passes_total Team reconciles, by result.\
             \n# TYPE berth_reconcile_passes_total counter"
        );
        for (result, n) in &m.passes {
            let _ = writeln!(
                out,
                "berth_reconcile_passes_total{{result=\"{result}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_reconcile_errors_total Failed team reconciles, by reason.\
             \n# TYPE berth_reconcile_errors_total counter"
        );
        for (reason, n) in &m.errors {
            let _ = writeln!(
                out,
                "berth_reconcile_errors_total{{reason=\"{reason}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_reconcile_writes_total Writes to Harbor and Kubernetes, by kind.\
             \n# TYPE berth_reconcile_writes_total counter"
        );
        for (kind, n) in &m.writes {
            let _ = writeln!(out, "berth_reconcile_writes_total{{kind=\"{kind}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP berth_reconcile_duration_seconds Time of one team's reconcile.\
             \n# TYPE berth_reconcile_duration_seconds histogram"
        );
        for (i, bound) in DURATION_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "berth_reconcile_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                m.duration_buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "berth_reconcile_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            m.duration_count
        );
        let _ = writeln!(
            out,
            "berth_reconcile_duration_seconds_sum {}",
            m.duration_sum
        );
        let _ = writeln!(
            out,
            "berth_reconcile_duration_seconds_count {}",
            m.duration_count
        );
        let _ = writeln!(
            out,
            "# HELP berth_harbor_view_refreshes_total How Harbor's view was brought up to date \
             (trusted, probed, full read).\
             \n# TYPE berth_harbor_view_refreshes_total counter"
        );
        for (kind, n) in &m.harbor_refreshes {
            let _ = writeln!(
                out,
                "berth_harbor_view_refreshes_total{{kind=\"{kind}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_robot_expiry_seconds Seconds until a robot Berth manages expires.\
             \n# TYPE berth_robot_expiry_seconds gauge"
        );
        for ((team, robot), secs) in &m.robot_expiry {
            let _ = writeln!(
                out,
                "berth_robot_expiry_seconds{{team=\"{}\",robot=\"{}\"}} {secs}",
                label(team),
                label(robot)
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_http_requests_total HTTP requests answered, by route pattern, method \
             and status.\
             \n# TYPE berth_http_requests_total counter"
        );
        for ((route, method, status), n) in &m.http_requests {
            let _ = writeln!(
                out,
                "berth_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                label(route),
                label(method)
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_http_request_duration_seconds Time to answer, by route pattern.\
             \n# TYPE berth_http_request_duration_seconds histogram"
        );
        for (route, (buckets, count, sum)) in &m.http_duration {
            let route = label(route);
            for (i, bound) in HTTP_BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "berth_http_request_duration_seconds_bucket{{route=\"{route}\",\
                     le=\"{bound}\"}} {}",
                    buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "berth_http_request_duration_seconds_bucket{{route=\"{route}\",\
                 le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "berth_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "berth_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_audit_records_total Audit records written, by action and result.\
             \n# TYPE berth_audit_records_total counter"
        );
        for ((action, result), n) in &m.audits {
            let _ = writeln!(
                out,
                "berth_audit_records_total{{action=\"{action}\",result=\"{result}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP berth_reconciler_leader Whether this process holds the reconciler Lease.\
             \n# TYPE berth_reconciler_leader gauge"
        );
        let _ = writeln!(out, "berth_reconciler_leader {}", u8::from(m.leader));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.pass(Duration::from_millis(30), None);
        m.pass(Duration::from_secs(3), Some("harbor_unreachable"));
        m.write("harbor_robot_create");
        m.set_robot_expiry("alpha", "robot$berth-alpha-pull", Some(3600));
        m.set_leader(true);
        let text = m.render();
        assert!(
            text.contains("berth_reconcile_passes_total{result=\"ok\"} 1"),
            "{text}"
        );
        assert!(text.contains("berth_reconcile_errors_total{reason=\"harbor_unreachable\"} 1"));
        assert!(text.contains("berth_reconcile_writes_total{kind=\"harbor_robot_create\"} 1"));
        assert!(text.contains("berth_reconcile_duration_seconds_bucket{le=\"0.05\"} 1"));
        assert!(text.contains("berth_reconcile_duration_seconds_count 2"));
        assert!(text.contains(
            "berth_robot_expiry_seconds{team=\"alpha\",robot=\"robot$berth-alpha-pull\"} 3600"
        ));
        assert!(text.contains("berth_reconciler_leader 1"));
        assert_eq!(m.writes_total(), 1);
    }
}
