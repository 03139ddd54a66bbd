#!/usr/bin/env bash
# The local stack: a real etcd + kube-apiserver (RBAC on), the identity provider, the fake Harbor behind
# Prism (checked against Harbor's own spec), and the demo data. Berth itself is started by `berth.sh`.
#
#   stack.sh up      start everything in the background, seed, write $STACK/env; idempotent per run
#   stack.sh down    stop every process `up` started (Keycloak too) and wait until each has exited:
#                    SIGTERM, SIGKILL to what still runs 10 s later (said on stderr)
#   stack.sh kube-up only etcd, the apiserver and the controller-manager, with Berth's chart installed
#                    (the compatibility layer runs it with its own KUBE_VERSION, ports and BERTH_STACK_DIR)
#   stack.sh seed    (re)create the demo data
#   stack.sh prism-violations   count Prism's contract violations and warnings so far
#
# Everything lives in $BERTH_STACK_DIR (default: .stack/ in the repo, ignored by git).
#
# BERTH_STACK_IDP chooses Berth's identity provider: `oidc-provider` (the default, which the tests drive:
# end2end/stack/oidc-provider.mjs with users.json) or `keycloak` (`make demo`: end2end/scripts/keycloak.sh,
# the realm end2end/stack/keycloak-realm.json, the same users and groups).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
export BERTH_STACK_IDP="${BERTH_STACK_IDP:-oidc-provider}"
case "$BERTH_STACK_IDP" in
  oidc-provider | keycloak) ;;
  *) echo "stack: BERTH_STACK_IDP is oidc-provider or keycloak, not '$BERTH_STACK_IDP'" >&2; exit 2 ;;
esac

pid_start() {  # name command... : starts a background process, records its pid
  local name="$1"; shift
  # In a session of its own: tests stop some of these with SIGSTOP, and the kernel sends SIGCONT to a
  # stopped process whose process group is orphaned when another member exits (which happens to the
  # caller's group whenever its parent went first, as in a detached CI job).
  setsid "$@" >"$STACK/$name.log" 2>&1 &
  echo $! >"$STACK/$name.pid"
}

wait_for() {  # what url [curl args...]
  local what="$1" url="$2"; shift 2
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null "$@" "$url"; then return 0; fi
    sleep 0.2
  done
  echo "stack: $what did not come up at $url; see $STACK/*.log" >&2
  return 1
}

kube_binaries() {  # KUBE_BIN (env.sh): KUBEBUILDER_ASSETS when set, else the cached build of KUBE_VERSION
  APISERVER="$KUBE_BIN/kube-apiserver" ETCD="$KUBE_BIN/etcd" CONTROLLER_MANAGER="$KUBE_BIN/kube-controller-manager"
  # envtest's assets hold no controller-manager: the cached build's then.
  [[ -x "$CONTROLLER_MANAGER" ]] || CONTROLLER_MANAGER="$BERTH_CACHE/kube-$KUBE_VERSION/kube-controller-manager"
  local binary
  for binary in "$APISERVER" "$ETCD" "$CONTROLLER_MANAGER"; do
    [[ -x "$binary" ]] || { echo "stack: $binary is missing; run end2end/scripts/setup.sh" >&2; return 1; }
  done
}

