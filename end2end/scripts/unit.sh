#!/usr/bin/env bash
# `make unit`: only the fast unit tests (no stack).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
cd "$ROOT"
cargo test --release -p app --features ssr --lib
cargo test --release -p fake-harbor
cargo test --release -p berth
