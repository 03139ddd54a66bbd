#!/usr/bin/env bash
# Builds a real kube-apiserver (v1.20.2) offline from Debian bookworm's `kubernetes` source package,
# which carries the whole upstream tree with vendor/. Output: $1/kube-apiserver. Work dir under ~/.cache/berth.
set -euo pipefail
OUT=$(realpath -m "$1"); mkdir -p "$OUT"
W=$(realpath -m "${BERTH_CACHE:-$HOME/.cache/berth}/kube-build"); mkdir -p "$W"
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  golang-go rsync jq dpkg-dev golang-github-modern-go-reflect2-dev >/dev/null
cd "$W"
if [[ ! -d src ]]; then
  # A private apt state with deb-src entries derived from the machine's own sources; system apt untouched.
  mkdir -p apt/parts apt/state/lists/partial apt/cache/archives/partial
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >apt/parts/debian-src.sources
  A=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$W/apt/parts" -o Dir::State="$W/apt/state"
     -o Dir::Cache="$W/apt/cache" -o Dir::State::status=/var/lib/dpkg/status)
  apt-get "${A[@]}" update -qq
  apt-get "${A[@]}" source --download-only kubernetes 2>&1 | grep -v 'unsandboxed' || true
  dpkg-source -x kubernetes_*.dsc src >/dev/null
  # The vendored reflect2 1.0.1 breaks on Go >= 1.18; Debian's 1.0.2 has the same API.
  R=src/vendor/github.com/modern-go/reflect2
  rm -f $R/*.go $R/*.s && cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.{go,s} $R/
fi
cd src && mkdir -p .go/src/k8s.io && ln -sfn ../../.. .go/src/k8s.io/kubernetes
HOME="$W/home" GOPATH="$W/src/.go" CGO_ENABLED=0 GOLDFLAGS="-s -w" make WHAT=cmd/kube-apiserver
install -m 0755 _output/bin/kube-apiserver "$OUT/kube-apiserver"
"$OUT/kube-apiserver" --version
