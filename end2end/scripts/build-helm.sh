#!/usr/bin/env bash
# Builds Helm (helm.sh/helm/v3/cmd/helm, no replace directives) from the Go module proxy into OUTDIR, with
# what Helm's own Makefile stamps: its version (so `helm version` tells the truth) and the Kubernetes
# version of its client-go (what `helm template` and `helm lint` assume without a cluster; unstamped it
# is 1.20). Idempotent: a binary built with the same flags stays.
# Usage: build-helm.sh VERSION OUTDIR   (e.g. v3.22.0 ~/.cache/berth/helm-v3.22.0)
set -euo pipefail
version="$1" out="$2"
export GOTOOLCHAIN=local CGO_ENABLED=0
gomod="$(go mod download -json "helm.sh/helm/v3@$version" | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')"
client_go="$(awk '$1 == "k8s.io/client-go" {print $2}' "$gomod")"   # v0.<minor>.<patch>
kube_minor="$(cut -d. -f2 <<<"$client_go")"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$kube_minor"
done
if [[ -x "$out/helm" && "$(cat "$out/.ldflags" 2>/dev/null)" == "$ldflags" ]]; then
  exit 0
fi
mkdir -p "$out"
rm -f "$out/helm"
GOBIN="$out" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version"
echo "$ldflags" >"$out/.ldflags"
"$out/helm" version --template '{{.Version}}'; echo
