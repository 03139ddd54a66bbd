#!/usr/bin/env bash
# An identity-provider layer of `make test`: the provider (end2end/scripts/<idp>.sh start|stop, which
# writes $STACK/<idp>.env with <IDP>_ISSUER and <IDP>_CLIENT_SECRET), a Berth (UI only, beside the
# stack's reconciling one) that trusts it through documented settings only, and the journeys of
# end2end/playwright.<idp>.config.ts in Chromium. Prints `<idp> <passed> <failed>` last; the exit status
# says whether everything passed.
#   idp-journeys.sh keycloak   Keycloak's realm: end2end/keycloak, and tests/journey.spec.ts JS on and off
#   idp-journeys.sh dex        Dex's password database: end2end/dex
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$ROOT/end2end/scripts/lib.sh"
source "$STACK/env"
idp="${1:?usage: idp-journeys.sh keycloak|dex}"
case "$idp" in
  keycloak) port="$KEYCLOAK_BERTH_PORT" ;;
  dex) port="$DEX_BERTH_PORT" ;;
  *) echo "idp-journeys: keycloak or dex, not '$idp'" >&2; exit 2 ;;
esac
# The layer starts (and at its end stops) a provider of its own: not beside a stack whose identity
# provider that one is (`make demo`'s Keycloak).
if [[ "${BERTH_STACK_IDP:-oidc-provider}" == "$idp" ]]; then
  echo "idp-journeys: the stack's identity provider is $idp already; run this layer against a stack with BERTH_STACK_IDP=oidc-provider" >&2
  echo "$idp 0 1"
  exit 1
fi
berth_url="http://127.0.0.1:$port"
passed=0 failed=0 berth_pid=""
finish() {
  [[ -n "$berth_pid" ]] && { kill "$berth_pid" 2>/dev/null; wait "$berth_pid" 2>/dev/null; }
  "$ROOT/end2end/scripts/$idp.sh" stop
  echo "$idp $passed $failed"
}
trap finish EXIT

if "$ROOT/end2end/scripts/$idp.sh" start "$berth_url"; then passed=$((passed + 1))
else failed=$((failed + 1)); exit 1; fi
# Exported: the specs read the provider's URL and credentials from it too.
source "$STACK/$idp.env"
issuer="${idp^^}_ISSUER" client_secret="${idp^^}_CLIENT_SECRET"

# Berth's defaults fit both providers otherwise: the scopes include `groups` (Dex sends the claim only
# then), the claim is `groups`, and `auto` picks client_secret_basic, which both offer.
BERTH_OIDC_ISSUER="${!issuer}" BERTH_OIDC_CLIENT_SECRET="${!client_secret}" \
  BERTH_PUBLIC_URL="$berth_url" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  BERTH_RECONCILE=off BERTH_INSTANCE="$idp" "$ROOT/target/release/berth" >"$STACK/$idp-berth.log" 2>&1 &
berth_pid=$!
wait_ready 60 - "$berth_url/readyz" || { tail -20 "$STACK/$idp-berth.log" >&2; exit 1; }

rm -f "$STACK/$idp-playwright.json"
(cd "$ROOT/end2end" && BERTH_URL="$berth_url" PLAYWRIGHT_JSON_OUTPUT_FILE="$STACK/$idp-playwright.json" \
  npx playwright test -c "playwright.$idp.config.ts") 2>&1 | tee "$STACK/$idp-playwright.log"
read -r journeys_passed journeys_failed < <(playwright_counts "$STACK/$idp-playwright.json")
passed=$((passed + journeys_passed)) failed=$((failed + journeys_failed))
[[ "$journeys_passed" == 0 && "$journeys_failed" == 0 ]] && failed=$((failed + 1))
(( failed == 0 ))
