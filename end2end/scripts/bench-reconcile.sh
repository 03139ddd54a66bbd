#!/usr/bin/env bash
# `make bench-reconcile`: onboards N teams (default 1,000) against the fake Harbor with 5 ms added to
# every request (behind Prism, as in every test), prints the time until all are Ready, then the Harbor
# requests and the writes (Harbor, and Kubernetes from the apiserver's audit log) of one steady-state
# resync of every team. Not part of `make test`. Exits non-zero when a goal is missed:
# onboarding <= 60 s, steady state <= 30 Harbor requests and 0 writes.
#
# Berth talks to the fake Harbor directly here (BENCH_VIA_PRISM=1 puts Prism in between, as the tests
# do): Prism's own validation costs more per request than Berth and Harbor together on a 2-core machine,
# and this measures Berth. The tests check every exchange against the spec.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
cd "$ROOT"
TEAMS="${BENCH_TEAMS:-1000}"
RESYNC=30
trap '[[ -f "$STACK/berth.pid" ]] && kill "$(cat "$STACK/berth.pid")" 2>/dev/null; "$ROOT/end2end/scripts/stack.sh" down' EXIT
"$ROOT/end2end/scripts/stack.sh" up
source "$STACK/env"
k=(kubectl --kubeconfig "$STACK/admin.kubeconfig")

echo "bench: creating $TEAMS namespaces, default ServiceAccounts, RoleBindings for Berth and Teams (before Berth starts)" >&2
python3 - "$TEAMS" >"$STACK/bench-teams.yaml" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    name = f"bench-{i:04d}"
    print(f"""---
apiVersion: v1
kind: Namespace
metadata: {{name: team-{name}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: default, namespace: team-{name}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: berth, namespace: team-{name}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: berth-team-namespace}}
subjects: [{{kind: ServiceAccount, name: berth, namespace: berth}}]
---
apiVersion: berth.dev/v1alpha1
kind: Team
metadata: {{name: {name}}}
spec: {{groups: [team-{name}]}}""")
PY
"${k[@]}" apply --server-side --field-manager bench -f "$STACK/bench-teams.yaml" >/dev/null
total=$(("$TEAMS" + 2))
curl -sf -X POST "$FAKE_HARBOR_URL/__fake/faults" -H 'Content-Type: application/json' -d '{"latency_ms":5}'

ready_count() {
  "${k[@]}" get teams -o json | jq '[.items[] | select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length'
}

harbor_url="$FAKE_HARBOR_URL"; [[ "${BENCH_VIA_PRISM:-0}" == 1 ]] && harbor_url="$BERTH_HARBOR_URL"
echo "bench: Berth talks to Harbor at $harbor_url" >&2
start=$(date +%s.%N)
BERTH_RESYNC_SECS=$RESYNC BERTH_HARBOR_URL="$harbor_url" "$ROOT/end2end/scripts/berth.sh" >"$STACK/berth.log" 2>&1 &
echo $! >"$STACK/berth.pid"
while true; do
  ready=$(ready_count)
  elapsed=$(echo "$(date +%s.%N) - $start" | bc)
  [[ "$ready" -ge "$total" ]] && break
  if (( $(echo "$elapsed > 900" | bc) )); then echo "bench: only $ready of $total Ready after 900 s" >&2; exit 1; fi
  sleep 2
done
onboard=$(printf '%.1f' "$elapsed")
echo "onboarding: $total teams Ready after $onboard s (goal 60 s)"

metric() { curl -sf "$BERTH_URL/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
kube_writes() {
  jq -c 'select(.stage == "ResponseComplete" and .user.username == "system:serviceaccount:berth:berth"
    and (.verb == "create" or .verb == "update" or .verb == "patch" or .verb == "delete")
    and .objectRef.resource != "leases" and .objectRef.resource != "events")' "$BERTH_STACK_AUDIT_LOG" | wc -l
}
# Wait until the onboarding's last writes (statuses, pending secrets) are done, then one more resync
# period: the first look at Harbor after Berth's own writes is a full read, part of onboarding.
last=-1
while [[ "$(metric berth_reconcile_writes_total)" != "$last" ]]; do last=$(metric berth_reconcile_writes_total); sleep 5; done
sleep "$RESYNC"

curl -sf -X DELETE "$FAKE_HARBOR_URL/__fake/stats"
passes0=$(metric berth_reconcile_passes_total); writes0=$(metric berth_reconcile_writes_total); kube0=$(kube_writes)
sleep $((RESYNC + 2))
stats=$(curl -sf "$FAKE_HARBOR_URL/__fake/stats")
passes=$(( $(metric berth_reconcile_passes_total) - passes0 ))
writes=$(( $(metric berth_reconcile_writes_total) - writes0 ))
kube=$(( $(kube_writes) - kube0 ))
requests=$(jq .requests <<<"$stats"); harbor_writes=$(jq .writes <<<"$stats")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$(cat "$STACK/berth.pid")/status" 2>/dev/null || echo '?')
echo "steady state: one resync period ($RESYNC s): $passes team reconciles, Harbor $requests requests / $harbor_writes writes (goal <= 30 / 0), Kubernetes $kube writes (goal 0), Berth-counted writes $writes"
echo "Berth RSS with $total teams: $((rss / 1024)) MB"
ok=0
(( $(echo "$onboard <= 60" | bc) )) || { echo "MISSED: onboarding took $onboard s" >&2; ok=1; }
(( requests <= 30 && harbor_writes == 0 && kube == 0 && writes == 0 )) || { echo "MISSED: steady state not within 30 requests and 0 writes" >&2; ok=1; }
(( passes >= total )) || { echo "MISSED: only $passes reconciles in one resync period" >&2; ok=1; }
exit $ok
