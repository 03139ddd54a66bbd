#!/usr/bin/env bash
# The load test against the running stack: a Berth of its own on $LOAD_PORT (UI only, no download
# limit, talking to the fake Harbor directly: Prism checks the contract, not speed), the fake answering
# every request 5 ms late, LOAD_SESSIONS signed-in sessions loading the team page and downloading the
# push secret for LOAD_SECONDS, with the default time-outs (5 s; the stack shortens them to 2 s for the
# outage tests). Prints p50/p99; exits non-zero on any error.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$ROOT/end2end/scripts/lib.sh"
source "$STACK/env"
url="http://127.0.0.1:$LOAD_PORT"

kubectl --kubeconfig "$STACK/admin.kubeconfig" patch team alpha --type merge -p '{"spec":{"pushSecretDownload":true}}' >/dev/null
LEPTOS_SITE_ADDR="127.0.0.1:$LOAD_PORT" BERTH_PUBLIC_URL="$url" BERTH_RECONCILE=off BERTH_INSTANCE=load \
  BERTH_HARBOR_URL="$FAKE_HARBOR_URL" BERTH_DOWNLOAD_LIMIT=1000000000 RUST_LOG=warn \
  BERTH_KUBE_TIMEOUT_SECS=5 BERTH_HARBOR_TIMEOUT_SECS=5 \
  "$ROOT/target/release/berth" >"$STACK/replica-load.log" 2>&1 &
echo $! >"$STACK/replica-load.pid"
trap 'stop_pidfile "$STACK/replica-load.pid"; fake_faults "{}" || true' EXIT
wait_ready 20 "$STACK/replica-load.pid" "$url/healthz" || { tail -20 "$STACK/replica-load.log" >&2; exit 1; }
fake_faults '{"latency_ms":5}'
LOAD_BERTH_URL="$url" node "$ROOT/end2end/scripts/load.mjs" && exit 0
# What the failure needs to be understood: the team's state as the reconciler left it, and the replica.
echo "load: team alpha's conditions, its secrets and the load replica's last log lines:" >&2
kubectl --kubeconfig "$STACK/admin.kubeconfig" get team alpha \
  -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
kubectl --kubeconfig "$STACK/admin.kubeconfig" -n team-alpha get secrets >&2 || true
tail -20 "$STACK/replica-load.log" >&2
exit 1
