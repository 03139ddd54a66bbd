#!/usr/bin/env bash
# The load test against the running stack: a Berth of its own on $LOAD_PORT (UI only, no download
# limit, talking to the fake Harbor directly: Prism checks the contract, not speed), the fake answering
# every request 5 ms late, LOAD_SESSIONS signed-in sessions loading the team page and downloading the
# push secret for LOAD_SECONDS, with the default time-outs (5 s; the stack shortens them to 2 s for the
# outage tests). Prints p50/p99; exits non-zero on any error.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$STACK/env"
url="http://127.0.0.1:$LOAD_PORT"
faults() { curl -sf -X POST "$FAKE_HARBOR_URL/__fake/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null; }

kubectl --kubeconfig "$STACK/admin.kubeconfig" patch team alpha --type merge -p '{"spec":{"pushSecretDownload":true}}' >/dev/null
LEPTOS_SITE_ADDR="127.0.0.1:$LOAD_PORT" BERTH_PUBLIC_URL="$url" BERTH_RECONCILE=off BERTH_INSTANCE=load \
  BERTH_HARBOR_URL="$FAKE_HARBOR_URL" BERTH_DOWNLOAD_LIMIT=1000000000 RUST_LOG=warn \
  BERTH_KUBE_TIMEOUT_SECS=5 BERTH_HARBOR_TIMEOUT_SECS=5 \
  "$ROOT/target/release/berth" >"$STACK/replica-load.log" 2>&1 &
berth_pid=$!
trap 'kill "$berth_pid" 2>/dev/null || true; faults "{}" || true' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "$url/healthz" && break; sleep 0.2; done
faults '{"latency_ms":5}'
LOAD_BERTH_URL="$url" node "$ROOT/end2end/scripts/load.mjs"
