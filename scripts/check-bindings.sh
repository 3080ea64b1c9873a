#!/usr/bin/env bash
# Fails when ui/src/lib/bindings/ is not what the Rust types generate: the UI would be typed
# against stale shapes. ts-rs writes the bindings from `cargo test`; here they go to a scratch
# directory and are compared with the committed ones, which are left untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
bindings=ui/src/lib/bindings
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT

# An environment variable wins over the TS_RS_EXPORT_DIR of .cargo/config.toml.
TS_RS_EXPORT_DIR="$fresh" cargo test --quiet --workspace --lib --bins export_bindings >/dev/null
if ! diff -ru "$bindings" "$fresh" >&2; then
  echo "error: $bindings is stale: run \`cargo test --workspace export_bindings\` and commit the result" >&2
  exit 1
fi
echo "bindings: up to date"
