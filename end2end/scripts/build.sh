#!/usr/bin/env bash
# Builds Berth (server + hydrated front end + CSS, release) and the fake Harbor.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
cd "$ROOT"
cargo leptos build --release
cargo build --release -p fake-harbor
