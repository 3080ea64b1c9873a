#!/usr/bin/env bash
# Fails when ui/src/lib/bindings/ is not what the Rust types generate: the UI would be typed
# against stale shapes. Regenerates them (ts-rs writes them from `cargo test`) and compares
# with what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
bindings=ui/src/lib/bindings

rm -rf "$bindings"
cargo test --quiet --workspace --lib --bins export_bindings >/dev/null
if [ -n "$(git status --porcelain -- "$bindings")" ]; then
  echo "error: $bindings is stale; commit the regenerated files:" >&2
  git status --short -- "$bindings" >&2
  git --no-pager diff --stat -- "$bindings" >&2
  exit 1
fi
echo "bindings: up to date"
