#!/usr/bin/env bash
# The plain manifests for `kubectl apply` users, rendered from the chart (release `berth` in namespace
# `berth`, CRD included, secrets from an existing Secret):
#   manifests.sh           rewrite deploy/manifests/berth.yaml and berth-ha.yaml
#   manifests.sh --check   exit 1 when either differs from what the chart renders now
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
render() {  # values-file
  local keys='oidc-client-secret, harbor-password, session-key'
  [[ "$1" == *ha-* ]] && keys+=', redis-password, redis-url (redis://:<that password>@berth-redis:6379/0)'
  cat <<HEADER
# Rendered from deploy/chart with $(realpath --relative-to="$ROOT" "$1") by end2end/scripts/manifests.sh;
# edit the chart, not this file. Helm is the first way to install Berth (see the README); for kubectl:
#   kubectl create namespace berth
#   kubectl -n berth create secret generic berth-secrets ...   # keys: $keys
#   edit the ConfigMap berth (Berth's settings, see the README's table), then
#   kubectl apply --server-side -f $(basename "${2}")
HEADER
  helm template berth "$ROOT/deploy/chart" --namespace berth --include-crds -f "$1"
}
status=0
for pair in "single-values.yaml berth.yaml" "ha-values.yaml berth-ha.yaml"; do
  read -r values out <<<"$pair"
  rendered="$(render "$ROOT/deploy/manifests/$values" "$out")"
  if [[ "${1:-}" == --check ]]; then
    if ! diff -u "$ROOT/deploy/manifests/$out" - <<<"$rendered"; then
      echo "deploy/manifests/$out differs from the chart's rendering: run end2end/scripts/manifests.sh" >&2
      status=1
    fi
  else
    printf '%s\n' "$rendered" >"$ROOT/deploy/manifests/$out"
  fi
done
exit $status
