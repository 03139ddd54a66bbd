#!/usr/bin/env bash
# Runs the built Berth (target/release/berth) against the local stack started by `stack.sh up`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
source "$STACK/env"
exec "$ROOT/target/release/berth" "$@"
