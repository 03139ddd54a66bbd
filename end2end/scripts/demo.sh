#!/usr/bin/env bash
# `make demo`: the local stack plus Berth in the foreground, signed in through Keycloak (the realm
# end2end/stack/keycloak-realm.json; BERTH_STACK_IDP=oidc-provider for the tests' provider instead).
# Ctrl-C stops every process it started, Keycloak among them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
export BERTH_STACK_IDP="${BERTH_STACK_IDP:-keycloak}"
trap '"$ROOT/end2end/scripts/stack.sh" down' EXIT
"$ROOT/end2end/scripts/stack.sh" up
if [[ "$BERTH_STACK_IDP" == keycloak ]]; then
  idp="Keycloak $KEYCLOAK_VERSION, realm berth: http://127.0.0.1:$KEYCLOAK_PORT/realms/berth"
  console="  Keycloak's admin console:      http://127.0.0.1:$KEYCLOAK_PORT/admin/master/console/#/berth
                                 (user admin; its password is KEYCLOAK_ADMIN_PASSWORD in $STACK/keycloak.env)
"
else
  idp="oidc-provider: $OIDC_ISSUER" console=""
fi
cat <<MSG

  Berth is starting at $BERTH_URL
  Identity provider: $idp

  Demo logins (username / password):
    alice / alice-demo-pw   platform admin, member of team alpha
    bob   / bob-demo-pw     member of team alpha (push-secret download enabled)
    carol / carol-demo-pw   team beta's team admin (via /teams/team-beta-admin) and member
                            (via the nested group /teams/team-beta); beta's download is disabled
    dave  / dave-demo-pw    in no team
    erin  / erin-demo-pw    member of team beta (not its admin)

$console  kubectl as the stack's admin:  kubectl --kubeconfig $STACK/admin.kubeconfig get teams
  Logs of the stack:             $STACK/*.log
  Press Ctrl-C to stop everything.

MSG
# Berth stops first, while the stack it hands its Lease back to still runs; then the EXIT trap stops
# the stack. (Run in the background, Berth does not get the terminal's Ctrl-C itself.)
"$ROOT/end2end/scripts/berth.sh" &
berth=$!
trap 'kill -TERM "$berth" 2>/dev/null || true' INT TERM
wait "$berth" || true
# The first wait returns when the trap ran; this one when Berth has stopped.
wait "$berth" 2>/dev/null || true
