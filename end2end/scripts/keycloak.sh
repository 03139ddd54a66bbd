#!/usr/bin/env bash
# Keycloak (org.keycloak:keycloak-quarkus-dist from Maven Central, built once by setup.sh) with the realm
# end2end/stack/keycloak-realm.json: the demo users, groups with nested ones (/teams/team-beta), the
# group mapper with full paths (Keycloak's default), a confidential client `berth`.
#   keycloak.sh start BERTH_URL   start it for a Berth at BERTH_URL (its redirect and sign-out URIs)
#   keycloak.sh stop
# Writes $STACK/keycloak.env: the issuer, the client secret and the admin's credentials.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$ROOT/end2end/scripts/lib.sh"
dir="$BERTH_CACHE/keycloak-$KEYCLOAK_VERSION"
pidfile="$STACK/keycloak.pid"

stop() { stop_pidfile "$pidfile"; }

start() {
  local berth_url="${1:?usage: keycloak.sh start BERTH_URL}"
  [[ -x "$dir/bin/kc.sh" ]] || { echo "keycloak: $dir is missing; run end2end/scripts/setup.sh" >&2; exit 1; }
  stop
  mkdir -p "$STACK" "$dir/data/import"
  # The import directory is the cached install's, shared by every stack: written only when it changed.
  cmp -s "$ROOT/end2end/stack/keycloak-realm.json" "$dir/data/import/berth.json" \
    || cp "$ROOT/end2end/stack/keycloak-realm.json" "$dir/data/import/berth.json"
  local admin_password; admin_password="$(openssl rand -hex 16)"
  # Only the owner reads it (the admin's password).
  install -m 600 /dev/null "$STACK/keycloak.env"
  cat >"$STACK/keycloak.env" <<ENV
export KEYCLOAK_URL="http://127.0.0.1:$KEYCLOAK_PORT"
export KEYCLOAK_ISSUER="http://127.0.0.1:$KEYCLOAK_PORT/realms/berth"
export KEYCLOAK_CLIENT_SECRET="$OIDC_CLIENT_SECRET"
export KEYCLOAK_ADMIN_PASSWORD="$admin_password"
ENV
  local started; started=$(date +%s%N)
  # The realm file names these (Keycloak substitutes ${...} on import); dev-mem: a fresh realm each start;
  # a local cache: one node, no JGroups cluster (whose ports 7800 and 57800 a second Keycloak beside this
  # one, the demo's and the test layer's, would also want).
  BERTH_KEYCLOAK_CLIENT_SECRET="$OIDC_CLIENT_SECRET" BERTH_KEYCLOAK_BERTH_URL="$berth_url" \
    KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$admin_password" \
    JAVA_HOME="$KEYCLOAK_JAVA_HOME" JAVA_OPTS_KC_HEAP="-Xms64m -Xmx512m" \
    setsid "$dir/bin/kc.sh" start --optimized --http-enabled=true --http-port="$KEYCLOAK_PORT" \
    --http-management-port="$KEYCLOAK_MANAGEMENT_PORT" --hostname="http://127.0.0.1:$KEYCLOAK_PORT" \
    --cache=local --import-realm >"$STACK/keycloak.log" 2>&1 &
  echo $! >"$pidfile"
  # Ready in well under a minute on an idle machine; minutes when the machine is busy compiling.
  if WAIT_INTERVAL=0.5 wait_ready 300 "$pidfile" "http://127.0.0.1:$KEYCLOAK_MANAGEMENT_PORT/health/ready" \
    "http://127.0.0.1:$KEYCLOAK_PORT/realms/berth/.well-known/openid-configuration"; then
    echo "keycloak: $KEYCLOAK_VERSION ready in $(( ($(date +%s%N) - started) / 1000000 )) ms at http://127.0.0.1:$KEYCLOAK_PORT/realms/berth" >&2
    return 0
  fi
  echo "keycloak: did not come up; see $STACK/keycloak.log" >&2
  tail -20 "$STACK/keycloak.log" >&2
  return 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: keycloak.sh start BERTH_URL | stop" >&2; exit 2 ;;
esac