start_kube() {
  kube_binaries
  local pki="$STACK/kube/pki"; mkdir -p "$pki" "$STACK/kube/etcd"
  if [[ ! -f "$pki/server.crt" ]]; then
    # A throwaway CA, a serving certificate for 127.0.0.1, the service-account signing key, and one
    # static admin token (system:masters) for the stack's own set-up steps. Berth never uses it.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=berth-stack-ca -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$pki/ext.cnf"
    openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
      -extfile "$pki/ext.cnf" -out "$pki/server.crt" 2>/dev/null
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
    echo "$(openssl rand -hex 16),stack-admin,1,\"system:masters\"" >"$pki/tokens.csv"
  fi
  # etcd reads ETCD_* variables as its flags: env.sh's ETCD_PORT is not one. The stack's data is thrown
  # away with it, so etcd skips fsync: on two busy cores a slow disk flush otherwise stalls every write
  # of the apiserver for seconds, which no test is about.
  pid_start etcd env -u ETCD_PORT "$ETCD" --name stack --data-dir "$STACK/kube/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "stack=http://127.0.0.1:$((ETCD_PORT + 1))" --log-level warn
  # Berth's own requests are audited (metadata only: never a request body), so tests can count its writes.
  cat >"$STACK/kube/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: ["system:serviceaccount:berth:berth"]
  - level: None
POLICY
  : >"$STACK/kube-audit.log"
  pid_start kube-apiserver "$APISERVER" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$KUBE_PORT" \
    --tls-cert-file "$pki/server.crt" --tls-private-key-file "$pki/server.key" --client-ca-file "$pki/ca.crt" \
    --token-auth-file "$pki/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" --api-audiences https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/24 --endpoint-reconciler-type none --v 1 \
    --audit-policy-file "$STACK/kube/audit-policy.yaml" --audit-log-path "$STACK/kube-audit.log" --audit-log-format json \
    --event-ttl 24h
  local admin_token; admin_token="$(cut -d, -f1 "$pki/tokens.csv")"
  kubeconfig "$STACK/admin.kubeconfig" stack-admin "$admin_token"
  wait_for kube-apiserver "https://127.0.0.1:$KUBE_PORT/readyz" --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token"
  # The controllers a cluster without nodes still relies on: namespaces finalized when deleted, the
  # `default` ServiceAccount in every namespace, service-account tokens, garbage collection by owner.
  pid_start kube-controller-manager "$CONTROLLER_MANAGER" --kubeconfig "$STACK/admin.kubeconfig" \
    --leader-elect=false --secure-port 0 --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --controllers namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,root-ca-certificate-publisher-controller \
    --v 1
}

kubeconfig() {  # file user token [port]
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: stack
  cluster: {server: "https://127.0.0.1:${4:-$KUBE_PORT}", certificate-authority: "$STACK/kube/pki/ca.crt"}
users:
- name: $2
  user: {token: "$3"}
contexts:
- name: $2
  context: {cluster: stack, user: $2}
current-context: $2
KC
  chmod 600 "$1"
}

# Installs Berth's chart as an operator would (`helm install`; CRD, ServiceAccount, RBAC and the rest)
# and gives Berth a token of the chart's ServiceAccount, so it runs with exactly the rights the chart
# grants. No kubelet runs here, so the Deployment stays a stored object; Berth runs beside the stack under
# that ServiceAccount. Team namespaces get their RoleBinding from team_namespace, as a platform adds it.
install_berth_identity() {
  local k=(kubectl --kubeconfig "$STACK/admin.kubeconfig")
  helm --kubeconfig "$STACK/admin.kubeconfig" install berth "$ROOT/deploy/chart" --namespace berth --create-namespace \
    --set-string "config.public_url=$BERTH_URL,config.oidc_issuer=$(idp_issuer),config.oidc_client_id=berth" \
    --set-string "config.harbor_url=http://127.0.0.1:$PRISM_PORT" \
    --set "config.admin_groups={berth-admins},secrets.existingSecret=berth-secrets" >"$STACK/helm-install.log"
  "${k[@]}" wait --for condition=established --timeout=30s crd/teams.berth.dev >/dev/null
  namespace berth
  local token; token="$("${k[@]}" -n berth create token berth --duration=48h)"
  kubeconfig "$STACK/berth.kubeconfig" berth "$token"
  kubeconfig "$STACK/berth-faults.kubeconfig" berth "$token" "$KUBE_FAULTS_PORT"
}

# The apiserver behind a proxy the tests can make fail (409, 500, dropped connections); only the
# Berth of the Kubernetes fault tests talks through it.
start_kube_faults() {
  KUBE_FAULTS_PORT="$KUBE_FAULTS_PORT" KUBE_UPSTREAM="https://127.0.0.1:$KUBE_PORT" KUBE_PKI="$STACK/kube/pki" \
    pid_start kube-faults node "$ROOT/end2end/stack/kube-faults.mjs"
  wait_for "the Kubernetes fault proxy" "https://127.0.0.1:$KUBE_FAULTS_PORT/readyz" --cacert "$STACK/kube/pki/ca.crt" \
    -H "Authorization: Bearer $(cut -d, -f1 "$STACK/kube/pki/tokens.csv")"
}

# The issuer Berth trusts: the chosen provider's (keycloak.sh's realm `berth` for Keycloak).
idp_issuer() {
  if [[ "$BERTH_STACK_IDP" == keycloak ]]; then echo "http://127.0.0.1:$KEYCLOAK_PORT/realms/berth"; else echo "$OIDC_ISSUER"; fi
}

