# Sourced by the scripts: where things are, the stack's ports and demo credentials, and the toolchain.
# Every value can be overridden from the environment.
: "${ROOT:?}"
export BERTH_CACHE="${BERTH_CACHE:-$HOME/.cache/berth}"
export BERTH_SHARED_DIR="${BERTH_SHARED_DIR:-$ROOT/../shared}"
export STACK="${BERTH_STACK_DIR:-$ROOT/.stack}"
source "$ROOT/end2end/scripts/versions.sh"
# Kubernetes' own binaries (kubectl of the same release among them); KUBEBUILDER_ASSETS wins.
export KUBE_BIN="${KUBEBUILDER_ASSETS:-$BERTH_CACHE/kube-$KUBE_VERSION}"
# shellcheck disable=SC1091
[[ -f "$BERTH_CACHE/toolchain.env" ]] && source "$BERTH_CACHE/toolchain.env"
export HELM_BIN="$BERTH_CACHE/helm-$HELM_VERSION"
export PATH="$KUBE_BIN:$HELM_BIN:$ROOT/node_modules/.bin:$ROOT/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The LEPTOS_* values cargo-leptos builds with (from Cargo.toml's metadata). leptos_config is rebuilt
# whenever they change, so every cargo command in these scripts uses the same ones.
export LEPTOS_OUTPUT_NAME=berth LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR=127.0.0.1:3000 \
  LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=app LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false

export ETCD_PORT="${ETCD_PORT:-12379}" KUBE_PORT="${KUBE_PORT:-16443}" KUBE_FAULTS_PORT="${KUBE_FAULTS_PORT:-16444}"
export OIDC_PORT="${OIDC_PORT:-5556}" FAKE_HARBOR_PORT="${FAKE_HARBOR_PORT:-8089}" PRISM_PORT="${PRISM_PORT:-4010}"
export REDIS_PORT="${REDIS_PORT:-16379}"
export BERTH_PORT="${BERTH_PORT:-3000}"
# Two more Berth replicas sharing sessions through Redis (the several-replicas test); the first is also
# a redirect URI the identity provider accepts.
export REPLICA_PORTS="${REPLICA_PORTS:-3103,3104}"
# The load test's own Berth (no download limit, straight to the fake Harbor).
export LOAD_PORT="${LOAD_PORT:-3106}"
# The compatibility layer's Berth, and its apiserver and etcd (the oldest supported Kubernetes).
export COMPAT_PORT="${COMPAT_PORT:-3107}" COMPAT_KUBE_PORT="${COMPAT_KUBE_PORT:-16543}" COMPAT_ETCD_PORT="${COMPAT_ETCD_PORT:-12479}"
# Keycloak and the Berth of its journey.
export KEYCLOAK_PORT="${KEYCLOAK_PORT:-18080}" KEYCLOAK_MANAGEMENT_PORT="${KEYCLOAK_MANAGEMENT_PORT:-19000}" KEYCLOAK_BERTH_PORT="${KEYCLOAK_BERTH_PORT:-3115}"
# Dex and the Berth of its journey.
export DEX_PORT="${DEX_PORT:-15556}" DEX_BERTH_PORT="${DEX_BERTH_PORT:-3116}"

export BERTH_URL="${BERTH_URL:-http://127.0.0.1:$BERTH_PORT}"
export OIDC_ISSUER="${OIDC_ISSUER:-http://127.0.0.1:$OIDC_PORT}"
# Demo-only credentials of the local stack (never used outside it).
export OIDC_CLIENT_SECRET="${OIDC_CLIENT_SECRET:-berth-demo-client-secret}"
export HARBOR_PASSWORD="${HARBOR_PASSWORD:-Harbor12345}"
export REDIS_PASSWORD="${REDIS_PASSWORD:-berth-demo-Redis-passw0rd}"
export SESSION_KEY="${SESSION_KEY:-berth-demo-session-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH}"
# The fake Harbor answers registry logins (GET /v2/) itself, so its address is the registry host.
export REGISTRY_HOST="${REGISTRY_HOST:-127.0.0.1:$FAKE_HARBOR_PORT}"
export FAKE_HARBOR_BIN="${FAKE_HARBOR_BIN:-$ROOT/target/release/fake-harbor}"

