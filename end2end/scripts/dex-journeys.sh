#!/usr/bin/env bash
# The Dex layer of `make test`: Dex with the demo users, a Berth (UI only, beside the stack's reconciling
# one) that trusts it through documented settings only, and the journeys of end2end/dex in Chromium.
# Prints `dex <passed> <failed>` last.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$STACK/env"
berth_url="http://127.0.0.1:$DEX_BERTH_PORT"
passed=0 failed=0 berth_pid=""
finish() {
  [[ -n "$berth_pid" ]] && { kill "$berth_pid" 2>/dev/null; wait "$berth_pid" 2>/dev/null; }
  "$ROOT/end2end/scripts/dex.sh" stop
  echo "dex $passed $failed"
}
trap finish EXIT

if "$ROOT/end2end/scripts/dex.sh" start "$berth_url"; then passed=$((passed + 1))
else failed=$((failed + 1)); exit 1; fi
source "$STACK/dex.env"

# Berth's defaults already fit Dex: the scopes include `groups` (Dex sends the claim only then) and the
# claim is `groups`; Dex offers client_secret_basic, which `auto` picks.
BERTH_OIDC_ISSUER="$DEX_ISSUER" BERTH_OIDC_CLIENT_SECRET="$DEX_CLIENT_SECRET" \
  BERTH_PUBLIC_URL="$berth_url" LEPTOS_SITE_ADDR="127.0.0.1:$DEX_BERTH_PORT" \
  BERTH_RECONCILE=off BERTH_INSTANCE=dex "$ROOT/target/release/berth" >"$STACK/dex-berth.log" 2>&1 &
berth_pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "$berth_url/readyz" && break; sleep 0.2; done

(cd "$ROOT/end2end" && BERTH_URL="$berth_url" DEX_URL="$DEX_URL" DEX_ISSUER="$DEX_ISSUER" \
  npx playwright test -c playwright.dex.config.ts) 2>&1 | tee "$STACK/dex-playwright.log"
journeys_passed="$(grep -oE '^\s*[0-9]+ passed' "$STACK/dex-playwright.log" | grep -oE '[0-9]+' || echo 0)"
journeys_failed="$(grep -oE '^\s*[0-9]+ failed' "$STACK/dex-playwright.log" | grep -oE '[0-9]+' || echo 0)"
passed=$((passed + journeys_passed)) failed=$((failed + journeys_failed))
[[ "$journeys_passed" == 0 && "$journeys_failed" == 0 ]] && failed=$((failed + 1))
