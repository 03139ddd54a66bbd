#!/usr/bin/env bash
# `make style`: the gates CI runs before `make test`, fastest first. Each names what to run to fix it.
#   1. rustfmt (stable) over the workspace;
#   2. no Rust code line over 100 columns: rustfmt silently leaves a body it cannot fit unformatted;
#   3. leptosfmt over the `view!` bodies;
#   4. clippy on every target of every crate (the app with `ssr`), warnings as errors.
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

gate "Rust code lines within 100 columns"
long="$(git ls-files '*.rs' | xargs awk 'length($0) > 100 && $0 !~ /^[[:space:]]*\/\// { print FILENAME ":" FNR }')"
if [[ -n "$long" ]]; then
  echo "style: code lines over 100 columns (rustfmt skips their whole body; split the string or expression):" >&2
  echo "$long" | head -20 >&2; failed=1
fi

gate "leptosfmt --check"
mapfile -t views < <(git grep -l 'view!' -- 'app/src/*.rs' 'app/src/**/*.rs')
if ! leptosfmt --check "${views[@]}" >/dev/null 2>&1; then
  echo "style: leptosfmt would change view! bodies; run: leptosfmt app/src" >&2
  leptosfmt --check "${views[@]}" 2>&1 | grep -v '^$' | head -10 >&2 || true; failed=1
fi

gate "cargo clippy --all-targets -- -D warnings"
cargo "${stable[@]}" clippy --release --all-targets -p app --features ssr -p berth -p fake-harbor -- -D warnings \
  || { echo "style: clippy found the above" >&2; failed=1; }

((failed == 0)) && echo "style: all gates pass" >&2
exit "$failed"
