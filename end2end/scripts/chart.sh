#!/usr/bin/env bash
# The Helm chart's checks, against the stack's real apiserver (`make test` runs this with the stack up):
#   1. `helm lint --strict` over every values file in deploy/chart/ci
#   2. the schema refuses each values file in end2end/chart, with the message its `# expect:` line gives
#   3. each ci rendering applied with --dry-run=server (HTTPRoute and ServiceMonitor CRDs from their
#      projects' Go modules)
#   4. install, upgrade with changed values, rollback and uninstall, checking what is stored after each
#   5. the plain manifests equal the chart's rendering; the stack's own release is what Berth runs under
# Prints one line per check and ends with `chart <passed> <failed>`.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
chart="$ROOT/deploy/chart"
k=(kubectl --kubeconfig "$STACK/admin.kubeconfig")
h=(helm --kubeconfig "$STACK/admin.kubeconfig")
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
check() {  # description command... : the command must succeed
  local what="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then ok "$what"; else bad "$what"; sed 's/^/    /' <<<"$out" | tail -20; fi
}
same() {  # description want got
  if [[ "$2" == "$3" ]]; then ok "$1 ($3)"; else bad "$1: wanted '$2', got '$3'"; fi
}
same_secret() {  # description want got : as same, never printing either
  if [[ -n "$2" && "$2" == "$3" ]]; then ok "$1"; else bad "$1 (they differ or are empty)"; fi
}
can() {  # verb resource namespace : what the release's ServiceAccount may do there
  "${k[@]}" auth can-i "$1" "$2" -n "$3" --as "system:serviceaccount:berth-chart:chart-berth" 2>/dev/null
}

echo "helm $(helm version --template '{{.Version}}'), kube-apiserver $("${k[@]}" version -o json | jq -r .serverVersion.gitVersion)"

