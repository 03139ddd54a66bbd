#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl of one Kubernetes release, and etcd, from the Go module
# proxy into OUTDIR. k8s.io/kubernetes and etcd's server module carry `replace` directives (their staging
# and sibling modules by path), so `go install pkg@version` refuses them: each is built inside a small
# wrapper module whose replace list is that release's own, with the paths turned into the published
# versions (k8s.io/<x> => ./staging/src/k8s.io/<x> becomes k8s.io/<x> v0.<minor>.<patch>).
# Usage: build-kube.sh KUBE_VERSION ETCD_VERSION OUTDIR   (e.g. v1.37.2 v3.6.7 ~/.cache/berth/kube-v1.37.2)
set -euo pipefail
kube="$1" etcd="$2" out="$3"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# The replace list of `module@version`'s go.mod, each local path turned into `module version_of(path)`.
replaces() {  # module version path-version-for-staging
  local gomod
  gomod="$(go mod download -json "$1@$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')"
  python3 - "$gomod" "$3" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
version = sys.argv[2]
lines = []
for block in re.findall(r'replace\s*\((.*?)\)', text, re.S) + re.findall(r'^replace\s+([^(\n].*)$', text, re.M):
    for line in block.strip().splitlines():
        m = re.match(r'\s*(\S+)(?:\s+\S+)?\s*=>\s*(\.\.?/\S*)\s*$', line)
        # `=> ./FORBIDDEN_DEPENDENCY` guards a module that must not be used at all: nothing to map.
        if m and "FORBIDDEN" not in m.group(2):
            lines.append(f"\t{m.group(1)} => {m.group(1)} {version}")
print("\n".join(lines))
PY
}

build() {  # name module version staging-version package ldflags
  local name="$1" module="$2" version="$3" staging="$4" package="$5" ldflags="$6"
  local dir="$work/$name"
  mkdir -p "$dir"
  {
    echo "module berth.local/build-$name"
    echo
    echo "go 1.26"
    echo
    echo "require $module $version"
    echo
    echo "replace ("
    replaces "$module" "$version" "$staging"
    echo ")"
  } >"$dir/go.mod"
  (cd "$dir" && go get "$package@$version" >/dev/null && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/$name.tmp" "$package")
  mv "$out/$name.tmp" "$out/$name"
}

minor="$(cut -d. -f2 <<<"$kube")" patch="$(cut -d. -f3 <<<"$kube")"
# What `kube-apiserver --version` and the apiserver's /version say.
version_flags="-X k8s.io/component-base/version.gitVersion=$kube -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
for component in kube-apiserver kube-controller-manager kubectl; do
  [[ -x "$out/$component" ]] && continue
  build "$component" k8s.io/kubernetes "$kube" "v0.$minor.$patch" "k8s.io/kubernetes/cmd/$component" "$version_flags"
done
if [[ ! -x "$out/etcd" ]]; then
  build etcd go.etcd.io/etcd/server/v3 "$etcd" "$etcd" go.etcd.io/etcd/server/v3 ""
fi
# sed, not head: head leaves after one line, and the version command, writing its next line to a closed
# pipe, dies of SIGPIPE, which pipefail turns into a failed set-up.
"$out/kube-apiserver" --version
"$out/kubectl" version --client | sed -n 1p
"$out/etcd" --version | sed -n 1p
