#!/usr/bin/env bash
# `make style`: the gates CI runs before `make test`, fastest first. Each names what to run to fix it.
#   1. rustfmt (stable) over the workspace;
#   2. clippy on every target of every crate (the app with `ssr`), warnings as errors.
# Not gated yet: rustfmt leaves a body it cannot fit in 100 columns unformatted, silently (long strings
# in config.rs, the pages, the tests), and the `view!` bodies have not been through leptosfmt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/end2end/scripts/env.sh"
cd "$ROOT"
# rustfmt and clippy come from rustup's stable toolchain: Debian's Rust (the wasm build's) has neither.
stable=(+stable)
command -v rustup >/dev/null 2>&1 || stable=()
failed=0
gate() { echo "style: $1" >&2; }

gate "cargo fmt --check"
if ! cargo "${stable[@]}" fmt --all -- --check >/dev/null; then
  echo "style: rustfmt would change files; run: cargo +stable fmt --all" >&2; failed=1
fi

gate "cargo clippy --all-targets -- -D warnings"
cargo "${stable[@]}" clippy --release --all-targets -p app --features ssr -p berth -p fake-harbor -- -D warnings \
  || { echo "style: clippy found the above" >&2; failed=1; }

((failed == 0)) && echo "style: all gates pass" >&2
exit "$failed"
