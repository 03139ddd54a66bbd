#!/usr/bin/env bash
# The compatibility layer of `make test`: Berth on the oldest Kubernetes minor it supports
# ($KUBE_COMPAT_VERSION, built and cached like the current one). With the stack up (its identity provider
# and Harbor), it starts a second etcd + kube-apiserver + controller-manager of that release, installs the
# chart there with `helm install`, binds the team namespace with `helm upgrade`, runs a Berth against it,
# and drives one journey in Chromium: onboard a team, reconcile, download, offboard.
# Prints `compat <passed> <failed>` last.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$ROOT/end2end/scripts/lib.sh"
source "$STACK/env"
t0=$(date +%s)
dir="$STACK/compat"
compat_bin="$BERTH_CACHE/kube-$KUBE_COMPAT_VERSION"
k=("$compat_bin/kubectl" --kubeconfig "$dir/admin.kubeconfig")
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
kube() {  # stack.sh with the compatibility release, ports and directory
  env -u KUBEBUILDER_ASSETS BERTH_STACK_DIR="$dir" KUBE_VERSION="$KUBE_COMPAT_VERSION" KUBE_PORT="$COMPAT_KUBE_PORT" \
    ETCD_PORT="$COMPAT_ETCD_PORT" "$ROOT/end2end/scripts/stack.sh" "$@"
}
berth_pid=""
finish() {
  [[ -n "$berth_pid" ]] && { kill "$berth_pid" 2>/dev/null; wait "$berth_pid" 2>/dev/null; }
  kube down
  echo "compatibility layer on Kubernetes $KUBE_COMPAT_VERSION: $(($(date +%s) - t0)) s"
  echo "compat $passed $failed"
}
trap finish EXIT

if kube kube-up; then ok "etcd, kube-apiserver and kube-controller-manager $KUBE_COMPAT_VERSION up; Berth's chart installed with helm install"
else bad "the $KUBE_COMPAT_VERSION stack did not come up (see $dir/*.log)"; exit 1; fi
server="$("${k[@]}" version -o json | jq -r .serverVersion.gitVersion)"
[[ "$server" == "$KUBE_COMPAT_VERSION" ]] && ok "the apiserver reports $server" || bad "the apiserver reports $server, not $KUBE_COMPAT_VERSION"

# The platform makes the team's namespace; the chart binds Berth there (teamNamespaces).
"${k[@]}" create namespace team-compat >/dev/null
for _ in $(seq 1 100); do "${k[@]}" -n team-compat get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done
if helm --kubeconfig "$dir/admin.kubeconfig" upgrade berth "$ROOT/deploy/chart" --namespace berth --reuse-values \
  --set 'teamNamespaces={team-compat}' >"$dir/helm-upgrade.log" 2>&1 \
  && [[ "$("${k[@]}" auth can-i create secrets -n team-compat --as system:serviceaccount:berth:berth)" == yes ]]; then
  ok "helm upgrade bound Berth in team-compat"
else bad "helm upgrade did not bind Berth in team-compat"; cat "$dir/helm-upgrade.log"; fi

KUBECONFIG="$dir/berth.kubeconfig" LEPTOS_SITE_ADDR="127.0.0.1:$COMPAT_PORT" BERTH_PUBLIC_URL="http://127.0.0.1:$COMPAT_PORT" \
  BERTH_INSTANCE=compat BERTH_RESYNC_SECS=5 BERTH_ROTATION_GRACE_SECS=5 "$ROOT/target/release/berth" >"$STACK/compat-berth.log" 2>&1 &
berth_pid=$!
wait_ready 40 - "http://127.0.0.1:$COMPAT_PORT/readyz" && ok "Berth is ready against $server" \
  || { bad "Berth is not ready against $server"; tail -20 "$STACK/compat-berth.log"; exit 1; }

(cd "$ROOT/end2end" && PATH="$compat_bin:$PATH" BERTH_URL="http://127.0.0.1:$COMPAT_PORT" \
  BERTH_STACK_ADMIN_KUBECONFIG="$dir/admin.kubeconfig" PLAYWRIGHT_JSON_OUTPUT_FILE="$dir/playwright.json" \
  npx playwright test -c playwright.compat.config.ts) 2>&1 | tee "$dir/playwright.log"
read -r journeys _ < <(playwright_counts "$dir/playwright.json")
[[ "$journeys" == 1 ]] && ok "the journey passed on $server" || bad "the journey did not pass on $server"