# ------------------------------------------------------------------ 1. lint
for values in "$chart"/ci/*-values.yaml; do
  check "helm lint --strict -f ci/$(basename "$values")" helm lint --strict "$chart" -f "$values"
done

# ------------------------------------------------------------------ 2. the schema's refusals
for values in "$ROOT"/end2end/chart/bad-*.yaml; do
  want="$(sed -n 's/^# expect: //p' "$values")"
  out="$(helm template x "$chart" -f "$values" 2>&1)" && code=0 || code=$?
  if [[ $code != 0 && "$out" == *"$want"* ]]; then ok "refused: $(basename "$values") says \"$want\""
  else bad "$(basename "$values"): wanted a refusal saying \"$want\", got exit $code and:"; sed 's/^/    /' <<<"$out" | head -8; fi
done

# ------------------------------------------------------------------ 3. server-side dry runs
gateway_dir="$(GOTOOLCHAIN=local go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | jq -r .Dir)"
prometheus_dir="$(GOTOOLCHAIN=local go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | jq -r .Dir)"
check "HTTPRoute CRD (gateway-api $GATEWAY_API_VERSION) and ServiceMonitor CRD (prometheus-operator $PROMETHEUS_OPERATOR_VERSION) installed" \
  "${k[@]}" apply --server-side --field-manager berth-chart-test \
  -f "$gateway_dir/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml" \
  -f "$prometheus_dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
"${k[@]}" wait --for condition=established --timeout=30s crd/httproutes.gateway.networking.k8s.io crd/servicemonitors.monitoring.coreos.com >/dev/null
for values in "$chart"/ci/*-values.yaml; do
  name="$(basename "$values" -values.yaml)"
  ns="chart-dry-$name"
  "${k[@]}" create namespace "$ns" >/dev/null 2>&1
  # ha-values binds team-alpha and team-beta, which the stack has.
  rendered="$STACK/chart-$name.yaml"
  # A release name of its own: cluster-wide names (ClusterRoles) must not meet the stack's release.
  helm template "berth-dry-$name" "$chart" --namespace "$ns" --include-crds -f "$values" >"$rendered"
  kinds="$(grep '^kind: ' "$rendered" | cut -d' ' -f2 | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=", "}')"
  check "ci/$name rendering accepted by the apiserver (--dry-run=server): $kinds" \
    "${k[@]}" apply --server-side --dry-run=server --field-manager berth-chart-test -f "$rendered"
done

# ------------------------------------------------------------------ 4. install, upgrade, rollback, uninstall
for ns in chart-team-a chart-team-b; do "${k[@]}" create namespace "$ns" >/dev/null 2>&1; done
release=(chart "$chart" --namespace berth-chart)
stored() { "${k[@]}" -n berth-chart get "$@" 2>/dev/null; }
secret_key() { stored secret chart-berth -o json | jq -r --arg k "$1" '.data[$k] // "" | @base64d'; }
config_file() { stored configmap chart-berth -o jsonpath='{.data.berth\.yaml}'; }

check "helm install (HA values, teamNamespaces [chart-team-a])" \
  "${h[@]}" install "${release[@]}" --create-namespace -f "$chart/ci/ha-values.yaml" --set 'teamNamespaces={chart-team-a}'
same "install: release revision and status" "1 deployed" "$("${h[@]}" -n berth-chart status chart -o json | jq -r '"\(.version) \(.info.status)"')"
same "install: Berth's Deployment asks for" 3 "$(stored deployment chart-berth -o jsonpath='{.spec.replicas}')"
same "install: stored PodDisruptionBudget (policy/v1) maxUnavailable" 1 "$(stored poddisruptionbudgets.v1.policy chart-berth -o jsonpath='{.spec.maxUnavailable}')"
same "install: bundled Redis, its Service and both NetworkPolicies" "deployment.apps/chart-berth-redis service/chart-berth-redis networkpolicy.networking.k8s.io/chart-berth networkpolicy.networking.k8s.io/chart-berth-redis" \
  "$(stored deployment/chart-berth-redis service/chart-berth-redis networkpolicy/chart-berth networkpolicy/chart-berth-redis -o name | xargs)"
session_key="$(secret_key session-key)" redis_password="$(secret_key redis-password)"
same "install: generated session key length" 64 "${#session_key}"
same_secret "install: Redis URL carries the generated password" "redis://:$redis_password@chart-berth-redis:6379/0" "$(secret_key redis-url)"
same "install: Berth may write secrets in chart-team-a" yes "$(can create secrets chart-team-a)"
same "install: Berth may not read secrets in chart-team-b" no "$(can get secrets chart-team-b)"
# In its own namespace only by name (its kept copies of the teams' tokens), never a list of them.
same "install: Berth may keep its copies of team tokens in its own namespace" yes "$(can create secrets berth-chart)"
same "install: Berth may not list secrets in its own namespace" no "$(can list secrets berth-chart)"
same "install: Berth may write its Lease" yes "$(can update leases berth-chart)"
same "install: the pods run as non-root with a read-only root filesystem" "true true" \
  "$(stored deployment chart-berth -o json | jq -r '.spec.template.spec | "\(.securityContext.runAsNonRoot) \(.containers[0].securityContext.readOnlyRootFilesystem)"')"
checksum_before="$(stored deployment chart-berth -o jsonpath='{.spec.template.metadata.annotations.checksum/config}')"

check "helm upgrade (2 replicas, teamNamespaces + chart-team-b, download_limit 10)" \
  "${h[@]}" upgrade "${release[@]}" -f "$chart/ci/ha-values.yaml" --set 'replicaCount=2,teamNamespaces={chart-team-a,chart-team-b},config.download_limit=10'
same "upgrade: release revision and status" "2 deployed" "$("${h[@]}" -n berth-chart status chart -o json | jq -r '"\(.version) \(.info.status)"')"
same "upgrade: Berth's Deployment asks for" 2 "$(stored deployment chart-berth -o jsonpath='{.spec.replicas}')"
same "upgrade: the config file has the new setting" "download_limit: 10" "$(config_file | grep '^download_limit:')"
[[ "$(stored deployment chart-berth -o jsonpath='{.spec.template.metadata.annotations.checksum/config}')" != "$checksum_before" ]] \
  && ok "upgrade: the changed config rolls the pods (checksum/config changed)" || bad "upgrade: checksum/config did not change"
same_secret "upgrade: the generated session key is kept" "$session_key" "$(secret_key session-key)"
same_secret "upgrade: the generated Redis password is kept" "$redis_password" "$(secret_key redis-password)"
same "upgrade: Berth may now write secrets in chart-team-b" yes "$(can create secrets chart-team-b)"

check "helm rollback to revision 1" "${h[@]}" rollback chart 1 --namespace berth-chart
same "rollback: release revision and status" "3 deployed" "$("${h[@]}" -n berth-chart status chart -o json | jq -r '"\(.version) \(.info.status)"')"
same "rollback: Berth's Deployment asks for" 3 "$(stored deployment chart-berth -o jsonpath='{.spec.replicas}')"
same "rollback: the setting is gone from the config file" "" "$(config_file | grep '^download_limit:')"
same_secret "rollback: the session key is still the first" "$session_key" "$(secret_key session-key)"
same "rollback: Berth may no longer read secrets in chart-team-b" no "$(can get secrets chart-team-b)"

check "helm uninstall" "${h[@]}" uninstall chart --namespace berth-chart --wait
same "uninstall: nothing of the release is left in its namespace" "" "$(stored all,secrets,configmaps,serviceaccounts,roles,rolebindings,networkpolicies,poddisruptionbudgets -l app.kubernetes.io/instance=chart -o name)"
same "uninstall: no cluster-wide object of the release is left" "" "$("${k[@]}" get clusterroles,clusterrolebindings -l app.kubernetes.io/instance=chart -o name)"
same "uninstall: no RoleBinding left in the team namespaces" "" "$("${k[@]}" -n chart-team-a get rolebindings -l app.kubernetes.io/instance=chart -o name)"
same "uninstall: the Team CRD stays (Helm never deletes crds/), and with it every Team" "customresourcedefinition.apiextensions.k8s.io/teams.berth.dev" "$("${k[@]}" get crd teams.berth.dev -o name)"
"${k[@]}" delete namespace berth-chart chart-team-a chart-team-b chart-dry-default chart-dry-ha chart-dry-ingress chart-dry-gateway chart-dry-existing-secrets --wait=false >/dev/null 2>&1

# ------------------------------------------------------------------ 5. plain manifests, the stack's release
check "deploy/manifests equal the chart's rendering" "$ROOT/end2end/scripts/manifests.sh" --check
same "the stack installed Berth with Helm" "1 deployed" "$("${h[@]}" -n berth status berth -o json | jq -r '"\(.version) \(.info.status)"')"
same "Berth runs as the chart's ServiceAccount" "system:serviceaccount:berth:berth Helm" \
  "$(kubectl --kubeconfig "$STACK/berth.kubeconfig" auth whoami -o jsonpath='{.status.userInfo.username}') $("${k[@]}" -n berth get serviceaccount berth -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')"

echo "chart $passed $failed"
