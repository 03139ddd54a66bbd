#!/usr/bin/env bash
# `make test`: every test layer, in order, against the real parts.
#   1. unit tests (app with ssr, the fake Harbor, the berth binary: router, CLI, the committed CRD)
#   2. integration tests: Harbor client through Prism, Kubernetes under Berth's own RBAC
#   3. the Helm chart (lint, schema, dry runs on the apiserver, install/upgrade/rollback/uninstall)
#   4. Playwright in Chromium with JavaScript on and off, against the built Berth; the compatibility
#      layer on the oldest supported Kubernetes; load; the OpenTelemetry export
#   5. Prism's violation count (must be 0) and a search of all captured output for the stack's secrets
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$ROOT/end2end/scripts/lib.sh"
cd "$ROOT"
REPORT="$STACK/test-report"; mkdir -p "$STACK"; : >"$REPORT"
t0=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - t0))"; }
cleanup() {
  [[ -f "$STACK/berth.pid" ]] && kill "$(cat "$STACK/berth.pid")" 2>/dev/null || true
  "$ROOT/end2end/scripts/stack.sh" down
}
trap cleanup EXIT

cargo_tests() {  # label, cargo test args... [-- test args]: counted from libtest's JSON events
  local label="$1"; shift
  # A failing layer does not stop the run: every layer reports, and the summary fails.
  python3 "$ROOT/end2end/scripts/cargo-tests.py" "$label" "$REPORT" --release "$@" 2>&1 \
    | tee "$STACK/$label.log" || true
}

step "unit tests"
cargo_tests unit -p app --features ssr --lib
cargo_tests unit-fake -p fake-harbor
# The berth binary: its router in-process, its CLI from an empty environment, `berth crd` against the
# committed CRD.
cargo_tests unit-berth -p berth

step "local stack"
"$ROOT/end2end/scripts/stack.sh" up
source "$STACK/env"

step "Helm chart: lint, schema, server-side dry runs, install/upgrade/rollback/uninstall, plain manifests"
"$ROOT/end2end/scripts/chart.sh" 2>&1 | tee "$STACK/chart.log" || true
grep '^chart ' "$STACK/chart.log" >>"$REPORT" || echo "chart 0 1" >>"$REPORT"

step "Berth (reconciling the stack's Teams)"
# Short periods so the reconciler tests see repairs and rotations within seconds; the suite downloads the
# push secret more often than the default limit allows (the limit has its own test, on a replica). The
# Teams of the Kubernetes fault tests are left to the Berth those tests start behind the fault proxy.
BERTH_RESYNC_SECS=5 BERTH_ROTATION_GRACE_SECS=5 BERTH_DOWNLOAD_LIMIT=1000 BERTH_TEAM_SELECTOR='!berth.dev/kube-faults' \
  "$ROOT/end2end/scripts/berth.sh" >"$STACK/berth.log" 2>&1 &
echo $! >"$STACK/berth.pid"
wait_ready 20 "$STACK/berth.pid" "$BERTH_URL/healthz" || { cat "$STACK/berth.log"; echo "Berth did not start" >&2; exit 1; }
kubectl --kubeconfig "$STACK/admin.kubeconfig" wait --for=condition=Ready --timeout=60s team/alpha team/beta

step "check-config --probe against the stack"
probe_out="$(env -i PATH="$PATH" HOME="$HOME" bash -c "source '$STACK/env' && '$ROOT/target/release/berth' check-config --probe" 2>&1)" && probe_code=0 || probe_code=$?
echo "$probe_out"
if [[ $probe_code == 0 && $(grep -c '^reachable: ' <<<"$probe_out") == 3 ]]; then echo "cli-probe 1 0" >>"$REPORT"; else echo "FAILED: check-config --probe" >&2; echo "cli-probe 0 1" >>"$REPORT"; fi

step "production signals (headers on every route, /readyz with Kubernetes stopped)"
cargo_tests production -p app --features ssr --test production -- --test-threads=1

step "image payload: what the Dockerfile copies, run from an empty directory with its environment"
# No container engine runs here; this is the image's file system and ENV, minus the base image.
image_dir="$(mktemp -d)"
image_bytes="$("$ROOT/end2end/scripts/image-payload.sh" "$image_dir")"
echo "image payload (stripped binary + site): $image_bytes bytes (binary $(stat -c %s "$image_dir/app/berth"), site $(du -sb "$image_dir/app/site" | cut -f1)); budget 40,000,000"
image_port=3199
env -i PATH=/usr/bin:/bin HOME=/nonexistent bash -c "source '$STACK/env'; unset LEPTOS_SITE_ROOT LEPTOS_SITE_ADDR
  export LEPTOS_SITE_ADDR=127.0.0.1:$image_port LEPTOS_ENV=PROD RUST_LOG=info   # the Dockerfile's ENV, but
  export LEPTOS_SITE_ROOT='$image_dir/app/site'                                  # its /app here, and a UI-only
  export BERTH_RECONCILE=off BERTH_PUBLIC_URL=http://127.0.0.1:$image_port       # replica beside the real one
  cd '$image_dir' && exec ./app/berth" >"$STACK/image.log" 2>&1 &