start_oidc() {
  OIDC_PORT="$OIDC_PORT" OIDC_ISSUER="$OIDC_ISSUER" OIDC_CLIENT_SECRET="$OIDC_CLIENT_SECRET" \
    BERTH_URL="$BERTH_URL,http://127.0.0.1:${REPLICA_PORTS%%,*},http://127.0.0.1:$LOAD_PORT,http://127.0.0.1:$COMPAT_PORT" \
    OIDC_STATE_DIR="$STACK" pid_start oidc node "$ROOT/end2end/stack/oidc-provider.mjs"
  wait_for "the OIDC provider" "$OIDC_ISSUER/.well-known/openid-configuration"
}

start_harbor() {
  FAKE_HARBOR_ADDR="127.0.0.1:$FAKE_HARBOR_PORT" FAKE_HARBOR_ADMIN_PASSWORD="$HARBOR_PASSWORD" \
    pid_start fake-harbor "$FAKE_HARBOR_BIN"
  wait_for "the fake Harbor" "http://127.0.0.1:$FAKE_HARBOR_PORT/__fake/healthz"
  # Prism ignores Swagger 2.0's basePath: fold /api/v2.0 into every path, and drop the anonymous
  # security alternative so a request without credentials is a violation. Two things real Harbor does
  # that its spec leaves out are allowed, exactly: its UI session (cookie `sid`, taken by every API
  # path: src/server/middleware/security/session.go) as a second scheme, and the sign-in that makes it
  # (`POST /c/login`, src/core/controllers/base.go), which answers 200, 401, or 403 (CSRF token
  # missing, or an OIDC user sent to the IdP). The spec's anonymous alternative stays on
  # `GET /systeminfo` only.
  local spec="$BERTH_SHARED_DIR/specs/harbor-v2.15.2-swagger.yaml" prism_spec="$STACK/harbor.prism.yaml"
  [[ -f "$spec" ]] || spec="${HARBOR_SPEC:?no Harbor spec: set HARBOR_SPEC or provide ../shared/specs}"
  python3 - "$spec" "$prism_spec" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
base = (spec.pop("basePath", "") or "").rstrip("/")
spec["paths"] = {base + p: v for p, v in spec["paths"].items()}
spec["security"] = [s for s in spec.get("security", []) if s]
spec["securityDefinitions"]["harborSession"] = {"type": "apiKey", "in": "header", "name": "Cookie"}
spec["security"].append({"harborSession": []})
# Berth asks /systeminfo without credentials on purpose (the auth mode, when its own sign-in fails).
spec["paths"]["/api/v2.0/systeminfo"]["get"]["security"] = spec["security"] + [{}]
spec["paths"]["/c/login"] = {"post": {
    "operationId": "uiLogin", "consumes": ["application/x-www-form-urlencoded"], "security": [],
    "parameters": [{"name": "principal", "in": "formData", "type": "string", "required": True},
                   {"name": "password", "in": "formData", "type": "string", "required": True}],
    "responses": {"200": {"description": "signed in"}, "401": {"description": "wrong credentials"},
                  "403": {"description": "CSRF token missing or invalid, or an OIDC user"},
                  "500": {"description": "internal error"}}}}
yaml.safe_dump(spec, open(sys.argv[2], "w"), sort_keys=False)
PY
  pid_start prism "$ROOT/end2end/node_modules/.bin/prism" proxy -h 127.0.0.1 -p "$PRISM_PORT" --errors \
    "$prism_spec" "http://127.0.0.1:$FAKE_HARBOR_PORT"
  wait_for Prism "http://127.0.0.1:$PRISM_PORT/api/v2.0/ping" -u "admin:$HARBOR_PASSWORD"
}