# The environment Berth runs with against the stack (also read by the tests). The issuer and client secret
# are the chosen identity provider's (BERTH_STACK_IDP: stack.sh): Keycloak's from the $STACK/keycloak.env
# that keycloak.sh wrote when it started.
write_env() {
  local idp="${BERTH_STACK_IDP:-oidc-provider}" issuer="$OIDC_ISSUER" client_secret="$OIDC_CLIENT_SECRET"
  if [[ "$idp" == keycloak ]]; then
    issuer="$(source "$STACK/keycloak.env" && echo "$KEYCLOAK_ISSUER")"
    client_secret="$(source "$STACK/keycloak.env" && echo "$KEYCLOAK_CLIENT_SECRET")"
  fi
  cat >"$STACK/env" <<ENV
export KUBECONFIG="$STACK/berth.kubeconfig"
export LEPTOS_SITE_ADDR="127.0.0.1:$BERTH_PORT"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export BERTH_PUBLIC_URL="$BERTH_URL"
# The stack's identity provider (oidc-provider or keycloak).
export BERTH_STACK_IDP="$idp"
export BERTH_OIDC_ISSUER="$issuer"
export BERTH_OIDC_CLIENT_ID="berth"
export BERTH_OIDC_CLIENT_SECRET="$client_secret"
export BERTH_ADMIN_GROUPS="berth-admins"
# Groups match exactly (the default, said here so start-up does not remind of the old default): Keycloak
# sends full paths (/team-alpha, a top-level group, is team-alpha; /teams/team-beta stays a path), the
# demo oidc-provider the same groups (its top-level ones without the slash).
export BERTH_GROUP_MATCH="exact"
export BERTH_TEAM_ADMIN_GROUP="/teams/team-{team}-admin"
export BERTH_HARBOR_URL="\${BERTH_HARBOR_URL:-http://127.0.0.1:$PRISM_PORT}"
export BERTH_HARBOR_UI_URL="http://127.0.0.1:$FAKE_HARBOR_PORT"
export BERTH_HARBOR_PASSWORD="$HARBOR_PASSWORD"
export BERTH_SESSION_KEY="$SESSION_KEY"
# Berth itself keeps sessions in memory here; the replicas test sets BERTH_REDIS_URL to this.
export STACK_REDIS_URL="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0"
export BERTH_REGISTRY_HOST="$REGISTRY_HOST"
# Short time-outs so the outage tests wait seconds, not minutes.
export BERTH_HARBOR_TIMEOUT_SECS=2
export BERTH_KUBE_TIMEOUT_SECS=2
export BERTH_STACK_ADMIN_KUBECONFIG="$STACK/admin.kubeconfig"
# Berth's identity through the Kubernetes fault proxy (the reconciler's Kubernetes fault tests).
export BERTH_STACK_FAULTS_KUBECONFIG="$STACK/berth-faults.kubeconfig"
export KUBE_FAULTS_URL="https://127.0.0.1:$KUBE_FAULTS_PORT"
export FAKE_HARBOR_URL="http://127.0.0.1:$FAKE_HARBOR_PORT"
export KUBE_APISERVER_PIDFILE="$STACK/kube-apiserver.pid"
export BERTH_STACK_AUDIT_LOG="$STACK/kube-audit.log"
# Repairs of changes made in Harbor show within half a minute in the demo (default: 10 minutes); a value
# given by the caller (the tests' 5 s) wins.
export BERTH_RESYNC_SECS="\${BERTH_RESYNC_SECS:-30}"
ENV
}
