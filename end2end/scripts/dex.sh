#!/usr/bin/env bash
# Dex (github.com/dexidp/dex, built from the Go module proxy by build-dex.sh, cached per version) with the
# demo users of end2end/stack/users.json as its static passwords (their groups as Dex sends them: plain
# strings, paths such as /teams/team-beta unchanged), in-memory storage, and a static client `berth`.
#   dex.sh start BERTH_URL   start it for a Berth at BERTH_URL (its redirect URI)
#   dex.sh stop
# Writes $STACK/dex.env: the issuer and the client secret. The client secret reaches Dex through its
# environment (secretEnv), so the config file holds only bcrypt hashes, made at each start.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$ROOT/end2end/scripts/lib.sh"
bin="$BERTH_CACHE/dex-$DEX_VERSION/dex"
pidfile="$STACK/dex.pid"

stop() { stop_pidfile "$pidfile"; }

# Dex's config (JSON is YAML) from users.json: each user signs in with their e-mail address (Dex's
# password database looks users up by it), preferred_username is the demo user name.
write_config() {  # berth_url issuer config
  python3 - "$ROOT/end2end/stack/users.json" "$1" "$2" "$DEX_PORT" >"$3" <<'PY'
import json, secrets, subprocess, sys
users_file, berth_url, issuer, port = sys.argv[1:]
alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

def bcrypt(password):
    # libxcrypt's bcrypt through perl's crypt() (Debian's perl-base; Python's crypt module is going
    # away and the bcrypt wheel is not installed). Cost 10, the least Dex accepts.
    salt = "$2b$10$" + "".join(secrets.choice(alphabet) for _ in range(22))
    out = subprocess.run(["perl", "-e", "print crypt($ARGV[0], $ARGV[1])", password, salt],
                         check=True, capture_output=True, text=True).stdout
    if not (out.startswith("$2b$10$") and len(out) == 60):
        sys.exit("dex: this libc's crypt() does not do bcrypt")
    return out

users = json.load(open(users_file))
config = {
    "issuer": issuer,
    "storage": {"type": "memory"},
    "web": {"http": f"127.0.0.1:{port}"},
    "logger": {"level": "info", "format": "json"},
    # No consent page: Berth is the only client, as a platform configures it.
    "oauth2": {"skipApprovalScreen": True, "responseTypes": ["code"]},
    "enablePasswordDB": True,
    "staticClients": [{
        "id": "berth", "name": "Berth", "secretEnv": "DEX_BERTH_CLIENT_SECRET",
        "redirectURIs": [berth_url.rstrip("/") + "/auth/callback"],
    }],
    "staticPasswords": [{
        "email": u["email"], "hash": bcrypt(u["password"]), "username": u["username"],
        "preferredUsername": u["username"], "name": u["name"], "userID": u["sub"],
        "groups": u["groups"],
    } for u in users],
}
json.dump(config, sys.stdout, indent=2)
PY
}

start() {
  local berth_url="${1:?usage: dex.sh start BERTH_URL}"
  [[ -x "$bin" ]] || { echo "dex: $bin is missing; run end2end/scripts/setup.sh (build-dex.sh $DEX_VERSION)" >&2; exit 1; }
  stop
  mkdir -p "$STACK"
  local issuer="http://127.0.0.1:$DEX_PORT/dex"
  write_config "$berth_url" "$issuer" "$STACK/dex.json"
  cat >"$STACK/dex.env" <<ENV
export DEX_URL="http://127.0.0.1:$DEX_PORT"
export DEX_ISSUER="$issuer"
export DEX_CLIENT_SECRET="$OIDC_CLIENT_SECRET"
ENV
  local started; started=$(date +%s%N)
  DEX_BERTH_CLIENT_SECRET="$OIDC_CLIENT_SECRET" setsid "$bin" serve "$STACK/dex.json" >"$STACK/dex.log" 2>&1 &
  echo $! >"$pidfile"
  if wait_ready 20 "$pidfile" "$issuer/.well-known/openid-configuration"; then
    echo "dex: $DEX_VERSION ready in $(( ($(date +%s%N) - started) / 1000000 )) ms at $issuer" >&2
    return 0
  fi
  echo "dex: did not come up; see $STACK/dex.log" >&2
  tail -20 "$STACK/dex.log" >&2
  return 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: dex.sh start BERTH_URL | stop" >&2; exit 2 ;;
esac