# Sessions shared by several Berth replicas. Nothing is persisted: sessions only.
start_redis() {
  pid_start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --requirepass "$REDIS_PASSWORD"
  for _ in $(seq 1 100); do
    [[ "$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] && return 0
    sleep 0.1
  done
  echo "stack: Redis did not come up on :$REDIS_PORT; see $STACK/redis.log" >&2
  return 1
}

# ------------------------------------------------------------------ demo data
# Only what Berth does not make itself: namespaces (the controller-manager adds their `default`
# ServiceAccount, and the platform the RoleBinding that lets Berth in) and Teams. Berth's reconciler makes
# the Harbor projects, members, robots and secrets.
namespace() {  # name
  kubectl --kubeconfig "$STACK/admin.kubeconfig" apply --server-side --field-manager berth-stack -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $1}
YAML
  local _
  for _ in $(seq 1 100); do
    kubectl --kubeconfig "$STACK/admin.kubeconfig" -n "$1" get serviceaccount default >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "stack: the controller-manager made no default ServiceAccount in $1; see $STACK/kube-controller-manager.log" >&2
  return 1
}

# A team's namespace, as the platform makes it: with Berth's rights there (deploy/chart/templates/rbac.yaml).
team_namespace() {  # name
  namespace "$1"
  kubectl --kubeconfig "$STACK/admin.kubeconfig" apply --server-side --field-manager berth-stack -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: berth, namespace: $1}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: berth-team-namespace}
subjects: [{kind: ServiceAccount, name: berth, namespace: berth}]
YAML
}

seed_team() {  # name download(true|false) quota_bytes repos used_bytes group
  local team="$1" download="$2" ns="team-$1" project="team-$1" group="${6:-team-$1}"
  team_namespace "$ns"
  kubectl --kubeconfig "$STACK/admin.kubeconfig" apply --server-side --field-manager berth-seed -f - >/dev/null <<YAML
apiVersion: berth.dev/v1alpha1
kind: Team
metadata: {name: $team}
spec:
  namespace: $ns
  groups: ["$group"]
  harborProject: $project
  pushSecretDownload: $download
YAML
  # Usage figures the fake Harbor reports once the project exists (nothing is pushed in the demo).
  curl -sf -X POST "http://127.0.0.1:$FAKE_HARBOR_PORT/__fake/projects/$project/usage" -H 'Content-Type: application/json' \
    -d "{\"repo_count\":$4,\"storage_used\":$5,\"storage_limit\":$3}"
}

# A Harbor account as the fake seeds it: username, real name, subject+issuer, [more JSON members].
harbor_account() {
  printf '{"username":"%s","email":"%s@example.test","realname":"%s","subiss":"%s"%s}' "$1" "$1" "$2" "$3" "${4:+,$4}"
}

seed() {
  seed_team alpha true 10737418240 3 1288490189
  # beta's members come through a Keycloak-style group path; groups match exactly, so the Team names it.
  seed_team beta false -1 0 0 /teams/team-beta
  # Harbor accounts as OIDC sign-ins to Harbor leave them (`subiss` is the subject, then the issuer);
  # dave's is stale (made under the identity provider before its redeploy, another issuer), the case
  # the Harbor users page fixes; harbor-ops is a Harbor admin.
  local user issuer old_issuer=https://idp-before-redeploy.example.test/realms/berth
  issuer="$(idp_issuer)"
  for user in "$(harbor_account bob 'Bob Builder' "bob$issuer")" \
              "$(harbor_account dave 'Dave (old IdP)' "dave$old_issuer" \
                 '"creation_time":"2025-03-14T09:26:53Z","last_sign_in":"2025-06-30T16:02:11Z"')" \
              "$(harbor_account harbor-ops 'Harbor Ops' "harbor-ops$issuer" '"sysadmin_flag":true')"; do
    curl -sf -X POST "http://127.0.0.1:$FAKE_HARBOR_PORT/__fake/users" -H 'Content-Type: application/json' -d "$user" >/dev/null
  done
}

up() {
  mkdir -p "$STACK"
  [[ -x "$FAKE_HARBOR_BIN" ]] || { echo "stack: build the fake Harbor first (cargo build --release -p fake-harbor)" >&2; exit 1; }
  # Keycloak's JVM starts meanwhile (it takes seconds); keycloak.sh records its pid in $STACK, so `down`
  # stops it, and writes $STACK/keycloak.env (issuer, client secret, admin password) for write_env.
  local keycloak=""
  if [[ "$BERTH_STACK_IDP" == keycloak ]]; then
    "$ROOT/end2end/scripts/keycloak.sh" start "$BERTH_URL" & keycloak=$!
  fi
  start_kube
  install_berth_identity
  start_kube_faults
  if [[ -n "$keycloak" ]]; then
    wait "$keycloak" || { echo "stack: Keycloak did not start; see $STACK/keycloak.log" >&2; exit 1; }
  else
    start_oidc
  fi
  start_harbor
  start_redis
  seed
  write_env
  echo "stack: kube-apiserver :$KUBE_PORT, OIDC ($BERTH_STACK_IDP) $(idp_issuer), Harbor (Prism) :$PRISM_PORT -> fake :$FAKE_HARBOR_PORT, Redis :$REDIS_PORT" >&2
}