image_pid=$!
image_ok=0
wait_ready 10 - "http://127.0.0.1:$image_port/healthz" || true
if (( image_bytes > 40000000 )); then echo "FAILED: the image payload is over its 40 MB budget"
elif curl -sf "http://127.0.0.1:$image_port/signed-out" | grep -q 'Berth' \
  && curl -sf -o /dev/null "http://127.0.0.1:$image_port/pkg/berth.wasm" \
  && curl -sf -o /dev/null "http://127.0.0.1:$image_port/readyz"; then image_ok=1; echo "ok: the image payload serves the portal"
else echo "FAILED: the image payload does not serve the portal:"; cat "$STACK/image.log"; fi
kill "$image_pid" 2>/dev/null; wait "$image_pid" 2>/dev/null || true
echo "image $image_ok $((1 - image_ok))" >>"$REPORT"

step "integration tests (Harbor through Prism, Kubernetes under Berth's RBAC)"
cargo_tests integration -p app --features ssr --test integration -- --test-threads=1

step "reconciler tests (the running Berth against Harbor through Prism and the real apiserver)"
cargo_tests reconcile -p app --features ssr --test reconcile -- --test-threads=1 --nocapture

step "Playwright (JavaScript on and off)"
rm -f "$STACK/playwright.json"
(cd end2end && PLAYWRIGHT_JSON_OUTPUT_FILE="$STACK/playwright.json" npx playwright test) 2>&1 \
  | tee "$STACK/playwright.log" || true
read -r e2e_passed e2e_failed < <(playwright_counts "$STACK/playwright.json")
# No result at all (a spec that does not load, a crash) is a failure too.
[[ "$e2e_passed" == 0 && "$e2e_failed" == 0 ]] && e2e_failed=1
echo "e2e $e2e_passed $e2e_failed" >>"$REPORT"

step "compatibility: onboard, reconcile, download, offboard on Kubernetes $KUBE_COMPAT_VERSION (oldest supported)"
"$ROOT/end2end/scripts/compat.sh" 2>&1 | tee "$STACK/compat.log" || true
grep '^compat ' "$STACK/compat.log" >>"$REPORT" || echo "compat 0 1" >>"$REPORT"

step "Keycloak $KEYCLOAK_VERSION: nested groups as full paths, sign-out through Keycloak, a realm key rotation"
"$ROOT/end2end/scripts/idp-journeys.sh" keycloak 2>&1 | tee "$STACK/keycloak-journeys.log" || true
grep '^keycloak ' "$STACK/keycloak-journeys.log" >>"$REPORT" || echo "keycloak 0 1" >>"$REPORT"

step "Dex $DEX_VERSION: groups from its password database give the teams, sign-out ends Berth's session"
"$ROOT/end2end/scripts/idp-journeys.sh" dex 2>&1 | tee "$STACK/dex-journeys.log" || true
grep '^dex ' "$STACK/dex-journeys.log" >>"$REPORT" || echo "dex 0 1" >>"$REPORT"

step "load: ${LOAD_SESSIONS:-500} signed-in sessions for ${LOAD_SECONDS:-60} s on the team page and the download"
if "$ROOT/end2end/scripts/load.sh" 2>&1 | tee "$STACK/load.log"; then echo "load 1 0" >>"$REPORT"; else echo "load 0 1" >>"$REPORT"; fi

step "OpenTelemetry export (the otel cargo feature)"
# The same binary with \`--features otel\`, pointed at a small OTLP/HTTP receiver: a request's span (with
# its request id) must arrive as an OTLP trace export. The default binary is put back afterwards.
otel_ok=0
cp target/release/berth "$STACK/berth.default"
if cargo build --release -p berth --features otel 2>&1 | tail -3; then
  otel_port=14318; otel_out="$STACK/otlp-received.jsonl"; : >"$otel_out"
  request_id="otel-check-$RANDOM$RANDOM"
  python3 end2end/scripts/otlp-receiver.py "$otel_port" "$otel_out" "$request_id" berth >/dev/null 2>&1 &
  receiver_pid=$!
  LEPTOS_SITE_ADDR=127.0.0.1:3197 BERTH_PUBLIC_URL=http://127.0.0.1:3197 BERTH_RECONCILE=off \
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$otel_port" OTEL_BSP_SCHEDULE_DELAY=200 \
    target/release/berth >"$STACK/otel-berth.log" 2>&1 &
  otel_pid=$!
  wait_ready 20 - http://127.0.0.1:3197/healthz || true
  curl -sf -o /dev/null -H "x-request-id: $request_id" http://127.0.0.1:3197/signed-out || true
  sleep 1
  kill -TERM "$otel_pid"; wait "$otel_pid" 2>/dev/null || true   # the exporter flushes at shutdown
  kill "$receiver_pid" 2>/dev/null || true
  if jq -se --arg id "$request_id" 'any(.[]; .path == "/v1/traces" and .type == "application/x-protobuf" and .found[$id] and .found.berth)' "$otel_out" >/dev/null; then
    otel_ok=1; echo "ok: the request's span reached the OTLP receiver ($(wc -l <"$otel_out") export(s))"
  else echo "FAILED: no OTLP trace export carried the request id:"; cat "$otel_out"; tail -5 "$STACK/otel-berth.log"; fi
