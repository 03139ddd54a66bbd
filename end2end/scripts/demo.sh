#!/usr/bin/env bash
# `make demo`: the local stack plus Berth in the foreground. Ctrl-C stops every process it started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
trap '"$ROOT/end2end/scripts/stack.sh" down' EXIT
"$ROOT/end2end/scripts/stack.sh" up
cat <<MSG

  Berth is starting at $BERTH_URL

  Demo logins (username / password):
    alice / alice-demo-pw   platform admin, member of team alpha
    bob   / bob-demo-pw     member of team alpha (push-secret download enabled)
    carol / carol-demo-pw   member of team beta (download disabled), via the group path /teams/team-beta
    dave  / dave-demo-pw    in no team
    erin  / erin-demo-pw    member of team beta (not its admin)

  kubectl as the stack's admin:  kubectl --kubeconfig $STACK/admin.kubeconfig get teams
  Logs of the stack:             $STACK/*.log
  Press Ctrl-C to stop everything.

MSG
"$ROOT/end2end/scripts/berth.sh"
