#!/usr/bin/env bash
# `make style`: the gates CI runs before `make test`, fastest first. Each names what to run to fix it.
#   1. rustfmt (stable) over the workspace;
#   2. leptosfmt (leptosfmt.toml; the version of versions.sh, which setup.sh installs) over the view!
#      macros of app/src, whose bodies rustfmt leaves as written;
#   3. no line of a tracked .rs file over 100 columns outside view! (long-lines.py, which says what it
#      allows): rustfmt leaves a whole body unformatted, silently, when one of its lines cannot fit, so
#      gate 1 alone passes over such bodies;
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

gate "leptosfmt --check app/src"
if [[ "$(leptosfmt --version 2>/dev/null)" != "leptosfmt $LEPTOSFMT_VERSION" ]]; then
  echo "style: leptosfmt $LEPTOSFMT_VERSION is not installed; run: make setup" >&2; failed=1
# A file leptosfmt cannot read is reported (❌ and the error, tab-indented) without a failing exit code.
elif ! out="$(leptosfmt --check app/src 2>&1)" || grep -q '❌' <<<"$out"; then
  grep -E $'❌|^\t' <<<"$out" | grep -v 'see the diff above' | sed 's/ See the difference below://' >&2 || true
  echo "style: leptosfmt would change the view! macros of the files above, or cannot read them;" \
    "run: leptosfmt app/src && cargo +stable fmt --all" >&2; failed=1
fi

gate "no line over 100 columns outside view! (long-lines.py)"
python3 end2end/scripts/long-lines.py || failed=1

gate "cargo clippy --all-targets -- -D warnings"
cargo "${stable[@]}" clippy --release --all-targets -p app --features ssr -p berth -p fake-harbor -- -D warnings \
  || { echo "style: clippy found the above" >&2; failed=1; }

((failed == 0)) && echo "style: all gates pass" >&2
exit "$failed"
