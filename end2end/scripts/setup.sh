#!/usr/bin/env bash
# Idempotent set-up for building, demoing and testing Berth on a fresh machine.
#
# Two toolchain modes, chosen automatically:
#   rustup  - the default rustup toolchain already has the wasm32-unknown-unknown std (an ordinary machine);
#   debian  - otherwise: Debian's Rust 1.96 (rustc-web) with a wasm32 std built once from rust-web-src,
#             linked into rustup as the toolchain "berth-debian" and selected through RUSTUP_TOOLCHAIN
#             (written to ~/.cache/berth/toolchain.env, which the Makefile's scripts read).
# Tools: cargo-leptos 0.3.11 (no_downloads), wasm-bindgen-cli = Cargo.lock's wasm-bindgen, leptosfmt, npm
# packages (tailwindcss, binaryen's wasm-opt, prism, oidc-provider, playwright), Chromium, redis, valgrind, and Kubernetes'
# kube-apiserver, kube-controller-manager and kubectl with etcd (KUBEBUILDER_ASSETS, else built from the
# Go module proxy by build-kube.sh and cached per version).
# Every step is skipped when already done; caches live in ~/.cache/berth and ~/.cargo, never in the repo.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${BERTH_SHARED_DIR:-$ROOT/../shared}"
CACHE="${BERTH_CACHE:-$HOME/.cache/berth}"
CARGO_LEPTOS_VERSION=0.3.11
source "$ROOT/end2end/scripts/versions.sh"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
mkdir -p "$CACHE" "$CARGO_HOME/bin"
t0=$(date +%s)
log() { printf '[setup %4ss] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_install() {  # installs the Debian packages that are missing
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ------------------------------------------------------------------ toolchain mode
rustup_has_wasm32() {
  command -v rustup >/dev/null 2>&1 || return 1
  local lib
  lib="$(env -u RUSTUP_TOOLCHAIN rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null)" || return 1
  compgen -G "$lib/libstd-*.rlib" >/dev/null
}
rustc_at_least_196() { # $1 = rustc
  local v; v="$("$1" --version | awk '{print $2}')"
  [[ "$(printf '%s\n1.96.0\n' "${v%%-*}" | sort -V | head -1)" == "1.96.0" ]]
}

# valgrind: `make bench` counts the instructions per team page with callgrind.
RUNTIME_PKGS=(chromium redis-server curl openssl jq python3-yaml valgrind)
if rustup_has_wasm32 && rustc_at_least_196 "$(env -u RUSTUP_TOOLCHAIN rustup which rustc)"; then
  MODE=rustup
  apt_install "${RUNTIME_PKGS[@]}"
  : >"$CACHE/toolchain.env"
  RUSTC_BIN="$(env -u RUSTUP_TOOLCHAIN rustup which rustc)"; CARGO_BIN="$(env -u RUSTUP_TOOLCHAIN rustup which cargo)"
else
  MODE=debian
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22 "${RUNTIME_PKGS[@]}"
  RUSTC_BIN=/usr/bin/rustc; CARGO_BIN=/usr/bin/cargo
  /usr/bin/rust-lld -flavor wasm --version >/dev/null
  sysroot_lib="$("$RUSTC_BIN" --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib"
  stamp="$sysroot_lib/.berth-stamp"
  want="recipe=1 $("$RUSTC_BIN" -vV | tr '\n' ' ')"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    log "building the wasm32 std once with Debian's rustc (~1-2 min)"
    work="$(mktemp -d)"
    mkdir -p "$work/src" && : >"$work/src/lib.rs"
    printf '[package]\nname = "wasm32-sysroot"\nversion = "0.0.0"\nedition = "2021"\n[profile.release]\ncodegen-units = 1\npanic = "abort"\n' >"$work/Cargo.toml"
    # embed-bitcode keeps LLVM bitcode in the rlibs, so the wasm-release profile's lto works.
    (cd "$work" && env -u RUSTFLAGS -u RUSTUP_TOOLCHAIN RUSTC="$RUSTC_BIN" RUSTC_BOOTSTRAP=1 \
      CARGO_ENCODED_RUSTFLAGS="-Cembed-bitcode=yes" "$CARGO_BIN" build -q --release \
      --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --target-dir "$work/target")
    as_root rm -rf "$sysroot_lib" && as_root mkdir -p "$sysroot_lib"
    find "$work/target/wasm32-unknown-unknown/release/deps" -maxdepth 1 -name 'lib*.rlib' \
      ! -name 'libwasm32_sysroot-*' -exec cp {} "$sysroot_lib/" \;
    printf '%s' "$want" >"$stamp"; rm -rf "$work"
  fi
  if command -v rustup >/dev/null 2>&1; then
    rustup toolchain list | awk '{print $1}' | grep -qx berth-debian || rustup toolchain link berth-debian /usr
    echo "export RUSTUP_TOOLCHAIN=berth-debian" >"$CACHE/toolchain.env"
  else
    echo "export PATH=/usr/bin:\$PATH" >"$CACHE/toolchain.env"
  fi
fi
log "toolchain mode: $MODE ($("$RUSTC_BIN" --version))"

# ------------------------------------------------------------------ cargo-installed tools
cargo_install() {
  env -u RUSTUP_TOOLCHAIN RUSTC="$RUSTC_BIN" CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 "$CARGO_BIN" install -q "$@"
}
shared_tools() {  # unpacks the prebuilt tools of ../shared once, if that folder is there
  local tgz; tgz="$(ls "$SHARED"/toolchain/tools-cache-cargo-leptos-*.tgz 2>/dev/null | head -1)" || true
  [[ -n "$tgz" ]] || return 1
  [[ -d "$CACHE/shared-tools" ]] || { mkdir -p "$CACHE/shared-tools" && tar xzf "$tgz" -C "$CACHE/shared-tools" --strip-components=1; }
}
if [[ "$("$CARGO_HOME/bin/cargo-leptos" --version 2>/dev/null)" == "cargo-leptos $CARGO_LEPTOS_VERSION" ]] \
   && [[ -f "$CARGO_HOME/.berth-cargo-leptos-no-downloads" ]]; then :
elif shared_tools && [[ -x "$CACHE/shared-tools/cargo-leptos-$CARGO_LEPTOS_VERSION-no_downloads" ]]; then
  install -m 0755 "$CACHE/shared-tools/cargo-leptos-$CARGO_LEPTOS_VERSION-no_downloads" "$CARGO_HOME/bin/cargo-leptos"
  touch "$CARGO_HOME/.berth-cargo-leptos-no-downloads"; log "cargo-leptos from the prebuilt cache in $SHARED"
else
  log "cargo install cargo-leptos $CARGO_LEPTOS_VERSION --features no_downloads (~25 min on 2 cores)"
  cargo_install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads --force
  touch "$CARGO_HOME/.berth-cargo-leptos-no-downloads"
fi

wbg="$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")"
if [[ "$("$CARGO_HOME/bin/wasm-bindgen" --version 2>/dev/null)" == "wasm-bindgen $wbg" ]]; then :
elif shared_tools && [[ -x "$CACHE/shared-tools/wasm-bindgen-$wbg" ]]; then
  install -m 0755 "$CACHE/shared-tools/wasm-bindgen-$wbg" "$CARGO_HOME/bin/wasm-bindgen"; log "wasm-bindgen $wbg from $SHARED"
