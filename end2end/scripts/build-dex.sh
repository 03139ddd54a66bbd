#!/usr/bin/env bash
# Builds Dex (github.com/dexidp/dex/cmd/dex) of one release from the Go module proxy into OUTDIR/dex.
# Dex's go.mod replaces its api/v2 module by a local path and its module path has no /v2, so
# `go install github.com/dexidp/dex/cmd/dex@v2.x.y` is refused: the build runs in a copy of the wrapper
# module end2end/dex/wrapper, which requires Dex at the pseudo-version of the release's commit (its
# require line names the release in a comment, checked here) and api/v2 at a version the proxy serves.
# Pure Go (CGO_ENABLED=0): Dex's sqlite storage is left out (storage/sql/sqlite_no_cgo.go); the memory
# storage the tests use needs no cgo. Stamped like Dex's Makefile does (`dex version` tells the release).
# Idempotent: a binary built with the same module version and flags stays.
# Usage: build-dex.sh VERSION OUTDIR   (e.g. v2.45.1 ~/.cache/berth/dex-v2.45.1)
set -euo pipefail
version="$1" out="$2"
wrapper="$(cd "$(dirname "$0")/../dex/wrapper" && pwd)"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

require="$(awk '$1 == "require" && $2 == "github.com/dexidp/dex" {print; exit}' "$wrapper/go.mod")"
module_version="$(awk '{print $3}' <<<"$require")"
[[ -n "$module_version" ]] || { echo "build-dex: no 'require github.com/dexidp/dex ...' line in $wrapper/go.mod" >&2; exit 1; }
if ! grep -Eq "//.*[ ;]$version\$" <<<"$require"; then
  echo "build-dex: $wrapper/go.mod requires Dex $module_version, not release $version:" >&2
  echo "  set the pseudo-version of $version's commit there (its require line ends with '// $version')" >&2
  exit 1
fi
ldflags="-s -w -X main.version=$version"
stamp="$module_version $ldflags"
if [[ -x "$out/dex" && "$(cat "$out/.build" 2>/dev/null)" == "$stamp" ]]; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$wrapper/go.mod" "$wrapper/go.sum" "$work/"   # the tree's copy stays as committed
mkdir -p "$out"
rm -f "$out/dex" "$out/.build"
(cd "$work" && nice -n 19 go build -trimpath -ldflags "$ldflags" -o "$out/dex.tmp" github.com/dexidp/dex/cmd/dex)
mv "$out/dex.tmp" "$out/dex"
echo "$stamp" >"$out/.build"
"$out/dex" version | sed -n 1p
