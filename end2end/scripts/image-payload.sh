#!/usr/bin/env bash
# The image's payload, as the Dockerfile makes it: the release binary stripped of its symbols (the
# Dockerfile strips it in the builder stage) and the site. Usage: image-payload.sh DIR ; fills DIR/app and
# prints its size in bytes. The build keeps target/release/berth's symbols (perf reads them in `make bench`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$1"
rm -rf "$dir/app"; mkdir -p "$dir/app"
strip -o "$dir/app/berth" "$ROOT/target/release/berth"
cp -r "$ROOT/target/site" "$dir/app/site"
du -sb "$dir/app" | cut -f1