else
  log "cargo install wasm-bindgen-cli $wbg (~5 min)"
  # --locked can fail when the registry lacks a locked dependency; the same version unlocked works.
  cargo_install wasm-bindgen-cli --version "$wbg" --locked --force || cargo_install wasm-bindgen-cli --version "$wbg" --force
fi

# leptosfmt for `make style` (the view! macros), built like the rustfmt and clippy style.sh runs: with
# rustup's stable toolchain, not the Debian one RUSTUP_TOOLCHAIN may select (Debian's cargo without rustup).
if [[ "$("$CARGO_HOME/bin/leptosfmt" --version 2>/dev/null)" == "leptosfmt $LEPTOSFMT_VERSION" ]]; then :
else
  log "cargo install leptosfmt $LEPTOSFMT_VERSION (~5 min on one core)"
  if command -v rustup >/dev/null 2>&1; then
    env -u RUSTUP_TOOLCHAIN cargo +stable install -q --locked leptosfmt --version "$LEPTOSFMT_VERSION" --force
  else
    "$CARGO_BIN" install -q --locked leptosfmt --version "$LEPTOSFMT_VERSION" --force
  fi
fi

# ------------------------------------------------------------------ npm packages
npm_ci() {
  local dir="$1" sum
  sum="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -c1-16)"
  [[ "$(cat "$dir/node_modules/.berth-sum" 2>/dev/null)" == "$sum" ]] && return 0
  log "npm ci in $dir"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$dir/node_modules/.berth-sum"
}
npm_ci "$ROOT"
npm_ci "$ROOT/end2end"