fi
# target/release/berth is a hard link into cargo's deps/: unlink it first, so the copy does not
# overwrite cargo's otel build in place.
rm -f target/release/berth; cp "$STACK/berth.default" target/release/berth
echo "otel $otel_ok $((1 - otel_ok))" >>"$REPORT"

step "contract and secret checks"
violations=$("$ROOT/end2end/scripts/stack.sh" prism-violations)
echo "Prism violations and warnings: $violations"
# What else the suite produced that a secret must never be in: the metrics and every audit record.
curl -sf "$BERTH_URL/metrics" >"$STACK/metrics.txt" || true
kubectl --kubeconfig "$STACK/admin.kubeconfig" get events -n default -l berth.dev/audit=true -o json >"$STACK/audit-events.json" || true
# Every secret the stack knows: robot tokens (from the secrets Berth serves), client secret, Harbor password.
mapfile -t secrets < <(
  # Every robot token in every secret Berth wrote (all teams, the tests' included).
  kubectl --kubeconfig "$STACK/admin.kubeconfig" get secrets -A -l app.kubernetes.io/managed-by=berth -o json \
    | jq -r '.items[].data | to_entries[].value | @base64d | fromjson? | .auths[] | .password'
  echo "Someb0dyElsesToken"
  # The CLI secrets Harbor returns with its accounts' OIDC records (the Harbor users page reads them).
  for id in $(curl -sf -u "admin:$HARBOR_PASSWORD" "$FAKE_HARBOR_URL/api/v2.0/users?page_size=100" | jq -r '.[].user_id'); do
    curl -sf -u "admin:$HARBOR_PASSWORD" "$FAKE_HARBOR_URL/api/v2.0/users/$id" | jq -r '.oidc_user_meta.secret // empty'
  done
  echo "$OIDC_CLIENT_SECRET"; echo "$HARBOR_PASSWORD"; echo "$REDIS_PASSWORD"; echo "$SESSION_KEY"
  (source "$STACK/keycloak.env" 2>/dev/null && echo "${KEYCLOAK_ADMIN_PASSWORD:-}")
)
leaks=0
for s in "${secrets[@]}"; do
  [[ -n "$s" ]] || continue
  if grep -rlF -- "$s" "$STACK"/berth.log "$STACK"/integration.log "$STACK"/reconcile.log "$STACK"/production.log "$STACK"/prism.log "$STACK"/kube-audit.log "$STACK"/kube-apiserver.log "$STACK"/redis.log "$STACK"/replica-*.log "$STACK"/load.log "$STACK"/sigterm-berth.log "$STACK"/otel-berth.log "$STACK"/compat-berth.log "$STACK"/compat.log "$STACK"/keycloak-berth.log "$STACK"/keycloak.log "$STACK"/keycloak-journeys.log "$STACK"/dex.log "$STACK"/dex-berth.log "$STACK"/dex-journeys.log "$STACK"/dex.json "$STACK"/chart.log "$STACK"/metrics.txt "$STACK"/audit-events.json "$ROOT/end2end/test-results" 2>/dev/null | grep -q .; then
    echo "a known secret (${#s} chars) appears in captured output" >&2; leaks=$((leaks + 1))
  fi
done
echo "known secrets checked: ${#secrets[@]}, found in captured output: $leaks"

step "summary"
total_passed=0; total_failed=0
while read -r label passed failed; do
  printf '  %-12s %4s passed %4s failed\n' "$label" "$passed" "$failed"
  total_passed=$((total_passed + passed)); total_failed=$((total_failed + failed))
done <"$REPORT"
[[ "$violations" == 0 ]] || total_failed=$((total_failed + 1))
[[ "$leaks" == 0 ]] || total_failed=$((total_failed + 1))
# A CI report keeps the end of the output: each failed layer's last lines come after the summary.
while read -r label passed failed; do
  ((failed > 0)) || continue
  case "$label" in
    e2e) log=playwright.log ;;
    keycloak | dex) log="$label-journeys.log" ;;
    *) log="$label.log" ;;
  esac
  printf '\n==> %s failed; the end of %s:\n' "$label" "$STACK/$log"
  tail -12 "$STACK/$log" 2>/dev/null | cut -c1-300
done <"$REPORT"
echo "$total_passed passed, $total_failed failed"
[[ "$total_failed" == 0 ]]
