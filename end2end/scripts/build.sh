#!/usr/bin/env bash
# Builds Berth (server + hydrated front end + CSS, release) and the fake Harbor.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
cd "$ROOT"
# --precompress: the site's CSS, JS and WASM also as .br and .gz, which the server sends when asked.
cargo leptos build --release --precompress
cargo build --release -p fake-harbor