# The processes a pid file stands for: its process, if it is still the one started when the file was
# written (a pid of a stack stopped long ago may since belong to someone else's process), and everything
# left in the session it leads (pid_start's setsid: children such as Keycloak's JVM under kc.sh).
# Prints `pid name` lines.
pidfile_processes() {  # pidfile
  local pidfile="$1" name pid written started
  name="$(basename "$pidfile" .pid)"; pid="$(cat "$pidfile" 2>/dev/null)"
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 0
  if [[ -r "/proc/$pid/stat" ]]; then
    written="$(stat -c %Y "$pidfile")"
    # The process's start in seconds since the epoch: boot time plus field 22 of its stat, in clock ticks.
    started="$(awk -v hz="$(getconf CLK_TCK)" -v boot="$(awk '$1 == "btime" { print $2 }' /proc/stat)" \
      '{ sub(/^.*\) /, ""); split($0, f, " "); printf "%d", boot + f[20] / hz }' "/proc/$pid/stat" 2>/dev/null)" || return 0
    [[ -n "$started" ]] && (( started >= written - 10 && started <= written + 2 )) || return 0
  fi
  # A session's id stays taken while any member lives, so members of session $pid are this stack's.
  { echo "$pid"; pgrep -s "$pid" 2>/dev/null || true; } | sort -u | sed "s/\$/ $name/"
}

running() {  # pid: alive and not a zombie (read without forking: it is polled)
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

gone_within() {  # seconds, then the name of an associative array pid -> name: drops the pids that exit in time
  local -n alive="$2"
  local deadline pid
  deadline=$(( ${EPOCHREALTIME/./} + $1 * 1000000 ))
  while :; do
    for pid in "${!alive[@]}"; do running "$pid" || unset "alive[$pid]"; done
    ((${#alive[@]})) || return 0
    (( ${EPOCHREALTIME/./} < deadline )) || return 1
    sleep 0.1
  done
}

stop_pidfiles() {  # pidfile... : SIGTERM, up to 10 s to exit, then SIGKILL; says what it had to kill
  local pidfile pid name
  declare -A who=()
  for pidfile in "$@"; do
    while read -r pid name; do [[ -n "$pid" ]] && running "$pid" && who[$pid]="$name"; done < <(pidfile_processes "$pidfile")
    rm -f "$pidfile"
  done
  ((${#who[@]})) || return 0
  kill -TERM "${!who[@]}" 2>/dev/null || true
  gone_within 10 who && return 0
  for pid in "${!who[@]}"; do echo "stack: ${who[$pid]} (pid $pid) still running 10 s after SIGTERM: SIGKILL" >&2; done
  kill -KILL "${!who[@]}" 2>/dev/null || true
  gone_within 5 who && return 0
  for pid in "${!who[@]}"; do echo "stack: ${who[$pid]} (pid $pid) survived SIGKILL" >&2; done
  return 1
}

# Stops every process the stack started (the compatibility layer's and the bench's beside it, whose pid
# files live in $STACK or a folder of it) and waits until each is gone. etcd goes last: an apiserver
# whose etcd went first keeps retrying it, spinning a core, instead of shutting down.
down() {
  local pidfile clients=() stores=() status=0
  for pidfile in "$STACK"/*.pid "$STACK"/*/*.pid; do
    [[ -f "$pidfile" ]] || continue
    if [[ "$(basename "$pidfile")" == etcd.pid ]]; then stores+=("$pidfile"); else clients+=("$pidfile"); fi
  done
  stop_pidfiles "${clients[@]}" || status=1
  stop_pidfiles "${stores[@]}" || status=1
  return "$status"
}

prism_violations() {
  python3 "$ROOT/end2end/scripts/prism-violations.py" "$STACK/prism.log"
}

case "${1:-}" in
  up) down; rm -rf "$STACK/kube"; up ;;
  kube-up) down; rm -rf "$STACK/kube"; mkdir -p "$STACK"; start_kube; install_berth_identity ;;
  down) down ;;
  seed) seed ;;
  prism-violations) prism_violations ;;
  *) echo "usage: stack.sh up|down|kube-up|seed|prism-violations" >&2; exit 2 ;;
esac