# ------------------------------------------------------------------ Kubernetes and etcd
KBIN="$CACHE/kube-$KUBE_VERSION"
if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" ]]; then
  log "kube-apiserver from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
elif ! [[ -x "$KBIN/kube-apiserver" && -x "$KBIN/kube-controller-manager" && -x "$KBIN/kubectl" && -x "$KBIN/etcd" ]]; then
  command -v go >/dev/null || { echo "setup: Go is needed to build Kubernetes $KUBE_VERSION (GOTOOLCHAIN=local)" >&2; exit 1; }
  log "building Kubernetes $KUBE_VERSION and etcd $ETCD_VERSION from the Go module proxy (once per version)"
  "$ROOT/end2end/scripts/build-kube.sh" "$KUBE_VERSION" "$ETCD_VERSION" "$KBIN" >&2
fi
# The oldest supported minor, for the compatibility layer of `make test` (the same build, its own cache).
CBIN="$CACHE/kube-$KUBE_COMPAT_VERSION"
if ! [[ -x "$CBIN/kube-apiserver" && -x "$CBIN/kube-controller-manager" && -x "$CBIN/kubectl" && -x "$CBIN/etcd" ]]; then
  log "building Kubernetes $KUBE_COMPAT_VERSION (oldest supported) from the Go module proxy (once per version)"
  "$ROOT/end2end/scripts/build-kube.sh" "$KUBE_COMPAT_VERSION" "$ETCD_VERSION" "$CBIN" >&2
fi

# ------------------------------------------------------------------ Helm, and the CRDs the chart's options use
"$ROOT/end2end/scripts/build-helm.sh" "$HELM_VERSION" "$CACHE/helm-$HELM_VERSION" >&2
# HTTPRoute and ServiceMonitor come from their projects' Go modules, as envtest users take them.
GOTOOLCHAIN=local go mod download "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" \
  "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" >&2
# ------------------------------------------------------------------ Dex (Go module proxy, through end2end/dex/wrapper)
"$ROOT/end2end/scripts/build-dex.sh" "$DEX_VERSION" "$CACHE/dex-$DEX_VERSION" >&2
# ------------------------------------------------------------------ Keycloak (Maven Central)
KC_DIR="$CACHE/keycloak-$KEYCLOAK_VERSION"
if [[ ! -x "$KC_DIR/bin/kc.sh" ]]; then
  log "Keycloak $KEYCLOAK_VERSION from Maven Central"
  kc_url="https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
  kc_tmp="$(mktemp -d)"
  curl -fsSL -o "$kc_tmp/kc.tar.gz" "$kc_url"
  [[ "$(sha1sum "$kc_tmp/kc.tar.gz" | cut -d' ' -f1)" == "$(curl -fsSL "$kc_url.sha1" | cut -c1-40)" ]] \
    || { echo "setup: Keycloak's tarball does not match its .sha1 on Maven Central" >&2; exit 1; }
  tar xzf "$kc_tmp/kc.tar.gz" -C "$kc_tmp"
  rm -rf "$KC_DIR"; mv "$kc_tmp/keycloak-$KEYCLOAK_VERSION" "$KC_DIR"; rm -rf "$kc_tmp"
fi
# Build-time options once, so every start is an optimized one (seconds instead of a re-build).
if [[ ! -f "$KC_DIR/.berth-built" ]]; then
  log "building Keycloak's optimized server (once)"
  JAVA_HOME="$KEYCLOAK_JAVA_HOME" "$KC_DIR/bin/kc.sh" build --db=dev-mem --health-enabled=true >&2
  touch "$KC_DIR/.berth-built"
fi
log "done"
