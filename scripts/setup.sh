#!/usr/bin/env bash
# Installs what Flagshop needs on a Debian/Ubuntu machine, and only what is missing, so it is
# safe to run again. Usage: scripts/setup.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-run}

# Debian packages: a C toolchain for the bundled SQLite.
packages=(build-essential pkg-config)

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing; install it from https://rustup.rs and run again" >&2
  exit 1
fi
if [ "$purpose" = test ]; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
