#!/usr/bin/env bash
# The Keycloak layer of `make test`: Keycloak with Berth's realm, a Berth (UI only, beside the stack's
# reconciling one) that trusts it through documented settings only, and in Chromium the journeys of
# end2end/keycloak (JavaScript on) and the main user journey end2end/tests/journey.spec.ts (JavaScript on
# and off; playwright.keycloak.config.ts). Prints `keycloak <passed> <failed>` last.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$STACK/env"
# This layer starts (and at its end stops) a Keycloak of its own on KEYCLOAK_PORT: not beside a stack
# whose identity provider that Keycloak is (`make demo`'s).
if [[ "${BERTH_STACK_IDP:-oidc-provider}" == keycloak ]]; then
  echo "keycloak-journeys: the stack's identity provider is Keycloak already; run this layer against a stack with BERTH_STACK_IDP=oidc-provider" >&2
  echo "keycloak 0 1"
  exit 1
fi
berth_url="http://127.0.0.1:$KEYCLOAK_BERTH_PORT"
passed=0 failed=0 berth_pid=""
finish() {
  [[ -n "$berth_pid" ]] && { kill "$berth_pid" 2>/dev/null; wait "$berth_pid" 2>/dev/null; }
  "$ROOT/end2end/scripts/keycloak.sh" stop
  echo "keycloak $passed $failed"
}
trap finish EXIT

if "$ROOT/end2end/scripts/keycloak.sh" start "$berth_url"; then passed=$((passed + 1))
else failed=$((failed + 1)); exit 1; fi
source "$STACK/keycloak.env"

BERTH_OIDC_ISSUER="$KEYCLOAK_ISSUER" BERTH_OIDC_CLIENT_SECRET="$KEYCLOAK_CLIENT_SECRET" \
  BERTH_PUBLIC_URL="$berth_url" LEPTOS_SITE_ADDR="127.0.0.1:$KEYCLOAK_BERTH_PORT" \
  BERTH_RECONCILE=off BERTH_INSTANCE=keycloak "$ROOT/target/release/berth" >"$STACK/keycloak-berth.log" 2>&1 &
berth_pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "$berth_url/readyz" && break; sleep 0.2; done

(cd "$ROOT/end2end" && BERTH_URL="$berth_url" KEYCLOAK_URL="$KEYCLOAK_URL" KEYCLOAK_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASSWORD" \
  npx playwright test -c playwright.keycloak.config.ts) 2>&1 | tee "$STACK/keycloak-playwright.log"
journeys_passed="$(grep -oE '^\s*[0-9]+ passed' "$STACK/keycloak-playwright.log" | grep -oE '[0-9]+' || echo 0)"
journeys_failed="$(grep -oE '^\s*[0-9]+ failed' "$STACK/keycloak-playwright.log" | grep -oE '[0-9]+' || echo 0)"
passed=$((passed + journeys_passed)) failed=$((failed + journeys_failed))
[[ "$journeys_passed" == 0 && "$journeys_failed" == 0 ]] && failed=$((failed + 1))

# The exit status says whether everything passed too (test.sh reads the `keycloak ...` line).
(( failed == 0 ))
